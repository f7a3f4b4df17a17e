import type { Database } from 'better-sqlite3';
import type { DiffBody } from '../answer/diff.js';
import type { HistoryCounts, HistoryStep } from '../answer/history.js';
import type { DiffOwners } from './diff-snapshots.js';
import { diffLoaded, label, type LoadedSnapshot } from './diff-snapshots.js';
import { sweepStates, type Touched } from './history-sweep.js';
import { carryOver } from '../diff/carry.js';
import { judgeSameInode, sameBoot } from '../diff/identity.js';
import type { NamespaceState, SnapshotState } from '../diff/state.js';
import { RANGE_SQL, resolveHost, selectSnapshot, type SnapshotRef } from './select.js';

export interface HistoryRange {
  host: string;
  /** Oldest first: the snapshot in force at --since (if any), then every snapshot up to --until. */
  snapshots: SnapshotRef[];
}

/** The snapshots `history` walks: those of one host in [since, until], plus the one in force at `since` as the baseline. */
export function historyRange(db: Database, host: string | null, since: string | null, until: string | null): HistoryRange {
  const h = resolveHost(db, host, 'history');
  let from = '';
  let baselineRow: number | null = null;
  if (since !== null) {
    const earliest = db.prepare('SELECT min(taken_at) FROM snapshots WHERE host = ?').pluck().get(h.id) as string | null;
    // Before the first snapshot there is no baseline: start at the first one.
    if (earliest !== null && earliest <= since) {
      const baseline = selectSnapshot(db, { snapshot: `@${since}`, host: h.label });
      from = baseline.takenAt;
      baselineRow = baseline.row;
    } else from = since;
  }
  const snapshots = db.prepare(RANGE_SQL).all({ host: h.id, since: from, until: until ?? '9999' }) as SnapshotRef[];
  // A snapshot taken at the same time as the baseline but before it (in row order) was no longer in
  // force at --since: the range starts at the baseline itself.
  const start = baselineRow === null ? 0 : snapshots.findIndex((s) => s.row === baselineRow);
  return { host: h.label, snapshots: start > 0 ? snapshots.slice(start) : snapshots };
}

export const countChanges = (d: Pick<DiffBody, 'namespaces' | 'interfaces' | 'pairs'> & Partial<Pick<DiffBody, 'routing'>>): HistoryCounts => ({
  namespaces: { added: d.namespaces.added.length, removed: d.namespaces.removed.length, changed: d.namespaces.changed.length, uncertain: d.namespaces.uncertain.length },
  interfaces: { added: d.interfaces.added.length, removed: d.interfaces.removed.length, changed: d.interfaces.changed.length },
  pairs: { added: d.pairs.added.length, removed: d.pairs.removed.length },
  routing: { changed: d.routing?.changed.length ?? 0 },
});

/**
 * Diffs each consecutive pair of snapshots and hands each step over as soon as
 * it is known so output streams on long runs. The snapshots' states come from
 * the intervals, each span read once (`sweepStates`), unless `states` gives
 * them otherwise (one `loadForDiff` per snapshot gives the same). A namespace a
 * snapshot could not capture is compared, in the next step, from its last
 * captured state (`carryOver`). A step of the sweep diffs only the namespaces
 * it names as touched (`stepScope`): the others are the same objects on both
 * sides, and the diff of a namespace with itself is empty.
 */
export function walkHistory(
  db: Database,
  snapshots: SnapshotRef[],
  options: { verbose: boolean; withOwners: boolean },
  onStep: (step: HistoryStep, owners: DiffOwners | null, done: number) => void,
  // Without -v a step says nothing of the bundles' gaps: they are not read.
  states: Iterable<LoadedSnapshot & { touched?: Touched }> = sweepStates(db, snapshots, options.withOwners, options.verbose),
): void {
  const loaded = states[Symbol.iterator]();
  const first = loaded.next();
  if (first.done) return;
  let prev: LoadedSnapshot = first.value;
  for (let i = 1; i < snapshots.length; i++) {
    const cur = loaded.next().value as LoadedSnapshot & { touched?: Touched };
    const scope = cur.touched ? stepScope(prev.state, cur.state, cur.touched) : null;
    // Diffed whole, a swept step gets objects of its own: the diff tells sides apart by object (`notComparable`).
    const d = scope ? diffLoaded(within(prev, scope), within(cur, scope)) : diffLoaded(prev, cur.touched ? apart(cur) : cur);
    const uncaptured = d.gaps.uncaptured.filter((g) => g.side === 'to').map((g) => g.netns);
    const unreadable = d.namespaces.unknown.map((n) => n.netns);
    // Keys set one by one, in this order, rather than spread: this runs at every step, the first thousands unoptimized.
    const step: HistoryStep = { from: label(prev.ref), to: label(cur.ref), sameBoot: d.sameBoot, counts: countChanges(d) };
    if (uncaptured.length + unreadable.length > 0) step.gap = { uncaptured, unreadable };
    if (d.gaps.carried.length > 0) step.carried = d.gaps.carried;
    if (options.verbose) step.diff = d;
    onStep(step, prev.owners && cur.owners ? { from: prev.owners, to: cur.owners } : null, i);
    const state = carryOver(prev.state, cur.state, d);
    prev = state === cur.state ? cur : { ...cur, state };
  }
}

/** The snapshot with namespace objects of its own, none shared with the snapshot before. */
const apart = (s: LoadedSnapshot): LoadedSnapshot => ({ ...s, state: { ...s.state, namespaces: s.state.namespaces.map((ns) => ({ ...ns })) } });

