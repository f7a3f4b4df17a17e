import type { Database } from 'better-sqlite3';
import { UsageError } from '../errors.js';
import { resolveHost, type SnapshotRef } from '../query/select.js';

/** Which snapshots `nsnap prune` removes: all but the newest `keep` of each host, or those taken before a time. */
export type PruneRule = { keep: number; before?: never } | { before: string; keep?: never };

const COLUMNS = 's.id AS row, s.snapshot_id AS id, h.label AS host, s.taken_at AS takenAt, s.boot_id AS bootId';

/** SQL of the prune selections, exported so tests can check their query plans. */
export const PRUNE_SQL = {
  beyondNewest: `SELECT ${COLUMNS} FROM (SELECT id, snapshot_id, host, taken_at, boot_id,
      row_number() OVER (PARTITION BY host ORDER BY taken_at DESC, id DESC) AS newest
      FROM snapshots WHERE @host IS NULL OR host = @host) s
    JOIN hosts h ON h.id = s.host WHERE s.newest > @keep ORDER BY h.label, s.taken_at, s.id`,
  takenBefore: `SELECT ${COLUMNS} FROM snapshots s JOIN hosts h ON h.id = s.host
    WHERE s.taken_at < @before AND (@host IS NULL OR s.host = @host) ORDER BY h.label, s.taken_at, s.id`,
} as const;

/** The snapshots a prune rule selects, oldest first within each host. */
export function pruneSelection(db: Database, rule: PruneRule, host: string | null): SnapshotRef[] {
  const hostId = host === null ? null : resolveHost(db, host, 'prune').id;
  if (rule.keep !== undefined) return db.prepare(PRUNE_SQL.beyondNewest).all({ host: hostId, keep: rule.keep }) as SnapshotRef[];
  return db.prepare(PRUNE_SQL.takenBefore).all({ host: hostId, before: rule.before }) as SnapshotRef[];
}

/** `--keep N` or `--before TIME`, exactly one; UsageError names what is wrong. */
export function pruneRule(keep: string | undefined, before: string | null): PruneRule {
  if ((keep === undefined) === (before === null)) throw new UsageError('prune needs exactly one of --keep N and --before TIME');
  if (before !== null) return { before };
  const n = Number(keep);
  if (!/^\d{1,9}$/.test(keep ?? '') || n < 1) throw new UsageError(`--keep ${JSON.stringify(keep)} must be a whole number of snapshots to keep per host, at least 1 (nsnap forget removes single snapshots)`);
  return { keep: n };
}

/**
 * Removes the snapshots and everything they brought, in one transaction: the delete trigger of
 * migration 3 (and, with foreign keys on, the cascades) take their rows in every table, their
 * ingest_log rows (so an ingest from a store takes their keys again) and hosts left without any.
 */
export function forgetSnapshots(db: Database, snapshots: readonly SnapshotRef[]): void {
  const remove = db.prepare('DELETE FROM snapshots WHERE id = ?');
  db.transaction(() => {
    for (const s of snapshots) remove.run(s.row);
  }).immediate();
  if (snapshots.length > 0) db.pragma('optimize');
}
