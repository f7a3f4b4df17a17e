// The report page: unpacks the embedded data and draws it (graph.ts), with the diff's numbers
// (diff-view.ts), the timeline (timeline.ts), search and the details panel. Built by build.mjs.
import type cytoscape from 'cytoscape';
import { ownerLabel } from '../label.js';
import type { Edge, ReportData } from '../model.js';
import { showBar, showItem, type Context } from './details.js';
import { renderDiff } from './diff-view.js';
import { clear, el } from './dom.js';
import { draw, elements, fit, type Item } from './graph.js';
import { search } from './search.js';
import { renderTimeline } from './timeline.js';
import { unpack } from './unpack.js';

const byId = (id: string) => document.getElementById(id) as HTMLElement;

function describe(item: Item, ctx: Context): string {
  if (item.type === 'box') return `namespace ${item.box.owner.netns}: ${ownerLabel(item.box.owner)}${item.box.status === 'removed' ? ' (removed)' : ''}`;
  if (item.type === 'port') return `interface ${item.port.facts.ifname} #${item.port.facts.ifindex} in netns ${item.box.owner.netns}`;
  const peer = ctx.items.get(item.edge.target);
  return `veth ${item.edge.via?.ifname ?? ''} ⇄ ${peer?.type === 'port' ? peer.port.facts.ifname : '?'}`;
}

function tabs(views: { name: string; show: () => void }[]): void {
  const nav = byId('tabs');
  const buttons = views.map((v) => {
    const b = el('button', v.name);
    b.type = 'button';
    b.addEventListener('click', () => {
      for (const x of buttons) x.setAttribute('aria-pressed', String(x === b));
      v.show();
    });
    return b;
  });
  nav.append(...buttons);
  buttons[0]?.click();
}

/** Draws the page; resolves once the graph (if any) has been painted the first time. */
function start(data: ReportData): Promise<void> {
  document.title = `nsnap report — ${data.title}`;
  byId('title').textContent = data.title;
  const details = byId('details');
  const graphEl = byId('graph');
  const timelineEl = byId('timeline');
  const diffEl = byId('diff');
  let cy: cytoscape.Core | null = null;
  let drawnAs = new Map<string, string>();
  const ctx: Context = { items: new Map(), edgesOf: new Map() };
  // The diff's panel first: the graph is fitted into the room it leaves.
  if (data.diff) renderDiff(diffEl, data.diff);
  if (data.topology) {
    const { items, elements: els, drawnAs: aliases, sizes } = elements(data.topology.graph);
    ctx.items = items;
    drawnAs = aliases;
    const edgesOf = new Map<string, Edge[]>();
    for (const e of data.topology.graph.edges) for (const end of [e.source, e.target]) edgesOf.set(end, [...(edgesOf.get(end) ?? []), e]);
    ctx.edgesOf = edgesOf;
    cy = draw(graphEl, data.topology.graph, els, sizes);
    cy.on('tap', 'node, edge', (evt) => showItem(details, (evt.target as cytoscape.SingularElementArgument).id(), ctx));
    const drawn = cy;
    byId('fit').addEventListener('click', () => fit(drawn, graphEl));
  }
  const views: { name: string; show: () => void }[] = [];
  const showGraph = () => {
    graphEl.hidden = false;
    timelineEl.hidden = true;
    diffEl.hidden = data.diff === null;
    byId('fit').hidden = cy === null;
    cy?.resize();
  };
  if (data.topology) views.push({ name: data.diff ? 'Diff' : 'Topology', show: showGraph });
  if (data.timeline) {
    const timeline = data.timeline;
    // Its rows (thousands, over a long range) are made when it is first shown, not before the graph.
    let rendered = false;
    views.push({
      name: 'Timeline',
      show: () => {
        if (!rendered) {
          rendered = true;
          renderTimeline(timelineEl, timeline, (bar, row) => {
            for (const r of timelineEl.querySelectorAll('.row[aria-selected]')) r.removeAttribute('aria-selected');
            row.setAttribute('aria-selected', 'true');
            showBar(details, bar, timeline.snapshots);
          });
        }
        graphEl.hidden = true;
        diffEl.hidden = true;
        byId('fit').hidden = true;
        timelineEl.hidden = false;
      },
    });
  }
  tabs(views);
  const painted = new Promise<void>((resolve) => {
    if (!cy) resolve();
    else cy.one('render', () => requestAnimationFrame(() => resolve()));
  });

  const results = byId('results');
  byId('search').addEventListener('input', (evt) => {
    clear(results);
    for (const hit of search(ctx.items, (evt.target as HTMLInputElement).value, (_id, item) => describe(item, ctx))) {
      const li = el('li', hit.text);
      li.dataset.id = hit.id;
      li.addEventListener('click', () => {
        showGraph();
        if (cy) {
          const target = cy.getElementById(drawnAs.get(hit.id) ?? hit.id);
          cy.elements().unselect();
          target.select();
          cy.zoom(1.2);
          cy.center(target);
        }
        showItem(details, hit.id, ctx);
      });
      results.append(li);
    }
  });
  return painted;
}

const status = byId('status');
const started = performance.now();
unpack('nsnap-data')
  .then(async (data) => {
    const unpacked = performance.now();
    await start(data);
    // Where the time went (script start, data unpacked, drawn and painted): what bench/report.mjs reports.
    document.body.dataset.timings = JSON.stringify({ script: Math.round(started), unpack: Math.round(unpacked - started), draw: Math.round(performance.now() - unpacked) });
    // How long the page took to be drawn, from navigation: what bench/report.mjs reads.
    document.body.dataset.renderMs = String(Math.round(performance.now()));
    document.body.dataset.ready = 'true';
    status.textContent = '';
  })
  .catch((error: unknown) => {
    document.body.dataset.ready = 'error';
    status.textContent = `this report cannot be shown: ${(error as Error).message}`;
    throw error;
  });
