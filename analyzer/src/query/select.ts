import type { Database } from 'better-sqlite3';
import { UsageError, quote } from '../errors.js';

/** One snapshot, as every query names it. */
export interface SnapshotRef {
  /** Row id in `snapshots`: what the other tables reference. */
  row: number;
  id: string;
  host: string;
  takenAt: string;
  bootId: string | null;
}

export interface Selection {
  /** `latest` (the default), a snapshot id, or a unique prefix of one. */
  snapshot: string;
  host: string | null;
}

/** A selection that names no snapshot, or more than one. */
export class SelectionError extends UsageError {
  override name = 'SelectionError';
}

const COLUMNS = 's.id AS row, s.snapshot_id AS id, h.label AS host, s.taken_at AS takenAt, s.boot_id AS bootId';

/** SQL of the selections, exported so tests can check their query plans. */
export const SELECT_SQL = {
  latestOfHost: `SELECT ${COLUMNS} FROM snapshots s JOIN hosts h ON h.id = s.host WHERE s.host = ? ORDER BY s.taken_at DESC, s.id DESC LIMIT 1`,
  byIdPrefix: `SELECT ${COLUMNS} FROM snapshots s JOIN hosts h ON h.id = s.host WHERE s.snapshot_id >= @lo AND s.snapshot_id < @hi AND (@host IS NULL OR s.host = @host) ORDER BY s.snapshot_id LIMIT 2`,
} as const;

const ID_PREFIX = /^[0-9a-f][0-9a-f-]{3,35}$/;

/**
 * Resolves `--snapshot SEL [--host H]` to one snapshot. The only place that
 * knows the selector syntax: `latest`, a full snapshot id, or a unique prefix
 * of one (at least 4 characters). `latest` needs --host when the database
 * holds several hosts.
 */
export function selectSnapshot(db: Database, selection: Selection): SnapshotRef {
  const hostId = selection.host !== null ? hostRow(db, selection.host) : null;
  const sel = selection.snapshot.trim().toLowerCase();
  if (sel === 'latest') {
    let host = hostId;
    if (host === null) {
      const hosts = db.prepare('SELECT h.id, h.label FROM hosts h WHERE EXISTS (SELECT 1 FROM snapshots s WHERE s.host = h.id) ORDER BY h.label').all() as { id: number; label: string }[];
      if (hosts.length === 0) throw new SelectionError('the database holds no snapshots yet: run `nsnap ingest DIR` first');
      if (hosts.length > 1) {
        const shown = hosts.slice(0, 10).map((h) => h.label).join(', ');
        throw new SelectionError(`"latest" is ambiguous: the database holds snapshots of ${hosts.length} hosts (${shown}${hosts.length > 10 ? ', …' : ''}); choose one with --host`);
      }
      host = (hosts[0] as { id: number }).id;
    }
    const found = db.prepare(SELECT_SQL.latestOfHost).get(host) as SnapshotRef | undefined;
    if (!found) throw new SelectionError(`host ${quote(selection.host ?? '')} has no snapshots`);
    return found;
  }
  if (!ID_PREFIX.test(sel)) {
    throw new SelectionError(`--snapshot ${quote(selection.snapshot)}: expected "latest", a snapshot id or a prefix of one (at least 4 characters, e.g. 01a22582)`);
  }
  // The range [sel, sel + 1 past the last character) holds exactly the ids starting with sel.
  const upper = sel.slice(0, -1) + String.fromCharCode(sel.charCodeAt(sel.length - 1) + 1);
  const matches = db.prepare(SELECT_SQL.byIdPrefix).all({ lo: sel, hi: upper, host: hostId }) as SnapshotRef[];
  if (matches.length === 0) {
    throw new SelectionError(`no snapshot ${quote(selection.snapshot)}${selection.host !== null ? ` of host ${quote(selection.host)}` : ''} (\`nsnap snapshots\` lists them)`);
  }
  if (matches.length > 1) throw new SelectionError(`--snapshot ${quote(selection.snapshot)} matches several snapshots; give more characters of the id`);
  return matches[0] as SnapshotRef;
}

function hostRow(db: Database, label: string): number {
  const id = db.prepare('SELECT id FROM hosts WHERE label = ?').pluck().get(label) as number | undefined;
  if (id !== undefined) return id;
  const known = db.prepare('SELECT label FROM hosts ORDER BY label LIMIT 11').pluck().all() as string[];
  const list = known.length === 0 ? 'the database holds no hosts yet' : `known hosts: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}`;
  throw new SelectionError(`no host ${quote(label)} in the database (${list})`);
}
