import type { Change } from '../answer/common.js';
import type { DiffBody, NamespaceSummary } from '../answer/diff.js';
import { matchNamespaces, sameBoot } from './identity.js';
import type { EndState, InterfaceState, NamespaceState, ProcessState, SnapshotState } from './state.js';

/** What the pure diff finds: the `diff` answer (answer/diff.ts) but for the gaps of the bundles, which the query adds. */
export type SnapshotDiff = Omit<DiffBody, 'from' | 'to' | 'gaps' | 'routing'> & {
  from: SnapshotState['snapshot'];
  to: SnapshotState['snapshot'];
  gaps: Omit<DiffBody['gaps'], 'added' | 'removed'>;
};

const FIELDS = ['kind', 'mtu', 'operstate', 'master', 'address', 'alias', 'flags', 'addresses'] as const;

/**
 * What changed between two snapshots of a host. Pure: `diff(a, a)` is empty.
 * Within one boot an interface of a matched namespace is its ifindex: the
 * same ifindex under a new name is a rename (two names swapped are two
 * renames); the same name on a new ifindex is a replacement. Across a reboot
 * ifindexes are renumbered and interfaces match by name. A namespace or
 * interface that is missing only because it could not be read is reported
 * under gaps, never as removed.
 */
export function diffSnapshots(from: SnapshotState, to: SnapshotState): SnapshotDiff {
  const match = matchNamespaces(from, to);
  const result: SnapshotDiff = {
    from: from.snapshot,
    to: to.snapshot,
    sameBoot: sameBoot(from, to),
    namespaces: { added: [], removed: [], changed: [], uncertain: [], replaced: [], unknown: [], notComparable: [] },
    interfaces: { added: [], removed: [], changed: [] },
    pairs: { added: [], removed: [] },
    gaps: { uncaptured: [], carried: [] },
  };
  for (const r of match.replaced) result.namespaces.replaced.push({ netns: r.to.netns, reason: r.reason });
  // In functions of their own: `history` runs this at every step, and V8 optimizes small ones sooner.
  const nsMap = diffMatched(result, match);
  diffUnmatched(result, match, from, to);
  diffPairs(result, from, to, nsMap);
  return result;
}

type Match = ReturnType<typeof matchNamespaces>;

/** The namespaces found on both sides: their owners and interfaces. Gives the from → to inodes, for pairs. */
function diffMatched(result: SnapshotDiff, match: Match): Map<number, number> {
  const nsMap = new Map<number, number>();
  const uncertain = match.uncertain.length > 0 ? new Map(match.uncertain.map((u) => [u.from, u.reason])) : null;
  // Loops by index here and below: `diff` runs this once per process, before V8 optimizes it, where
  // every iterator step and destructured pair is an allocation (hundreds of namespaces, thousands of links).
  for (let m = 0; m < match.matched.length; m++) {
    const pair = match.matched[m] as [NamespaceState, NamespaceState];
    const a = pair[0];
    const b = pair[1];
    nsMap.set(a.netns, b.netns);
    const changes: Record<string, Change<unknown>> = {};
    diffList(changes, 'names', a.names, b.names);
    diffList(changes, 'containers', a.containers, b.containers);
    // Every host process lives in the host namespace: their churn is not a change of owner.
    if (!a.isHost && !sameProcesses(a.processes, b.processes)) diffList(changes, 'processes', labelsOf(a.processes), labelsOf(b.processes));
    const doubt = uncertain?.get(a);
    // Written out, not spread from `summary`: `history` runs this at every step, the first thousands unoptimized.
    if (doubt !== undefined) result.namespaces.uncertain.push({ netns: b.netns, host: b.isHost, names: b.names, containers: b.containers, pids: pidsOf(b), fromNetns: a.netns, reason: doubt, changes });
    else if (hasKeys(changes)) result.namespaces.changed.push({ netns: b.netns, host: b.isHost, names: b.names, containers: b.containers, pids: pidsOf(b), fromNetns: a.netns, changes });
    if (a.carriedFrom && b.captured) result.gaps.carried.push({ netns: b.netns, since: a.carriedFrom });
    if (a.captured && b.captured) diffInterfaces(result, b.netns, a.interfaces, b.interfaces, result.sameBoot);
    else if (a.captured !== b.captured) result.gaps.uncaptured.push({ netns: a.captured ? b.netns : a.netns, side: a.captured ? 'to' : 'from' });
  }
  return nsMap;
}

