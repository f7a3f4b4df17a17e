import type { Database } from 'better-sqlite3';
import type { SnapshotListEntry, SnapshotsAnswer } from '../answer/snapshots.js';
import { ANSWER_VERSIONS } from '../answer/version.js';

export const SNAPSHOTS_SQL = `SELECT s.snapshot_id AS id, h.label AS host, s.taken_at AS takenAt, s.tags, s.boot_id AS bootId,
    s.collector_version AS collectorVersion,
    (SELECT count(*) FROM namespaces n WHERE n.snapshot = s.id) AS namespaces,
    (SELECT count(*) FROM gaps g WHERE g.snapshot = s.id) AS gaps
  FROM snapshots s JOIN hosts h ON h.id = s.host
  WHERE @host IS NULL OR h.label = @host
  ORDER BY h.label, s.taken_at, s.id`;

/** Every snapshot (of one host, or all), oldest first within each host. */
export function listSnapshots(db: Database, host: string | null): SnapshotListEntry[] {
  const rows = db.prepare(SNAPSHOTS_SQL).all({ host }) as (Omit<SnapshotListEntry, 'tags'> & { tags: string })[];
  return rows.map((r) => ({ ...r, tags: JSON.parse(r.tags) as Record<string, string> }));
}

/** `snapshots`: the list as its answer. */
export function snapshotsOf(db: Database, host: string | null): SnapshotsAnswer {
  return { answerVersion: ANSWER_VERSIONS.snapshots, snapshots: listSnapshots(db, host) };
}
