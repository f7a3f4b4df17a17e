import type { Database } from 'better-sqlite3';
import type { DiffBody } from '../answer/diff.js';
import type { HistoryCounts, HistoryStep } from '../answer/history.js';
import type { DiffOwners } from './diff-snapshots.js';
import { diffLoaded, label, type LoadedSnapshot } from './diff-snapshots.js';
import { sweepStates } from './history-sweep.js';
import { carryOver } from '../diff/carry.js';
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
  if (since !== null) {
    const earliest = db.prepare('SELECT min(taken_at) FROM snapshots WHERE host = ?').pluck().get(h.id) as string | null;
    // Before the first snapshot there is no baseline: start at the first one.
    if (earliest !== null && earliest <= since) from = selectSnapshot(db, { snapshot: `@${since}`, host: h.label }).takenAt;
    else from = since;
  }
  return { host: h.label, snapshots: db.prepare(RANGE_SQL).all({ host: h.id, since: from, until: until ?? '9999' }) as SnapshotRef[] };
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
 * captured state (`carryOver`).
 */
export function walkHistory(
  db: Database,
  snapshots: SnapshotRef[],
  options: { verbose: boolean; withOwners: boolean },
  onStep: (step: HistoryStep, owners: DiffOwners | null, done: number) => void,
  states: Iterable<LoadedSnapshot> = sweepStates(db, snapshots, options.withOwners),
): void {
  const loaded = states[Symbol.iterator]();
  const first = loaded.next();
  if (first.done) return;
  let prev = first.value;
  for (let i = 1; i < snapshots.length; i++) {
    const cur = loaded.next().value as LoadedSnapshot;
    const d = diffLoaded(prev, cur);
    const uncaptured = d.gaps.uncaptured.filter((g) => g.side === 'to').map((g) => g.netns);
    const unreadable = d.namespaces.unknown.map((n) => n.netns);
    const step: HistoryStep = {
      from: label(prev.ref),
      to: label(cur.ref),
      sameBoot: d.sameBoot,
      counts: countChanges(d),
      ...(uncaptured.length + unreadable.length > 0 ? { gap: { uncaptured, unreadable } } : {}),
      ...(d.gaps.carried.length > 0 ? { carried: d.gaps.carried } : {}),
      ...(options.verbose ? { diff: d } : {}),
    };
    onStep(step, prev.owners && cur.owners ? { from: prev.owners, to: cur.owners } : null, i);
    prev = { ...cur, state: carryOver(prev.state, cur.state, d) };
  }
}
