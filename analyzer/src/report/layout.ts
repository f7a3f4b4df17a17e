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
type Size = { w: number; h: number };

/** A box around `ports` interfaces whose first one is centred `HEADER` below its top. */
const boxHeight = (ports: number) => HEADER + (Math.max(1, ports) - 1) * ROW_H + ROW_H / 2 + 8;

/**
 * Positions for every node, computed here rather than by a force layout: at
 * 400 namespaces a force layout is a hairball, and it moves between runs.
 * The host's bridges and other devices form a row in the middle; the
 * namespaces hanging off each of them (by a veth whose host end is folded
 * into the edge) fill a wedge of square rings of cells around it, group
 * after group in the row's order, so each bridge is the centre of its star;
 * namespaces joined to nothing in the host form a grid above,
 * and those among them joined to each other are the leftovers (box ids) the
 * page lays out with fcose. The same graph always gets the same positions.
 */
export function layout(graph: Graph): { positions: Record<string, Point>; sizes: Record<string, Size>; leftovers: string[] } {
  const positions: Record<string, Point> = {};
  const sizes: Record<string, Size> = {};
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
    sizes[host.id] = { w: Math.max(1, n) * CELL_W - 20, h: boxHeight(1) };
    positions[host.id] = { x: 0, y: -HEADER + boxHeight(1) / 2 };
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

  // Every group a wedge of square rings around the host: stars around their bridges, short edges.
  const grouped = [...groups.values()].filter((g) => g.length > 0);
  const all = grouped.flat();
  const cell = { w: CELL_W, h: Math.max(0, ...all.map((b) => boxHeight(b.interfaces.length))) + GAP };
  const core = host ? (sizes[host.id] as Size) : { w: 0, h: 0 };
  const cells = ringCells(all.length, core, cell);
  let next = 0;
  for (const g of grouped) {
    // The group's wedge, filled from the inside out.
    const wedge = cells.slice(next, next + g.length).sort((a, b) => a.ring - b.ring || a.angle - b.angle);
    next += g.length;
    g.forEach((b, i) => placeBox(b, wedge[i] as Cell, positions, sizes));
  }
  if (loose.length > 0) {
    const block = grid(loose);
    const top = Math.min(-core.h / 2, ...cells.map((c) => c.y - cell.h / 2));
    block.place(-block.width / 2, top - GROUP_GAP - block.height, positions, sizes);
  }

  // Loose namespaces joined to each other (ns↔ns veths): the page may move them, box by box, with fcose.
  const looseOf = new Map<string, Box>();
  for (const b of loose) for (const p of b.interfaces) looseOf.set(p.id, b);
  const leftovers = new Set<string>();
  for (const e of graph.edges) {
    const a = looseOf.get(e.source);
    const b = looseOf.get(e.target);
    if (a && b && a !== b) leftovers.add(a.id).add(b.id);
  }
  return { positions, sizes, leftovers: [...leftovers].sort() };
}

type Cell = { x: number; y: number; ring: number; angle: number };

/**
 * `count` cells around a central rectangle (the host), in square rings of
 * cells, inner rings first; of the last ring, cells spread evenly over it.
 * Sorted by angle, from the west through the north, so that a run of them
 * is a wedge.
 */
function ringCells(count: number, core: Size, cell: Size): Cell[] {
  const cx = Math.ceil(core.w / 2 / cell.w - 0.5);
  const cy = Math.ceil(core.h / 2 / cell.h - 0.5);
  const out: Cell[] = [];
  for (let k = 1; out.length < count; k++) {
    const ring: Cell[] = [];
    const nx = cx + k;
    const ny = cy + k;
    for (let r = -ny; r <= ny; r++) {
      for (let c = -nx; c <= nx; c++) {
        if (Math.abs(c) !== nx && Math.abs(r) !== ny) continue;
        const x = c * cell.w;
        const y = r * cell.h;
        ring.push({ x, y, ring: k, angle: (Math.atan2(y, x) + 2 * Math.PI) % (2 * Math.PI) });
      }
    }
    // Angles from the east, clockwise on screen: from the west instead.
    for (const c of ring) c.angle = (c.angle + Math.PI) % (2 * Math.PI);
    ring.sort((a, b) => a.angle - b.angle);
    const need = count - out.length;
    if (need >= ring.length) out.push(...ring);
    else for (let i = 0; i < need; i++) out.push(ring[Math.floor((i * ring.length) / need)] as Cell);
  }
  return out.sort((a, b) => a.angle - b.angle || a.ring - b.ring);
}

/** A box centred on a point, its interfaces one under another below its label. */
function placeBox(b: Box, at: { x: number; y: number }, out: Record<string, Point>, sizes: Record<string, Size>): void {
  const h = boxHeight(b.interfaces.length);
  const top = at.y - h / 2;
  sizes[b.id] = { w: CELL_W - 20, h };
  out[b.id] = { x: at.x, y: at.y };
  if (b.interfaces.length === 0) out[placeholderId(b.id)] = { x: at.x, y: top + HEADER };
  b.interfaces.forEach((p, k) => (out[p.id] = { x: at.x, y: top + HEADER + k * ROW_H }));
}

/** Boxes in a square grid of cells, each row as tall as its tallest box. */
function grid(boxes: Box[]): { width: number; height: number; place: (left: number, top: number, out: Record<string, Point>, sizes: Record<string, Size>) => void } {
  const cols = Math.ceil(Math.sqrt(boxes.length));
  const rows: Box[][] = [];
  for (let i = 0; i < boxes.length; i += cols) rows.push(boxes.slice(i, i + cols));
  const heights = rows.map((r) => Math.max(...r.map((b) => boxHeight(b.interfaces.length))) + GAP);
  return {
    width: cols * CELL_W,
    height: heights.reduce((a, b) => a + b, 0),
    place(left, top, out, sizes) {
      let y = top;
      rows.forEach((row, r) => {
        row.forEach((b, c) => placeBox(b, { x: left + c * CELL_W + CELL_W / 2, y: y + boxHeight(b.interfaces.length) / 2 }, out, sizes));
        y += heights[r] as number;
      });
    },
  };
}
