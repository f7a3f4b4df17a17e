import type { DiffAnswer as DiffResult } from '../answer/diff.js';
import type { EndView, PeersAnswer as PeersResult } from '../answer/peers.js';
import type { InterfaceView, NamespaceView, ShowAnswer as ShowResult } from '../answer/show.js';
import type { Box, Edge, InterfaceFacts, OwnerFacts, Port, Status } from './model.js';

/** A topology before layout: what layout.ts positions. */
export interface Graph {
  boxes: Box[];
  edges: Edge[];
}

const boxId = (netns: number, gone = false) => `${gone ? 'gone:' : ''}ns:${netns}`;
const portId = (netns: number, ifindex: number, gone = false) => `${gone ? 'gone:' : ''}if:${netns}:${ifindex}`;

export function ownerFacts(ns: Omit<NamespaceView, 'interfaces'>): OwnerFacts {
  return {
    netns: ns.netns,
    host: ns.host,
    captured: ns.captured,
    problem: ns.problem,
    names: ns.names,
    mounts: ns.mounts,
    processes: ns.processes.map((p) => ({ pid: p.pid, comm: p.comm })),
    containers: ns.containers.map((c) => ({ runtime: c.runtime, id: c.id, podUid: c.podUid })),
  };
}

function interfaceFacts(i: Partial<InterfaceView> & { ifname: string; ifindex: number }): InterfaceFacts {
  return {
    ifname: i.ifname,
    ifindex: i.ifindex,
    kind: i.kind ?? null,
    mtu: i.mtu ?? null,
    operstate: i.operstate ?? null,
    master: i.master ?? null,
    address: i.address ?? null,
    alias: i.alias ?? null,
    addresses: i.addresses ?? [],
  };
}

/** One snapshot's drawing input: the answers of `show` and `peers` for it. */
interface Side {
  show: ShowResult;
  peers: PeersResult;
}

/**
 * The topology of one snapshot: a box per namespace with its interfaces (but
 * lo), an edge per veth pair and lower device. A host-side veth is folded
 * into its pair's edge, which then starts at the veth's bridge (its master)
 * or at the host's box: at 400 pods, 400 host veths drawn as nodes would
 * hide the bridges they hang off.
 */
export function snapshotGraph(side: Side): Graph {
  return build(side, null);
}

/**
 * The later snapshot of a diff drawn with what the diff says: added and
 * changed elements marked, removed namespaces, interfaces and pairs of the
 * earlier snapshot drawn back in (as `gone:` elements), all from the diff's
 * own answer, so the page shows exactly what `nsnap diff` says.
 */
export function diffGraph(from: Side, to: Side, diff: DiffResult): Graph {
  return build(to, { from, diff });
}

