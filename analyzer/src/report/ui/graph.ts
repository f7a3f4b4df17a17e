import cytoscape from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { ownerLabel } from '../label.js';
import { placeholderId, type Box, type Edge, type Port, type Topology } from '../model.js';

cytoscape.use(fcose);

/** What a drawn element stands for, by its id: the details panel and the search read it. */
export type Item = { type: 'box'; box: Box } | { type: 'port'; port: Port; box: Box } | { type: 'edge'; edge: Edge };

const BRIDGES = new Set(['bridge', 'bond', 'vrf', 'openvswitch']);

function portLabel(p: Port): string {
  const f = p.facts;
  return `${f.ifname} #${f.ifindex}${f.kind ? ` ${f.kind}` : ''}${f.operstate && f.operstate !== 'UP' ? ` ${f.operstate}` : ''}`;
}

function boxLabel(b: Box): string {
  const o = b.owner;
  const who = ownerLabel(o);
  return o.captured ? who : `${who} — not captured`;
}

/** Items by id, and cytoscape elements with the positions the layout gave them. */
export function elements(t: Topology): { items: Map<string, Item>; elements: cytoscape.ElementDefinition[] } {
  const items = new Map<string, Item>();
  const out: cytoscape.ElementDefinition[] = [];
  const pos = (id: string) => t.positions[id] ?? { x: 0, y: 0 };
  for (const b of t.boxes) {
    items.set(b.id, { type: 'box', box: b });
    const cls = [b.owner.host ? 'host' : '', b.owner.captured ? '' : 'uncaptured', b.status].filter(Boolean).join(' ');
    out.push({ group: 'nodes', data: { id: b.id, label: boxLabel(b) }, classes: `box ${cls}` });
    if (b.interfaces.length === 0) {
      const text = b.owner.captured ? 'no interfaces but lo' : `? unknown: ${b.owner.problem ?? 'not captured'}`;
      out.push({ group: 'nodes', data: { id: placeholderId(b.id), parent: b.id, label: text }, position: pos(placeholderId(b.id)), classes: `empty ${b.owner.captured ? '' : 'unknown'}` });
    }
    for (const p of b.interfaces) {
      items.set(p.id, { type: 'port', port: p, box: b });
      const pc = [BRIDGES.has(p.facts.kind ?? '') ? 'bridge' : '', p.unpaired ? 'unpaired' : '', p.status].filter(Boolean).join(' ');
      out.push({ group: 'nodes', data: { id: p.id, parent: b.id, label: portLabel(p) }, position: pos(p.id), classes: `port ${pc}` });
    }
  }
  for (const e of t.edges) {
    items.set(e.id, { type: 'edge', edge: e });
    out.push({ group: 'edges', data: { id: e.id, source: e.source, target: e.target, label: e.label }, classes: `${e.kind} ${e.status}` });
  }
  return { items, elements: out };
}

const STYLE: cytoscape.StylesheetJson = [
  { selector: 'node', style: { 'font-size': 11, 'min-zoomed-font-size': 7, 'text-wrap': 'ellipsis', 'text-max-width': '180px' } },
  { selector: 'node.port, node.empty', style: { shape: 'round-rectangle', width: 150, height: 24, label: 'data(label)', 'text-valign': 'center', 'text-halign': 'center', 'background-color': '#ffffff', 'border-width': 1, 'border-color': '#667' } },
  { selector: 'node.bridge', style: { 'background-color': '#fff3c4', 'border-color': '#a08a2a' } },
  { selector: 'node.unpaired', style: { 'border-color': '#c0282d', 'border-width': 2, color: '#c0282d' } },
  { selector: 'node.empty', style: { 'border-style': 'dotted', color: '#666', 'font-style': 'italic' } },
  { selector: 'node.unknown', style: { 'background-color': '#eeeeee', 'border-color': '#999', 'border-style': 'dashed', color: '#555' } },
  { selector: 'node.box', style: { shape: 'round-rectangle', label: 'data(label)', 'text-valign': 'top', 'text-halign': 'center', 'text-margin-y': -2, padding: '8px', 'background-color': '#eef5ff', 'background-opacity': 1, 'border-width': 1, 'border-color': '#7a9cc6' } },
  { selector: 'node.box.host', style: { 'background-color': '#f4f4f4', 'border-color': '#888', 'font-weight': 'bold' } },
  { selector: 'node.box.uncaptured', style: { 'background-color': '#f0f0f0', 'border-style': 'dashed', 'border-color': '#888' } },
  { selector: 'edge', style: { width: 2, 'line-color': '#1f5fbf', 'curve-style': 'straight', label: 'data(label)', 'font-size': 9, 'min-zoomed-font-size': 9, 'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.8 } },
  { selector: 'edge.lower', style: { 'line-style': 'dotted', 'line-color': '#777', 'target-arrow-shape': 'triangle', 'target-arrow-color': '#777' } },
  { selector: '.added', style: { 'border-color': '#1c7c30', 'border-width': 3, 'line-color': '#2e9e44', 'background-color': '#e7f7ea' } },
  { selector: '.removed', style: { 'border-color': '#c0282d', 'border-width': 3, 'border-style': 'dashed', 'line-color': '#c0282d', 'line-style': 'dashed', 'background-color': '#fde8e8' } },
  { selector: '.changed', style: { 'border-color': '#e69500', 'border-width': 3, 'background-color': '#fff4dd' } },
  { selector: ':selected', style: { 'overlay-color': '#1f5fbf', 'overlay-opacity': 0.25, 'overlay-padding': 4 } },
];

/** The graph, drawn at the layout's positions; the leftovers laid out by fcose where they stand. */
export function draw(container: HTMLElement, t: Topology, els: cytoscape.ElementDefinition[]): cytoscape.Core {
  const cy = cytoscape({ container, elements: els, style: STYLE, layout: { name: 'preset' }, wheelSensitivity: 0.3, pixelRatio: 1, textureOnViewport: true, hideEdgesOnViewport: true, boxSelectionEnabled: false });
  if (t.leftovers.length > 0) {
    const nodes = t.leftovers.reduce((c, id) => c.union(cy.getElementById(id)), cy.collection());
    const part = nodes.union(nodes.parents()).union(nodes.edgesWith(nodes));
    const before = nodes.boundingBox();
    part.layout({ name: 'fcose', randomize: false, animate: false, fit: false, nodeDimensionsIncludeLabels: true } as cytoscape.LayoutOptions).run();
    // Back into the region the layout kept for them.
    const after = nodes.boundingBox();
    nodes.shift({ x: before.x1 - after.x1, y: before.y1 - after.y1 });
  }
  cy.fit(undefined, 20);
  return cy;
}
