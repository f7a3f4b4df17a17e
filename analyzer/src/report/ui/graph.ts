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

/**
 * Items by id, cytoscape elements with the positions the layout gave them, and for each item not
 * drawn as a node of its own the node that shows it. A namespace with one interface (most pods)
 * is one node showing both, not a box and a node in it: a third fewer elements, and cytoscape's
 * time to draw 400 namespaces goes with the element count.
 */
export function elements(t: Topology): { items: Map<string, Item>; elements: cytoscape.ElementDefinition[]; drawnAs: Map<string, string>; sizes: Size[] } {
  const items = new Map<string, Item>();
  // Boxes come in a few sizes: each is a class (a data() mapper in the style is evaluated per element).
  const sizes: Size[] = [];
  const sizeClass = new Map<string, string>();
  const classOf = (size: { w: number; h: number }) => {
    const key = `${size.w}x${size.h}`;
    let c = sizeClass.get(key);
    if (c === undefined) {
      c = `z${sizes.length}`;
      sizes.push({ className: c, ...size });
      sizeClass.set(key, c);
    }
    return c;
  };
  const drawnAs = new Map<string, string>();
  const out: cytoscape.ElementDefinition[] = [];
  const pos = (id: string) => t.positions[id] ?? { x: 0, y: 0 };
  const portClasses = (p: Port) => [BRIDGES.has(p.facts.kind ?? '') ? 'bridge' : '', p.unpaired ? 'unpaired' : ''].filter(Boolean);
  for (const b of t.boxes) {
    items.set(b.id, { type: 'box', box: b });
    const cls = [b.owner.host ? 'host' : '', b.owner.captured ? '' : 'uncaptured'].filter(Boolean);
    const size = t.sizes[b.id] ?? { w: 190, h: 60 };
    const only = b.interfaces.length === 1 && !b.owner.host ? b.interfaces[0] : undefined;
    if (only) {
      items.set(only.id, { type: 'port', port: only, box: b });
      drawnAs.set(b.id, only.id);
      const status = b.status !== 'same' ? b.status : only.status;
      out.push({ group: 'nodes', data: { id: only.id, box: b.id, label: `${boxLabel(b)}\n${portLabel(only)}`, w: size.w, h: size.h }, position: pos(b.id), classes: ['box', classOf(size), 'merged', ...cls, ...portClasses(only), status].join(' ') });
      continue;
    }
    out.push({ group: 'nodes', data: { id: b.id, label: boxLabel(b), w: size.w, h: size.h }, position: pos(b.id), classes: ['box', classOf(size), ...cls, b.status].join(' ') });
    if (b.interfaces.length === 0) {
      const text = b.owner.captured ? 'no interfaces but lo' : `? unknown: ${b.owner.problem ?? 'not captured'}`;
      out.push({ group: 'nodes', data: { id: placeholderId(b.id), box: b.id, label: text }, position: pos(placeholderId(b.id)), classes: `empty ${b.owner.captured ? '' : 'unknown'}` });
    }
    for (const p of b.interfaces) {
      items.set(p.id, { type: 'port', port: p, box: b });
      out.push({ group: 'nodes', data: { id: p.id, box: b.id, label: portLabel(p) }, position: pos(p.id), classes: ['port', ...portClasses(p), p.status].join(' ') });
    }
  }
  for (const e of t.edges) {
    items.set(e.id, { type: 'edge', edge: e });
    out.push({ group: 'edges', data: { id: e.id, source: e.source, target: e.target, label: e.label }, classes: `${e.kind} ${e.status}` });
  }
  return { items, elements: out, drawnAs, sizes };
}

/** Node labels' size in model units; cytoscape draws none smaller than MIN_FONT pixels on screen. */
const FONT = 11;
const MIN_FONT = 5;

/**
 * The styles, with or without the labels' properties. A graph fitted so small that no label
 * would reach MIN_FONT pixels is first drawn without them: measuring and placing 800 labels no
 * one can see was a third of the first draw of 400 namespaces (chromium's profiler); they are
 * styled the first time the zoom makes them readable (`labelsWhenReadable`).
 */
