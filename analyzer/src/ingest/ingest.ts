import { readFileSync, statSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { BundleError, LIMITS } from '@nsnap/shared';
import { describeFsError, findBundles } from './find-bundles.js';
import { snapshotInserter } from './insert-snapshot.js';
import { normalizeBundle } from './normalize.js';
import { parseUnpacked, unpackBundle, type Unpacked } from './read-bundle.js';

export interface FileOutcome {
  path: string;
  outcome: 'ingested' | 'skipped' | 'failed';
  snapshotId: string | null;
  host: string | null;
  /** Why it was skipped or failed. */
  reason: string | null;
}

export interface IngestSummary {
  ingested: number;
  skipped: number;
  failed: number;
  files: FileOutcome[];
  durationMs: number;
}

export interface IngestHooks {
  /** Called after each file, with the count done and the total found. */
  onFile?(outcome: FileOutcome, done: number, total: number): void;
  now?(): Date;
}

const BUNDLE_ERROR_PREFIX: Record<BundleError['kind'], string> = {
  oversized: 'too large: ',
  gzip: '',
  json: '',
  version: 'wrong schema version: ',
  schema: 'schema violation: ',
};

/**
 * Ingests every bundle the sources name, each in its own transaction: a bad
 * bundle is reported with its reason and the others still land. A bundle
 * whose content (sha256 of its JSON) is already in the database is skipped.
 */
export function ingestSources(db: Database, sources: string[], hooks: IngestHooks = {}): IngestSummary {
  const started = performance.now();
  const now = hooks.now ?? (() => new Date());
  const inserter = snapshotInserter(db);
  const byContent = db.prepare('SELECT snapshot_id FROM snapshots WHERE content_sha256 = ?').pluck();
  const byId = db.prepare('SELECT content_sha256 FROM snapshots WHERE snapshot_id = ?').pluck();
  const log = db.prepare(`INSERT INTO ingest_log (at, source, outcome, snapshot_id, content_sha256, stored_sha256, stored_bytes, reason, duration_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);

  const found = sources.map(findBundles);
  const total = found.reduce((n, s) => n + s.files.length + (s.error ? 1 : 0), 0);
  const files: FileOutcome[] = [];
  const record = (o: FileOutcome, unpacked: Unpacked | null, t0: number) => {
    log.run(now().toISOString(), o.path, o.outcome, o.snapshotId, unpacked?.contentSha256 ?? null, unpacked?.storedSha256 ?? null, unpacked?.storedBytes ?? null, o.reason, performance.now() - t0);
    files.push(o);
    hooks.onFile?.(o, files.length, total);
  };

  for (const source of found) {
    if (source.error) record({ path: source.source, outcome: 'failed', snapshotId: null, host: null, reason: source.error }, null, performance.now());
    for (const file of source.files) {
      const t0 = performance.now();
      let unpacked: Unpacked | null = null;
      try {
        const size = statSync(file).size;
        if (size > LIMITS.storedBytes) throw new BundleError(`${size} bytes exceeds the ${LIMITS.storedBytes}-byte limit`, 'oversized');
        unpacked = unpackBundle(readFileSync(file));
        const known = byContent.get(unpacked.contentSha256) as string | undefined;
        if (known !== undefined) {
          record({ path: file, outcome: 'skipped', snapshotId: known, host: null, reason: `already ingested (snapshot ${known})` }, unpacked, t0);
          continue;
        }
        const bundle = parseUnpacked(unpacked);
        const other = byId.get(bundle.snapshotId) as string | undefined;
        if (other !== undefined) {
          throw new Error(`snapshot ${bundle.snapshotId} is already in the database with different content (sha256 ${other.slice(0, 12)}…, this file ${unpacked.contentSha256.slice(0, 12)}…)`);
        }
        const rows = normalizeBundle(bundle);
        const outcome: FileOutcome = { path: file, outcome: 'ingested', snapshotId: bundle.snapshotId, host: bundle.host.label, reason: null };
        const u = unpacked;
        db.transaction(() => {
          inserter.insert(rows, u.contentSha256, u.json.byteLength, now().toISOString());
          record(outcome, u, t0);
        }).immediate();
      } catch (error) {
        const reason =
          error instanceof BundleError ? `${BUNDLE_ERROR_PREFIX[error.kind]}${error.message}` : (error as NodeJS.ErrnoException).code ? describeFsError(error) : (error as Error).message;
        record({ path: file, outcome: 'failed', snapshotId: null, host: null, reason }, unpacked, t0);
      }
    }
  }
  const count = (k: FileOutcome['outcome']) => files.filter((f) => f.outcome === k).length;
  // Keeps planner statistics current as tables grow (SQLite's advice for long-lived databases).
  if (count('ingested') > 0) db.pragma('optimize');
  return { ingested: count('ingested'), skipped: count('skipped'), failed: count('failed'), files, durationMs: performance.now() - started };
}