/** A loaded snapshot cut down to the namespaces and pairs of `scope` (what `diffLoaded` reads of it). */
function within(s: LoadedSnapshot, scope: StepScope): LoadedSnapshot {
  const namespaces = s.state.namespaces.filter((ns) => scope.namespaces.has(ns.netns));
  const pairs = s.state.pairs.filter((p) => scope.pairs.has(p));
  return { ref: s.ref, state: { snapshot: s.state.snapshot, namespaces, pairs, unreadable: s.state.unreadable }, gaps: s.gaps, owners: s.owners, routing: s.routing };
}

export interface StepScope {
  /** The namespaces to diff (inodes). */
  namespaces: ReadonlySet<number>;
  /** The pairs to diff (objects of either side): both their ends are in `namespaces`. */
  pairs: ReadonlySet<Pair>;
}

type Pair = SnapshotState['pairs'][number];

/**
 * A process (pid and start time) in both, found by walking both lists in pid order as they are
 * loaded: the first rule of `judgeSameInode`, which then says `same`. False only means not found so.
 */
function sameProcess(a: NamespaceState, b: NamespaceState): boolean {
  let i = 0;
  let j = 0;
  while (i < a.processes.length && j < b.processes.length) {
    const x = a.processes[i] as NamespaceState['processes'][number];
    const y = b.processes[j] as NamespaceState['processes'][number];
    if (x.pid < y.pid) i++;
    else if (x.pid > y.pid) j++;
    else if (x.startTime !== null && x.startTime === y.startTime) return true;
    else {
      i++;
      j++;
    }
  }
  return false;
}

/** Namespaces whose diff with themselves is not empty: an inode with no evidence either way is `uncertain` at every step. */
const selfDoubt = new WeakMap<NamespaceState, boolean>();
const doubtful = (ns: NamespaceState) => {
  let v = selfDoubt.get(ns);
  // A process with a start time is in common with itself: the judgement's first rule says `same`.
  if (v === undefined) selfDoubt.set(ns, (v = !ns.processes.some((p) => p.startTime !== null) && judgeSameInode(ns, ns).verdict !== 'same'));
  return v;
};

/**
 * Of one side's namespaces, how many are the host's, and those always in a step's scope: carried over
 * a gap, or doubting themselves. Once per list: this step's `cur` list is the next step's `prev`.
 */
const scopeBase = new WeakMap<NamespaceState[], { hosts: number; netns: number[] }>();
function alwaysInScope(namespaces: NamespaceState[]): { hosts: number; netns: number[] } {
  let base = scopeBase.get(namespaces);
  if (base) return base;
  base = { hosts: 0, netns: [] };
  for (const ns of namespaces) {
    if (ns.isHost) base.hosts += 1;
    if (ns.carriedFrom !== undefined || (!ns.isHost && doubtful(ns))) base.netns.push(ns.netns);
  }
  scopeBase.set(namespaces, base);
  return base;
}

/**
 * What a step must diff so that the answer is the whole diff's. A namespace outside the scope is
 * the same object on both sides and matches itself (same boot, same inode, evidence that it is the
 * same), so the whole diff finds nothing in it. The scope: the touched namespaces, those `carryOver`
 * put into `prev` (they differ from `cur`'s), and those that doubt themselves. A pair outside it is
 * the same object on both sides with both ends in namespaces that match themselves, captured on both
 * sides, so it has one key on both. The pairs in scope: the touched ones (in one list only) and those
 * with an end in a namespace of the scope that is not plainly itself again; their ends join the scope
 * (the diff maps a pair's ends through the namespaces it matched). Null when the step must be diffed
 * whole: across a reboot every namespace is matched anew, and two host namespaces on one side (a
 * hostile bundle) compete for one key.
 */
export function stepScope(prev: SnapshotState, cur: SnapshotState, touched: Touched): StepScope | null {
  if (!sameBoot(prev, cur) || prev.snapshot.id === cur.snapshot.id) return null;
  const scope = new Set(touched.namespaces);
  const before = new Map<number, NamespaceState>();
  const was = alwaysInScope(prev.namespaces);
  const is = alwaysInScope(cur.namespaces);
  if (was.hosts > 1 || is.hosts > 1) return null;
  for (const n of was.netns) scope.add(n);
  for (const ns of prev.namespaces) if (scope.has(ns.netns)) before.set(ns.netns, ns);
  for (const n of is.netns) scope.add(n);
  // Namespaces of the scope whose pairs may change key: gone, new, replaced, hidden or carried.
  const unsettled = new Set<number>();
  const settled = new Set<number>();
  for (const ns of cur.namespaces) {
    if (!scope.has(ns.netns)) continue;
    const old = before.get(ns.netns);
    if (old && old.isHost === ns.isHost && old.captured === ns.captured && old.carriedFrom === undefined && (ns.isHost || sameProcess(old, ns) || judgeSameInode(old, ns).verdict === 'same')) settled.add(ns.netns);
  }
  for (const n of scope) if (!settled.has(n)) unsettled.add(n);
  const pairs = new Set<Pair>(touched.pairs);
  for (const side of [prev, cur]) for (const p of side.pairs) if (unsettled.has(p.a.netns) || unsettled.has(p.b.netns)) pairs.add(p);
  for (const p of pairs) {
    scope.add(p.a.netns);
    scope.add(p.b.netns);
  }
  return { namespaces: scope, pairs };
}