/** The namespaces found on one side only: gone, gone out of sight, new, or not comparable. */
function diffUnmatched(result: SnapshotDiff, match: Match, from: SnapshotState, to: SnapshotState): void {
  const unreadableTo = new Set(to.unreadable.map(procKey));
  for (const ns of match.onlyFrom) {
    const hidden = ns.processes.find((p) => unreadableTo.has(procKey(p)));
    if (hidden) result.namespaces.unknown.push({ ...summary(ns), reason: `pid ${hidden.pid} still runs but its namespace could not be read` });
    else {
      result.namespaces.removed.push(summary(ns));
      if (ns.captured) for (const i of ns.interfaces) result.interfaces.removed.push({ netns: ns.netns, ...i });
      // Out of sight since an earlier snapshot: it went some time after that one.
      if (ns.carriedFrom) result.gaps.carried.push({ netns: ns.netns, since: ns.carriedFrom });
    }
  }
  for (const ns of match.onlyTo) {
    result.namespaces.added.push(summary(ns));
    if (ns.captured) for (const i of ns.interfaces) result.interfaces.added.push({ netns: ns.netns, ...i });
  }
  for (const ns of match.notComparable) {
    const side = from.namespaces.includes(ns) ? 'from' : 'to';
    result.namespaces.notComparable.push({ side, netns: ns.netns, pids: ns.processes.map((p) => p.pid) });
  }
}

/**
 * Pairs compare by their ends in `to`'s terms: from-side inodes mapped through the namespace match.
 * Within a boot an end is (namespace, ifindex), so renaming an end keeps the pair; across a reboot
 * ifindexes are renumbered and the name must match too. A pair with an end out of sight on the other
 * side is neither gone nor new.
 */
function diffPairs(result: SnapshotDiff, from: SnapshotState, to: SnapshotState, nsMap: Map<number, number>): void {
  const endKey = (e: EndState, map?: Map<number, number>) => `${map ? (map.get(e.netns) ?? `from:${e.netns}`) : e.netns}/${e.ifindex}${result.sameBoot ? '' : `/${e.ifname}`}`;
  const key = (p: { a: EndState; b: EndState }, map?: Map<number, number>) => {
    const x = endKey(p.a, map);
    const y = endKey(p.b, map);
    return x <= y ? `${x} ⇄ ${y}` : `${y} ⇄ ${x}`;
  };
  const fromPairs = new Map(from.pairs.map((p) => [key(p, nsMap), p]));
  const toPairs = new Map(to.pairs.map((p) => [key(p), p]));
  const hiddenTo = new Set(result.namespaces.unknown.map((n) => n.netns).concat(result.gaps.uncaptured.filter((g) => g.side === 'to').map((g) => g.netns)));
  const hiddenFrom = new Set(result.gaps.uncaptured.filter((g) => g.side === 'from').map((g) => g.netns));
  fromPairs.forEach((p, k) => {
    if (!toPairs.has(k) && !hiddenTo.has(p.a.netns) && !hiddenTo.has(p.b.netns) && !hiddenTo.has(nsMap.get(p.a.netns) ?? -1) && !hiddenTo.has(nsMap.get(p.b.netns) ?? -1)) result.pairs.removed.push(p);
  });
  toPairs.forEach((p, k) => {
    if (!fromPairs.has(k) && !hiddenFrom.has(p.a.netns) && !hiddenFrom.has(p.b.netns)) result.pairs.added.push(p);
  });
}

function diffInterfaces(result: SnapshotDiff, netns: number, before: InterfaceState[], after: InterfaceState[], boot: boolean): void {
  if (sameDevices(before, after)) {
    // Every interface is still there under its ifindex and name: only fields can have changed.
    for (let i = 0; i < before.length; i++) {
      const a = before[i] as InterfaceState;
      const b = after[i] as InterfaceState;
      // One object on both sides (`history` keeps an interface's state while its row holds): no field differs.
      if (a === b) continue;
      const changes = fieldChanges(a, b);
      if (hasKeys(changes)) result.interfaces.changed.push({ netns, ifname: b.ifname, ifindex: b.ifindex, changes });
    }
    return;
  }
  const used = new Set<InterfaceState>();
  const pending: InterfaceState[] = [];
  const matched = (a: InterfaceState, same: InterfaceState) => {
    used.add(same);
    if (same === a) return;
    const changes = boot && same.ifname !== a.ifname ? { ifname: { from: a.ifname, to: same.ifname }, ...fieldChanges(a, same) } : fieldChanges(a, same);
    if (hasKeys(changes)) result.interfaces.changed.push({ netns, ifname: same.ifname, ifindex: same.ifindex, changes });
  };
  // Within a boot an ifindex is never given to another device of the namespace: it is the device.
  // Across a reboot every device is new and renumbered: only its name carries over.
  if (boot && increasing(before) && increasing(after)) {
    // Both in ifindex order, each ifindex once (as the database lists them): the same pairs by a merge, no map.
    let j = 0;
    for (const a of before) {
      while (j < after.length && (after[j] as InterfaceState).ifindex < a.ifindex) j++;
      const same = after[j];
      if (same !== undefined && same.ifindex === a.ifindex) matched(a, same);
      else pending.push(a);
    }
  } else {
    const keyOf = (i: InterfaceState): string | number => (boot ? i.ifindex : i.ifname);
    const first = new Map<string | number, InterfaceState>(after.map((i) => [keyOf(i), i]));
    for (const a of before) {
      const same = first.get(keyOf(a));
      if (same && !used.has(same)) matched(a, same);
      else pending.push(a);
    }
  }
  // Within a boot, a name whose device is gone, now on a device that is new: the device was replaced.
  const byName = new Map<string, InterfaceState>();
  if (boot && pending.length > 0) for (const b of after) if (!used.has(b)) byName.set(b.ifname, b);
  for (const a of pending) {
    const replaced = byName.get(a.ifname);
    if (replaced && !used.has(replaced)) {
      used.add(replaced);
      result.interfaces.changed.push({ netns, ifname: replaced.ifname, ifindex: replaced.ifindex, changes: { ifindex: { from: a.ifindex, to: replaced.ifindex }, ...fieldChanges(a, replaced) } });
    } else {
      result.interfaces.removed.push({ netns, ...a });
    }
  }
  for (const b of after) if (!used.has(b)) result.interfaces.added.push({ netns, ...b });
}