function style(labels: boolean, sizes: Size[]): cytoscape.StylesheetJson {
  const text = (props: Record<string, unknown>) => (labels ? props : {});
  return [
    { selector: 'node', style: { 'z-index-compare': 'manual', 'z-index': 10, ...text({ 'font-size': FONT, 'min-zoomed-font-size': MIN_FONT }) } },
    { selector: 'node.port, node.empty', style: { shape: 'round-rectangle', width: 150, height: 24, 'background-color': '#ffffff', 'border-width': 1, 'border-color': '#667', ...text({ label: 'data(label)', 'text-valign': 'center', 'text-halign': 'center' }) } },
    { selector: 'node.bridge', style: { 'background-color': '#fff3c4', 'border-color': '#a08a2a' } },
    { selector: 'node.unpaired', style: { 'border-color': '#c0282d', 'border-width': 2, ...text({ color: '#c0282d' }) } },
    { selector: 'node.empty', style: { 'border-style': 'dotted', ...text({ color: '#666', 'font-style': 'italic' }) } },
    { selector: 'node.unknown', style: { 'background-color': '#eeeeee', 'border-color': '#999', 'border-style': 'dashed', ...text({ color: '#555' }) } },
    { selector: 'node.box', style: { shape: 'round-rectangle', 'z-index': 0, 'background-color': '#eef5ff', 'border-width': 1, 'border-color': '#7a9cc6', ...text({ label: 'data(label)', 'text-valign': 'top', 'text-halign': 'center', 'text-margin-y': 18 }) } },
    ...sizes.map((z) => ({ selector: `node.${z.className}`, style: { width: z.w, height: z.h, ...text({ 'text-max-width': z.w }) } })),
    // Above the veth edges, which run from its centre (haystack edges: no endpoint to compute on its border).
    { selector: 'node.merged', style: { 'z-index': 10, ...text({ 'text-valign': 'center', 'text-margin-y': 0, 'text-wrap': 'wrap', 'line-height': 1.6 }) } },
    { selector: 'node.merged.unpaired', style: { 'border-color': '#c0282d', 'border-width': 2 } },
    { selector: 'node.box.host', style: { 'background-color': '#f4f4f4', 'border-color': '#888', ...text({ 'font-weight': 'bold' }) } },
    { selector: 'node.box.uncaptured', style: { 'background-color': '#f0f0f0', 'border-style': 'dashed', 'border-color': '#888' } },
    { selector: 'edge', style: { 'z-index-compare': 'manual', 'z-index': 5, width: 2, 'line-color': '#1f5fbf', 'curve-style': 'haystack', 'haystack-radius': 0, ...text({ label: 'data(label)', 'font-size': 9, 'min-zoomed-font-size': 9, 'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.8 }) } },
    { selector: 'edge.lower', style: { 'curve-style': 'straight', 'line-style': 'dotted', 'line-color': '#777', 'target-arrow-shape': 'triangle', 'target-arrow-color': '#777' } },
    { selector: '.added', style: { 'border-color': '#1c7c30', 'border-width': 3, 'line-color': '#2e9e44', 'background-color': '#e7f7ea' } },
    { selector: '.removed', style: { 'border-color': '#c0282d', 'border-width': 3, 'border-style': 'dashed', 'line-color': '#c0282d', 'line-style': 'dashed', 'background-color': '#fde8e8' } },
    { selector: '.changed', style: { 'border-color': '#e69500', 'border-width': 3, 'background-color': '#fff4dd' } },
    { selector: ':selected', style: { 'overlay-color': '#1f5fbf', 'overlay-opacity': 0.25, 'overlay-padding': 4 } },
  ] as cytoscape.StylesheetJson;
}

/** Whether node labels are readable at this zoom (cytoscape hides those under MIN_FONT pixels). */
const readable = (zoom: number) => zoom * FONT >= MIN_FONT;

/** Styles the labels, once, when the zoom first makes them readable. */
function labelsWhenReadable(cy: cytoscape.Core, sizes: Size[]): void {
  const check = () => {
    if (!readable(cy.zoom())) return;
    cy.off('zoom', check);
    cy.style(style(true, sizes));
  };
  cy.on('zoom', check);
}

/** A box size and the class that gives it. */
export type Size = { className: string; w: number; h: number };

/** A box: its centre and size. */
type Rect = { x: number; y: number; w: number; h: number };

/** Shows every box (the Fit button, and the first view). */
export function fit(cy: cytoscape.Core, container: HTMLElement): void {
  const boxes: Rect[] = [];
  cy.nodes('.box').forEach((n) => {
    boxes.push({ ...n.position(), w: n.data('w') as number, h: n.data('h') as number });
  });
  cy.viewport(fitted(boxes, container));
}

/** The graph, drawn at the layout's positions; the leftovers laid out by fcose where they stand. */
export function draw(container: HTMLElement, t: Topology, els: cytoscape.ElementDefinition[], sizes: Size[]): cytoscape.Core {
  // The zoom the first view will have, from the layout's boxes (fcose moves leftovers within their region).
  const boxes = Object.entries(t.sizes).map(([id, size]) => ({ ...(t.positions[id] ?? { x: 0, y: 0 }), ...size }));
  const labels = readable(fitted(boxes, container).zoom);
  // The elements are added after the core is made: made with them, it would run a layout over
  // them, which only fires a position event per node (they carry their positions already).
  const cy = cytoscape({ container, style: style(labels, sizes), layout: { name: 'preset', fit: false }, wheelSensitivity: 0.3, pixelRatio: 1, textureOnViewport: true, hideEdgesOnViewport: true, boxSelectionEnabled: false, autoungrabify: true });
  cy.add(els);
  if (t.leftovers.length > 0) placeLeftovers(cy, t);
  fit(cy, container);
  if (!labels) labelsWhenReadable(cy, sizes);
  return cy;
}

/**
 * The viewport that shows every box, from the layout's own sizes: cytoscape's fit would first
 * compute every element's style and label to find their bounding box (most of the time a
 * 400-namespace page takes to show).
 */
function fitted(boxes: Rect[], container: HTMLElement): { zoom: number; pan: { x: number; y: number } } {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const { x, y, w, h } of boxes) {
    x1 = Math.min(x1, x - w / 2);
    x2 = Math.max(x2, x + w / 2);
    y1 = Math.min(y1, y - h / 2);
    y2 = Math.max(y2, y + h / 2);
  }
  if (!Number.isFinite(x1)) return { zoom: 1, pan: { x: 0, y: 0 } };
  const pad = 20;
  const width = container.clientWidth || 800;
  const height = container.clientHeight || 600;
  const zoom = Math.min(2, (width - 2 * pad) / Math.max(1, x2 - x1), (height - 2 * pad) / Math.max(1, y2 - y1));
  return { zoom, pan: { x: (width - zoom * (x1 + x2)) / 2, y: (height - zoom * (y1 + y2)) / 2 } };
}

/**
 * The leftover boxes (namespaces joined only to each other) moved by fcose, run on a headless
 * graph of those boxes and the veths between them, from their grid positions (randomize off:
 * the same input gives the same drawing); each box's interfaces move with it, and the whole
 * stays where the grid put it.
 */
function placeLeftovers(cy: cytoscape.Core, t: Topology): void {
  const ids = new Set(t.leftovers);
  const boxOf = (id: string) => (ids.has(id) ? id : (cy.getElementById(id).data('box') as string | undefined));
  const nodes: cytoscape.ElementDefinition[] = t.leftovers.map((id) => ({ group: 'nodes', data: { id, w: t.sizes[id]?.w ?? 190, h: t.sizes[id]?.h ?? 60 }, position: { ...(t.positions[id] ?? { x: 0, y: 0 }) } }));
  const links: cytoscape.ElementDefinition[] = [];
  for (const e of t.edges) {
    const a = boxOf(e.source);
    const b = boxOf(e.target);
    if (a && b && a !== b && ids.has(a) && ids.has(b)) links.push({ group: 'edges', data: { id: `l${links.length}`, source: a, target: b } });
  }
  const side = cytoscape({ headless: true, styleEnabled: true, elements: [...nodes, ...links], style: [{ selector: 'node', style: { width: 'data(w)', height: 'data(h)' } }] });
  const before = side.nodes().boundingBox();
  side.layout({ name: 'fcose', randomize: false, animate: false, fit: false, nodeRepulsion: 20000, idealEdgeLength: 120 } as cytoscape.LayoutOptions).run();
  const after = side.nodes().boundingBox();
  const dx = before.x1 - after.x1;
  const dy = before.y1 - after.y1;
  // The nodes drawn for each leftover box: the box and its interfaces, or the one node showing both.
  const drawn = new Map<string, cytoscape.NodeCollection>();
  cy.nodes().forEach((m) => {
    const box = ids.has(m.id()) ? m.id() : (m.data('box') as string | undefined);
    if (box !== undefined && ids.has(box)) drawn.set(box, (drawn.get(box) ?? cy.collection()).union(m));
  });
  cy.batch(() => {
    side.nodes().forEach((n) => {
      const from = t.positions[n.id()] ?? { x: 0, y: 0 };
      const to = n.position();
      const shift = { x: to.x + dx - from.x, y: to.y + dy - from.y };
      drawn.get(n.id())?.shift(shift);
    });
  });
  side.destroy();
}