function build(side: Side, against: { from: Side; diff: DiffResult } | null): Graph {
  const d = against?.diff;
  const nsStatus = new Map<number, { status: Status; notes: string[] }>();
  const ifStatus = new Map<string, { status: Status; notes: string[] }>();
  if (d) {
    for (const n of d.namespaces.added) nsStatus.set(n.netns, { status: 'added', notes: [] });
    for (const n of d.namespaces.changed) nsStatus.set(n.netns, { status: 'changed', notes: changeNotes(n.changes) });
    for (const n of d.namespaces.uncertain) nsStatus.set(n.netns, { status: 'changed', notes: [`uncertain: ${n.reason}`, ...changeNotes(n.changes)] });
    for (const i of d.interfaces.added) ifStatus.set(portId(i.netns, i.ifindex), { status: 'added', notes: [] });
    for (const i of d.interfaces.changed) ifStatus.set(portId(i.netns, i.ifindex), { status: 'changed', notes: changeNotes(i.changes) });
  }
  const boxes: Box[] = [];
  const byBox = new Map<string, Box>();
  const hostOf = (show: ShowResult) => show.namespaces.find((n) => n.host) ?? null;
  const folded = new Set<string>();
  for (const p of side.peers.pairs) if (foldable(p.a, p.b)) folded.add(portId(p.a.netns, p.a.ifindex));

  for (const ns of side.show.namespaces) {
    const s = nsStatus.get(ns.netns);
    const box: Box = { id: boxId(ns.netns), owner: ownerFacts(ns), status: s?.status ?? 'same', notes: s?.notes ?? [], interfaces: [] };
    for (const i of shownInterfaces(ns)) {
      const id = portId(ns.netns, i.ifindex);
      if (folded.has(id)) continue;
      const st = ifStatus.get(id);
      box.interfaces.push({ id, facts: interfaceFacts(i), status: st?.status ?? (box.status === 'added' ? 'added' : 'same'), notes: st?.notes ?? [], unpaired: null });
    }
    boxes.push(box);
    byBox.set(box.id, box);
  }
  const ports = new Map<string, Port>();
  for (const b of boxes) for (const p of b.interfaces) ports.set(p.id, p);
  for (const u of side.peers.unpaired) {
    const p = ports.get(portId(u.netns, u.ifindex));
    if (p) p.unpaired = { reason: u.reason, detail: u.detail };
  }

  const edges: Edge[] = [];
  const added = new Set((d?.pairs.added ?? []).map((p) => pairKey(p.a, p.b)));
  const toHost = hostOf(side.show);
  const facts = factsIndex(side.show);
  for (const p of side.peers.pairs) {
    const status: Status = added.has(pairKey(p.a, p.b)) ? 'added' : 'same';
    edges.push(vethEdge(p.a, p.b, p.method, status, facts, toHost));
  }
  for (const l of side.peers.lowers) {
    if (!l.target) continue;
    edges.push({ id: `lower:${portId(l.end.netns, l.end.ifindex)}`, kind: 'lower', source: portId(l.end.netns, l.end.ifindex), target: portId(l.target.netns, l.target.ifindex), status: 'same', via: null, method: l.method, label: `${l.end.kind ?? 'lower'} parent` });
  }

  if (against && d) {
    const fromFacts = factsIndex(against.from.show);
    const fromNs = new Map(against.from.show.namespaces.map((n) => [n.netns, n]));
    const removedNs = new Set(d.namespaces.removed.map((n) => n.netns));
    // A from-side inode as the later snapshot knows it: the diff's match for changed ones, else the inode itself.
    const toInode = new Map<number, number>();
    for (const n of [...d.namespaces.changed, ...d.namespaces.uncertain]) toInode.set(n.fromNetns, n.netns);
    for (const n of d.namespaces.removed) {
      const ns = fromNs.get(n.netns);
      if (!ns) continue;
      const box: Box = { id: boxId(n.netns, true), owner: ownerFacts(ns), status: 'removed', notes: [], interfaces: [] };
      boxes.push(box);
      byBox.set(box.id, box);
    }
    // Out of sight in the later snapshot, not gone: drawn as unknown, with why.
    for (const n of d.namespaces.unknown) {
      const ns = fromNs.get(n.netns);
      if (!ns || byBox.has(boxId(n.netns))) continue;
      const box: Box = { id: boxId(n.netns, true), owner: { ...ownerFacts(ns), captured: false, problem: n.reason }, status: 'changed', notes: [`unknown: ${n.reason}`], interfaces: [] };
      boxes.push(box);
      byBox.set(box.id, box);
    }
    const fromFolded = new Set<string>();
    for (const p of against.from.peers.pairs) if (foldable(p.a, p.b)) fromFolded.add(`${p.a.netns}:${p.a.ifindex}`);
    for (const i of d.interfaces.removed) {
      if (fromFolded.has(`${i.netns}:${i.ifindex}`) || i.ifname === 'lo') continue;
      const gone = removedNs.has(i.netns);
      const box = byBox.get(boxId(i.netns, gone));
      if (!box) continue;
      const port: Port = { id: portId(i.netns, i.ifindex, true), facts: interfaceFacts(i), status: 'removed', notes: [], unpaired: null };
      box.interfaces.push(port);
      ports.set(port.id, port);
    }
    const fromHost = hostOf(against.from.show);
    const fromPairs = new Map(against.from.peers.pairs.map((p) => [pairKey(p.a, p.b), p]));
    for (const r of d.pairs.removed) {
      const p = fromPairs.get(pairKey(r.a, r.b));
      if (!p) continue;
      // Ends in the later snapshot's terms: a removed device is drawn as such, one still there is its own node.
      const endId = (e: EndView): string => {
        if (removedNs.has(e.netns)) return portId(e.netns, e.ifindex, true);
        const id = portId(toInode.get(e.netns) ?? e.netns, e.ifindex);
        return ports.has(id) ? id : portId(toInode.get(e.netns) ?? e.netns, e.ifindex, true);
      };
      const edge = vethEdge(p.a, p.b, p.method, 'removed', fromFacts, fromHost);
      const source = edge.via ? edge.source : endId(p.a);
      const target = endId(p.b);
      if (source && target) edges.push({ ...edge, source, target });
    }
  }
  // An edge is drawn only between nodes that are drawn: a lower device's parent may be lo or hidden.
  const drawn = new Set<string>([...byBox.keys(), ...ports.keys()]);
  return { boxes, edges: edges.filter((e) => drawn.has(e.source) && drawn.has(e.target)) };
}

/** Both ends by netns and ifindex, in a fixed order: a pair's identity within one answer. */
function pairKey(a: { netns: number; ifindex: number }, b: { netns: number; ifindex: number }): string {
  const x = `${a.netns}/${a.ifindex}`;
  const y = `${b.netns}/${b.ifindex}`;
  return x <= y ? `${x}|${y}` : `${y}|${x}`;
}

/** A host end paired with a non-host end (the host end comes first, as `peers` lists them). */
const foldable = (a: EndView, b: EndView) => a.owner.host && !b.owner.host;

function vethEdge(a: EndView, b: EndView, method: string, status: Status, facts: Map<string, InterfaceView>, host: NamespaceView | null): Edge {
  const idOf = (e: EndView) => portId(e.netns, e.ifindex);
  const id = `${status === 'removed' ? 'gone:' : ''}veth:${pairKey(a, b)}`;
  if (!foldable(a, b)) return { id, kind: 'veth', source: idOf(a), target: idOf(b), status, via: null, method, label: '' };
  const via = facts.get(`${a.netns}:${a.ifindex}`);
  const master = a.master !== null && host ? host.interfaces.find((i) => i.ifname === a.master) : undefined;
  const source = master ? portId(host!.netns, master.ifindex) : boxId(a.netns);
  return { id, kind: 'veth', source, target: portId(b.netns, b.ifindex), status, via: via ? interfaceFacts(via) : interfaceFacts({ ifname: a.ifname, ifindex: a.ifindex, kind: a.kind, master: a.master }), method, label: a.ifname };
}

function factsIndex(show: ShowResult): Map<string, InterfaceView> {
  const m = new Map<string, InterfaceView>();
  for (const ns of show.namespaces) for (const i of ns.interfaces) m.set(`${ns.netns}:${i.ifindex}`, i);
  return m;
}

/** Every interface but loopback: each namespace has one, and it is never the answer. */
function shownInterfaces(ns: NamespaceView): InterfaceView[] {
  return ns.interfaces.filter((i) => i.linkType !== 'loopback');
}

function changeNotes(changes: Record<string, { from: unknown; to: unknown }>): string[] {
  return Object.entries(changes).map(([field, c]) => `${field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
}
