import { placeholderId, type Box } from './model.js';
import type { Graph } from './topology.js';

/** Sizes in cytoscape's model units; the page's styles draw nodes this size (ui/style.ts). */
export const NODE_W = 150;
export const ROW_H = 34;
const HEADER = 36;
const CELL_W = NODE_W + 60;
const GAP = 40;
const GROUP_GAP = 120;

type Point = { x: number; y: number };

/**
 * Positions for every node, computed here rather than by a force layout: at
 * 400 namespaces a force layout is a hairball, and it moves between runs.
 * The host's bridges and other devices form a row in the middle; the
 * namespaces hanging off each of them (by a veth whose host end is folded
 * into the edge) form a square grid below it, group after group in the
 * row's order; namespaces joined to nothing in the host form a grid above,
 * and those among them joined to each other are the leftovers the page may
 * lay out with fcose. The same graph always gets the same positions.
 */
export function layout(graph: Graph): { positions: Record<string, Point>; leftovers: string[] } {
  const positions: Record<string, Point> = {};
  const host = graph.boxes.find((b) => b.owner.host && b.status !== 'removed') ?? null;
  const portBox = new Map<string, Box>();
  for (const b of graph.boxes) for (const p of b.interfaces) portBox.set(p.id, b);

  // The host's row; its anchors (ports, then the box itself for veths without a master) in that order.
  const anchors: string[] = [];
  if (host) {
    const n = host.interfaces.length;
    host.interfaces.forEach((p, i) => {
      positions[p.id] = { x: (i - (n - 1) / 2) * CELL_W, y: 0 };
      anchors.push(p.id);
    });
    if (n === 0) positions[placeholderId(host.id)] = { x: 0, y: 0 };
    anchors.push(host.id);
  }
  const hostNodes = new Set(host ? [host.id, ...host.interfaces.map((p) => p.id)] : []);
  const anchorOf = new Map<Box, string>();
  for (const e of graph.edges) {
    if (e.kind !== 'veth') continue;
    const [hostEnd, other] = hostNodes.has(e.source) ? [e.source, e.target] : hostNodes.has(e.target) ? [e.target, e.source] : [null, null];
    const box = other !== null ? portBox.get(other) : undefined;
    if (hostEnd !== null && box && box !== host && !anchorOf.has(box)) anchorOf.set(box, hostEnd);
  }
  const groups = new Map<string, Box[]>(anchors.map((a) => [a, []]));
  const loose: Box[] = [];
  for (const b of graph.boxes) {
    if (b === host) continue;
    const a = anchorOf.get(b);
    if (a !== undefined) groups.get(a)?.push(b);
    else loose.push(b);
  }

  // Groups side by side below the host's row, the whole row centred under it.
  const blocks = [...groups.values()].filter((g) => g.length > 0).map((g) => grid(g));
  const total = blocks.reduce((w, b) => w + b.width, 0) + GROUP_GAP * Math.max(0, blocks.length - 1);
  let x = -total / 2;
  for (const block of blocks) {
    block.place(x, HEADER + GROUP_GAP, positions);
    x += block.width + GROUP_GAP;
  }
  if (loose.length > 0) {
    const block = grid(loose);
    block.place(-block.width / 2, -GROUP_GAP - block.height, positions);
  }

  const looseIds = new Set(loose.flatMap((b) => b.interfaces.map((p) => p.id)));
  const leftovers = new Set<string>();
  for (const e of graph.edges) {
    if (looseIds.has(e.source) && looseIds.has(e.target)) {
      leftovers.add(e.source);
      leftovers.add(e.target);
    }
  }
  return { positions, leftovers: [...leftovers].sort() };
}

/** Boxes in a square grid of cells, each row as tall as its tallest box. */
function grid(boxes: Box[]): { width: number; height: number; place: (left: number, top: number, out: Record<string, Point>) => void } {
  const cols = Math.ceil(Math.sqrt(boxes.length));
  const rows: Box[][] = [];
  for (let i = 0; i < boxes.length; i += cols) rows.push(boxes.slice(i, i + cols));
  const heights = rows.map((r) => Math.max(...r.map((b) => HEADER + Math.max(1, b.interfaces.length) * ROW_H)) + GAP);
  return {
    width: cols * CELL_W,
    height: heights.reduce((a, b) => a + b, 0),
    place(left, top, out) {
      let y = top;
      rows.forEach((row, r) => {
        row.forEach((b, c) => {
          const cx = left + c * CELL_W + CELL_W / 2;
          if (b.interfaces.length === 0) out[placeholderId(b.id)] = { x: cx, y: y + HEADER };
          b.interfaces.forEach((p, k) => (out[p.id] = { x: cx, y: y + HEADER + k * ROW_H }));
        });
        y += heights[r] as number;
      });
    },
  };
}
