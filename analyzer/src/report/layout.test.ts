import { describe, expect, it } from 'vitest';
import { layout } from './layout.js';
import { placeholderId, type Box, type Edge, type OwnerFacts, type Port } from './model.js';
import type { Graph } from './topology.js';

const owner = (netns: number, host = false): OwnerFacts => ({ netns, host, captured: true, problem: null, names: [], mounts: [], processes: [], containers: [] });
const port = (netns: number, ifindex: number, kind: string | null = 'veth'): Port => ({
  id: `if:${netns}:${ifindex}`,
  facts: { ifname: `if${ifindex}`, ifindex, kind, mtu: 1500, operstate: 'UP', master: null, address: null, alias: null, addresses: [] },
  status: 'same',
  notes: [],
  unpaired: null,
});
const box = (netns: number, ports: Port[], host = false): Box => ({ id: `ns:${netns}`, owner: owner(netns, host), status: 'same', notes: [], interfaces: ports });
const veth = (source: string, target: string): Edge => ({ id: `veth:${source}|${target}`, kind: 'veth', source, target, status: 'same', via: null, method: 'nsid-map', label: '' });

/** A host with two bridges, `pods` namespaces split over them, two namespaces joined only to each other, and one with nothing. */
function docker(pods: number): Graph {
  const host = box(1, [port(1, 2, 'bridge'), port(1, 3, 'bridge'), port(1, 4, null)], true);
  const boxes = [host];
  const edges: Edge[] = [];
  for (let i = 0; i < pods; i++) {
    const netns = 1000 + i;
    boxes.push(box(netns, [port(netns, 2)]));
    edges.push(veth(i % 3 === 0 ? 'if:1:3' : 'if:1:2', `if:${netns}:2`));
  }
  boxes.push(box(50, [port(50, 2)]), box(51, [port(51, 2)]), box(52, []));
  edges.push(veth('if:50:2', 'if:51:2'));
  return { boxes, edges };
}

type Rect = { x1: number; y1: number; x2: number; y2: number };

describe('the report layout', () => {
  it('is the same for the same graph, and places every box, interface and placeholder', () => {
    const g = docker(400);
    const first = layout(g);
    expect(layout(docker(400))).toEqual(first);
    for (const b of g.boxes) {
      expect(first.positions[b.id], b.id).toBeDefined();
      expect(first.sizes[b.id], b.id).toBeDefined();
      for (const p of b.interfaces) expect(first.positions[p.id], p.id).toBeDefined();
      if (b.interfaces.length === 0) expect(first.positions[placeholderId(b.id)]).toBeDefined();
    }
  });

  it('never lays two boxes over each other, and keeps every interface inside its box', () => {
    const g = docker(400);
    const { positions, sizes } = layout(g);
    const rects = new Map<string, Rect>();
    for (const b of g.boxes) {
      const p = positions[b.id]!;
      const s = sizes[b.id]!;
      rects.set(b.id, { x1: p.x - s.w / 2, y1: p.y - s.h / 2, x2: p.x + s.w / 2, y2: p.y + s.h / 2 });
      for (const i of b.interfaces) {
        const q = positions[i.id]!;
        const r = rects.get(b.id)!;
        expect(q.x > r.x1 && q.x < r.x2 && q.y > r.y1 && q.y < r.y2, `${i.id} in ${b.id}`).toBe(true);
      }
    }
    // Sorted by left edge, each box compared with those that start before it ends: linear enough for 400.
    const sorted = [...rects].sort((a, b) => a[1].x1 - b[1].x1);
    for (let i = 0; i < sorted.length; i++) {
      const [ida, a] = sorted[i]!;
      for (let j = i + 1; j < sorted.length && sorted[j]![1].x1 < a.x2; j++) {
        const [idb, b] = sorted[j]!;
        expect(a.y2 <= b.y1 || b.y2 <= a.y1, `${ida} overlaps ${idb}`).toBe(true);
      }
    }
  });

  it('keeps each bridge\'s namespaces together, nearer to the host than a grid of 400 would be', () => {
    const g = docker(400);
    const { positions } = layout(g);
    const dist = (id: string) => Math.hypot(positions[id]!.x, positions[id]!.y);
    const pods = g.boxes.filter((b) => b.id.startsWith('ns:1') && b.id !== 'ns:1');
    // Rings around the host: the farthest pod is within ~11 rings (400 cells) of it, not 20 rows below.
    expect(Math.max(...pods.map((b) => dist(b.id)))).toBeLessThan(12 * 210);
    // One wedge per bridge: the angles of one group form one run (at most one wrap-around).
    const angle = (id: string) => Math.atan2(positions[id]!.y, positions[id]!.x);
    const groupOf = (b: Box) => (Number(b.id.slice(3)) - 1000) % 3 === 0;
    const byAngle = [...pods].sort((a, b) => angle(a.id) - angle(b.id)).map(groupOf);
    const switches = byAngle.filter((v, i) => i > 0 && v !== byAngle[i - 1]).length;
    expect(switches).toBeLessThanOrEqual(2);
  });

  it('hands over as leftovers only the namespaces joined to each other and not to the host', () => {
    expect(layout(docker(10)).leftovers).toEqual(['ns:50', 'ns:51']);
    expect(layout(docker(0)).leftovers).toEqual(['ns:50', 'ns:51']);
  });
});
