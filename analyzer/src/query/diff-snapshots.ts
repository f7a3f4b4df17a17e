import type { Database } from 'better-sqlite3';
import { diffSnapshots, type SnapshotDiff } from '../diff/diff.js';
import type { SnapshotState } from '../diff/state.js';
import { SelectionError, forgottenWithin, selectSnapshot, type ForgottenRange, type SnapshotRef } from './select.js';
import { loadGaps, type GapView } from './gaps.js';
import { loadSnapshotState } from './load-state.js';
import { loadOwners, type Owners } from './owners.js';
import { quote } from '../errors.js';

export interface SnapshotLabel {
  id: string;
  host: string;
  takenAt: string;
  bootId: string | null;
  /** The time a `@TIME` selector asked for. */
  asOf?: string;
}

export interface DiffResult extends Omit<SnapshotDiff, 'from' | 'to' | 'gaps'> {
  from: SnapshotLabel;
  to: SnapshotLabel;
  /** Snapshots taken between the two that were forgotten (pruned): the changes in between are gone, only the net change is known. */
  forgotten?: ForgottenRange;
  gaps: SnapshotDiff['gaps'] & {
    /** What the later snapshot could not capture or read and the earlier one could. */
    added: GapView[];
    /** What the earlier snapshot could not capture and the later one could. */
    removed: GapView[];
  };
}

/** Owners of both snapshots, for labels in human output. */
export interface DiffOwners {
  from: Map<number, Owners>;
  to: Map<number, Owners>;
}

export const label = (s: SnapshotRef): SnapshotLabel => ({ id: s.id, host: s.host, takenAt: s.takenAt, bootId: s.bootId, ...(s.asOf ? { asOf: s.asOf } : {}) });

/**
 * Resolves the two selectors of `diff`. Without --host, a selector that
 * names its host by itself (a snapshot id) settles the host of the other
 * (`diff 01a22582 latest`). Both must be snapshots of one host.
 */
export function selectPair(db: Database, a: string, b: string, host: string | null): [SnapshotRef, SnapshotRef] {
  const pick = (sel: string, h: string | null) => selectSnapshot(db, { snapshot: sel, host: h });
  if (host !== null) return [pick(a, host), pick(b, host)];
  const attempt = (sel: string): SnapshotRef | SelectionError => {
    try {
      return pick(sel, null);
    } catch (error) {
      if (error instanceof SelectionError) return error;
      throw error;
    }
  };
  let from = attempt(a);
  let to = attempt(b);
  if (from instanceof SelectionError && !(to instanceof SelectionError)) from = pick(a, to.host);
  if (to instanceof SelectionError && !(from instanceof SelectionError)) to = pick(b, from.host);
  if (from instanceof SelectionError) throw from;
  if (to instanceof SelectionError) throw to;
  if (from.host !== to.host) {
    throw new SelectionError(`${quote(a)} is a snapshot of host ${quote(from.host)} but ${quote(b)} one of ${quote(to.host)}: diff compares two snapshots of one host (add --host)`);
  }
  return [from, to];
}

const gapKey = (g: GapView) => JSON.stringify([g.source, g.probe, g.subject, g.reason]);

/** One snapshot read for diffing: its state, gaps and (for human output) the owners of its namespaces. */
export interface LoadedSnapshot {
  ref: SnapshotRef;
  state: SnapshotState;
  gaps: GapView[];
  owners: Map<number, Owners> | null;
}

export function loadForDiff(db: Database, ref: SnapshotRef, withOwners: boolean): LoadedSnapshot {
  const owners = loadOwners(db, ref.row);
  return { ref, state: loadSnapshotState(db, ref, owners), gaps: loadGaps(db, ref.row), owners: withOwners ? owners : null };
}

/** What changed from one loaded snapshot to another, with the gaps that appeared or went away. */
export function diffLoaded(from: LoadedSnapshot, to: LoadedSnapshot): DiffResult {
  const d = diffSnapshots(from.state, to.state);
  const before = new Set(from.gaps.map(gapKey));
  const after = new Set(to.gaps.map(gapKey));
  return {
    ...d,
    from: label(from.ref),
    to: label(to.ref),
    gaps: { ...d.gaps, added: to.gaps.filter((g) => !before.has(gapKey(g))), removed: from.gaps.filter((g) => !after.has(gapKey(g))) },
  };
}

/** `diff`: both snapshots loaded, compared, with their owners for labels. */
export function diffSelected(db: Database, from: SnapshotRef, to: SnapshotRef): { diff: DiffResult; owners: DiffOwners } {
  const a = loadForDiff(db, from, true);
  const b = loadForDiff(db, to, true);
  const [early, late] = from.takenAt <= to.takenAt ? [from, to] : [to, from];
  const forgotten = forgottenWithin(db, from.host, early.takenAt, late.takenAt);
  return { diff: { ...diffLoaded(a, b), ...(forgotten ? { forgotten } : {}) }, owners: { from: a.owners as Map<number, Owners>, to: b.owners as Map<number, Owners> } };
}
