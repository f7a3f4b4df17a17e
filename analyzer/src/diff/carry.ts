import type { SnapshotDiff } from './diff.js';
import type { EndState, NamespaceState, SnapshotState } from './state.js';

/**
 * The state `history` compares the next snapshot with: `cur`, except that a
 * namespace `cur` could not capture keeps the devices of the last snapshot
 * that did, and one `cur` could not read at all (`unknown` in the diff) is
 * kept whole, with the pairs they were part of. So a change made while a
 * namespace was out of sight shows up once, when it is seen again, and
 * `carriedFrom` says since when. Only within one boot: a reboot ends every
 * namespace but the host's, whose devices are all new anyway.
 */
export function carryOver(prev: SnapshotState, cur: SnapshotState, d: Pick<SnapshotDiff, 'sameBoot' | 'namespaces' | 'gaps'>): SnapshotState {
  if (!d.sameBoot) return cur;
  const hiddenNow = new Set<number>();
  for (const g of d.gaps.uncaptured) if (g.side === 'to') hiddenNow.add(g.netns);
  const unknown = new Set(d.namespaces.unknown.map((n) => n.netns));
  if (hiddenNow.size === 0 && unknown.size === 0) return cur;

  const before = new Map(prev.namespaces.map((ns) => [ns.netns, ns]));
  const since = (ns: NamespaceState) => ns.carriedFrom ?? { id: prev.snapshot.id, takenAt: prev.snapshot.takenAt };
  const present = new Set(cur.namespaces.map((ns) => ns.netns));
  const carried = new Set<number>();
  const namespaces = cur.namespaces.map((ns) => {
    const old = before.get(ns.netns);
    if (!hiddenNow.has(ns.netns) || !old?.captured) return ns;
    carried.add(ns.netns);
    // Carried from this very object last time: the same fields again, so the same object (`history` skips a namespace that is itself on both sides).
    if (old.carriedFrom !== undefined && carriedOf.get(old) === ns) return old;
    const out = { ...ns, captured: true, interfaces: old.interfaces, carriedFrom: since(old) };
    carriedOf.set(out, ns);
    return out;
  });
  for (const inode of unknown) {
    const old = before.get(inode);
    // An inode already given to another namespace in `cur` cannot hold the old one too.
    if (!old || present.has(inode)) continue;
    carried.add(inode);
    namespaces.push({ ...old, carriedFrom: since(old) });
  }
  const touches = (e: EndState) => carried.has(e.netns);
  const kept: Pair[] = [];
  for (const p of prev.pairs) if (touches(p.a) || touches(p.b)) kept.push(p);
  return { ...cur, namespaces, pairs: dedupedOnce(cur.pairs, kept) };
}

type Pair = SnapshotState['pairs'][number];

/** The namespace state each carried one was made from. */
const carriedOf = new WeakMap<NamespaceState, NamespaceState>();

/** `dedupe` of one list and the pairs kept, once: `history` hands the same list and the same kept pairs on while no pair changes. */
const deduped = new WeakMap<Pair[], { kept: Pair[]; out: Pair[] }>();
function dedupedOnce(pairs: Pair[], kept: Pair[]): Pair[] {
  const last = deduped.get(pairs);
  if (last && last.kept.length === kept.length && last.kept.every((p, i) => p === kept[i])) return last.out;
  const out = dedupe(kept.length > 0 ? [...pairs, ...kept] : pairs);
  deduped.set(pairs, { kept, out });
  return out;
}

const endText = (e: EndState) => `${e.netns}/${e.ifindex}`;

function dedupe(pairs: { a: EndState; b: EndState }[]): { a: EndState; b: EndState }[] {
  const seen = new Set<string>();
  return pairs.filter((p) => {
    const x = endText(p.a);
    const y = endText(p.b);
    const k = x <= y ? `${x} ${y}` : `${y} ${x}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
