import type { Database } from 'better-sqlite3';
import type { CheckAnswer } from '../answer/check.js';
import { ANSWER_VERSIONS } from '../answer/version.js';
import { checkSnapshot } from '../check/check.js';
import { label } from './diff-snapshots.js';
import { loadGaps } from './gaps.js';
import { loadSnapshotState } from './load-state.js';
import type { Owners } from '../answer/common.js';
import { loadOwners } from './owners.js';
import { peersOf } from './peers.js';
import type { SnapshotRef } from './select.js';
import { countUnreadableLive, loadHolds } from './leak-facts.js';

/** What looks wrong in one snapshot, with the owners of its namespaces for labels. */
export function checkSelected(db: Database, snap: SnapshotRef): { result: CheckAnswer; owners: Map<number, Owners> } {
  const owners = loadOwners(db, snap.row);
  const unpaired = peersOf(db, snap, owners).unpaired.map((u) => ({ end: { netns: u.netns, ifname: u.ifname, ifindex: u.ifindex }, reason: u.reason, detail: u.detail }));
  const findings = checkSnapshot({ state: loadSnapshotState(db, snap, owners), unpaired, gaps: loadGaps(db, snap.row), holds: loadHolds(db, snap.row), unreadableLive: countUnreadableLive(db, snap.row) });
  return { result: { answerVersion: ANSWER_VERSIONS.check, snapshot: label(snap), findings }, owners };
}
