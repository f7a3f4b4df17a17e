import type { Database } from 'better-sqlite3';
import type { GapView, Owners, SnapshotLabel } from '../answer/common.js';
import type { DiffAnswer, DiffBody } from '../answer/diff.js';
import { ANSWER_VERSIONS } from '../answer/version.js';
import { diffSnapshots } from '../diff/diff.js';
import { matchNamespaces } from '../diff/identity.js';
import { diffRouting } from '../diff/routing-diff.js';
import { loadRouting, type NamespaceRouting } from './routing.js';
import type { SnapshotState } from '../diff/state.js';
import { SelectionError, forgottenWithin, selectSnapshot, type SnapshotRef } from './select.js';
import { loadGaps } from './gaps.js';
import { loadSnapshotState } from './load-state.js';
import { loadOwners } from './owners.js';
import { quote } from '../errors.js';

/** Owners of both snapshots, for labels in human output. */
export interface DiffOwners {
  from: Map<number, Owners>;
  to: Map<number, Owners>;
}

export const label = (s: SnapshotRef): SnapshotLabel => {
  // `asOf` set after, not spread: `history` makes four at every step.
  const out: SnapshotLabel = { id: s.id, host: s.host, takenAt: s.takenAt, bootId: s.bootId };
  if (s.asOf) out.asOf = s.asOf;
  return out;
};

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
  routing: Map<number, NamespaceRouting>;
}

export function loadForDiff(db: Database, ref: SnapshotRef, withOwners: boolean): LoadedSnapshot {
  const owners = loadOwners(db, ref.row);
  return { ref, state: loadSnapshotState(db, ref, owners), gaps: loadGaps(db, ref.row), owners: withOwners ? owners : null, routing: loadRouting(db, ref.row) };
}

/** What changed from one loaded snapshot to another, with the gaps that appeared or went away. */
export function diffLoaded(from: LoadedSnapshot, to: LoadedSnapshot): DiffBody {
  const d = diffSnapshots(from.state, to.state);
  // One list on both sides (`history` hands the same gaps on): none added, none removed.
  const before = from.gaps === to.gaps ? null : new Set(from.gaps.map(gapKey));
  const after = from.gaps === to.gaps ? null : new Set(to.gaps.map(gapKey));
  // Written out rather than spread from `d` (the same keys, in its order): `history` builds one at every step.
  return {
    from: label(from.ref),
    to: label(to.ref),
    sameBoot: d.sameBoot,
    namespaces: d.namespaces,
    interfaces: d.interfaces,
    pairs: d.pairs,
    gaps: { uncaptured: d.gaps.uncaptured, carried: d.gaps.carried, added: before ? to.gaps.filter((g) => !before.has(gapKey(g))) : [], removed: after ? from.gaps.filter((g) => !after.has(gapKey(g))) : [] },
    routing: routingChanges(from, to),
  };
}

/** Routes, rules and neighbours of the matched namespaces compared; with none on either side (older bundles), nothing to match. */
function routingChanges(from: LoadedSnapshot, to: LoadedSnapshot): DiffBody['routing'] {
  if (from.routing.size === 0 && to.routing.size === 0) return { changed: [], uncaptured: [] };
  const match = matchNamespaces(from.state, to.state);
  const doubt = new Map(match.uncertain.map((u) => [u.from, u.reason]));
  const pairs = match.matched.map(([a, b]) => ({ from: a.netns, to: b.netns, ...(doubt.has(a) ? { uncertain: doubt.get(a) } : {}) }));
  return diffRouting(pairs, from.routing, to.routing);
}

/** `diff`: both snapshots loaded, compared, with their owners for labels. */
export function diffSelected(db: Database, from: SnapshotRef, to: SnapshotRef): { diff: DiffAnswer; owners: DiffOwners } {
  const a = loadForDiff(db, from, true);
  const b = loadForDiff(db, to, true);
  const [early, late] = from.takenAt <= to.takenAt ? [from, to] : [to, from];
  const forgotten = forgottenWithin(db, from.host, early.takenAt, late.takenAt);
  return { diff: { answerVersion: ANSWER_VERSIONS.diff, ...diffLoaded(a, b), ...(forgotten ? { forgotten } : {}) }, owners: { from: a.owners as Map<number, Owners>, to: b.owners as Map<number, Owners> } };
}