/** Ifindexes strictly increasing: in order, each once. */
function increasing(list: InterfaceState[]): boolean {
  for (let i = 1; i < list.length; i++) if ((list[i] as InterfaceState).ifindex <= (list[i - 1] as InterfaceState).ifindex) return false;
  return true;
}

/**
 * The same ifindexes with the same names, in the same order, ifindexes increasing (so unique,
 * as the database lists them): what the general matching below would pair one to one.
 */
function sameDevices(before: InterfaceState[], after: InterfaceState[]): boolean {
  if (before.length !== after.length) return false;
  for (let i = 0; i < after.length; i++) {
    const a = before[i] as InterfaceState;
    const b = after[i] as InterfaceState;
    if (a.ifindex !== b.ifindex || a.ifname !== b.ifname || (i > 0 && b.ifindex <= (after[i - 1] as InterfaceState).ifindex)) return false;
  }
  return true;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function fieldChanges(a: InterfaceState, b: InterfaceState): Record<string, Change<unknown>> {
  const changes: Record<string, Change<unknown>> = {};
  for (let i = 0; i < FIELDS.length; i++) {
    const f = FIELDS[i] as (typeof FIELDS)[number];
    const x = a[f];
    const y = b[f];
    const equal = Array.isArray(x) && Array.isArray(y) ? sameSet(x, y) : x === y;
    if (!equal) changes[f] = { from: x, to: y };
  }
  return changes;
}

function diffList(changes: Record<string, Change<unknown>>, field: string, a: string[], b: string[]): void {
  if (!sameSet(a, b)) changes[field] = { from: sortedCopy(a), to: sortedCopy(b) };
}

/**
 * Each list sorted once (a state's lists are not changed once built): `history` hands a namespace's
 * lists on to the next step, where they are the `from` side. A copy each time, the answer's own.
 */
const sorted = new WeakMap<string[], string[]>();
function sortedCopy(list: string[]): string[] {
  let out = sorted.get(list);
  if (!out) sorted.set(list, (out = [...list].sort()));
  return out.slice();
}

function sameSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  // Usually nothing changed, in the same order: no need for the set (JSON text per element).
  let same = 0;
  while (same < a.length && a[same] === b[same]) same++;
  if (same === a.length) return true;
  // Lists of texts (names, labels, flags) compare as they are; anything else by its JSON text.
  const key = a.every((x) => typeof x === 'string') && b.every((x) => typeof x === 'string') ? (x: unknown) => x : (x: unknown) => JSON.stringify(x);
  const s = new Set(a.map(key));
  return b.every((x) => s.has(key(x)));
}

/** Same pids and comms in the same order: then their labels are the same too. */
function sameProcesses(a: ProcessState[], b: ProcessState[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] as ProcessState).pid !== (b[i] as ProcessState).pid || (a[i] as ProcessState).comm !== (b[i] as ProcessState).comm) return false;
  return true;
}

const procLabel = (p: ProcessState) => `${p.pid} ${p.comm ?? '?'}`;

/** Each list's labels made once (a state's lists are not changed once built): `history` hands a namespace's list on to the next step, where it is the `from` side. */
const labels = new WeakMap<ProcessState[], string[]>();
function labelsOf(list: ProcessState[]): string[] {
  let out = labels.get(list);
  if (!out) labels.set(list, (out = list.map(procLabel)));
  return out;
}
const procKey = (p: ProcessState) => `${p.pid}:${p.startTime}`;

function summary(ns: NamespaceState): NamespaceSummary {
  return { netns: ns.netns, host: ns.isHost, names: ns.names, containers: ns.containers, pids: pidsOf(ns) };
}

const pidsOf = (ns: NamespaceState): number[] => ns.processes.map((p) => p.pid);

/** True when nothing changed: what `history` counts and `diff` exits on. */
export function isEmptyDiff(d: SnapshotDiff): boolean {
  return changeCount(d) === 0;
}

export function changeCount(d: SnapshotDiff): number {
  return (
    d.namespaces.added.length + d.namespaces.removed.length + d.namespaces.changed.length +
    d.interfaces.added.length + d.interfaces.removed.length + d.interfaces.changed.length +
    d.pairs.added.length + d.pairs.removed.length
  );
}
