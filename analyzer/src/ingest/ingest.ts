import type { Database } from 'better-sqlite3';
import { BundleError, readRegularFile } from '@nsnap/shared';
import type { FileOutcome, IngestAnswer, Unread } from '../answer/ingest.js';
import { describeFsError, findBundles } from './find-bundles.js';
import { snapshotInserter } from './insert-snapshot.js';
import { normalizeBundle } from './normalize.js';
import { routingRows } from './routing-rows.js';
import { meteredParser, parsedOnce } from './work-budget.js';
import { parseUnpacked, unpackBundle, type Unpacked } from './read-bundle.js';

/** What `ingestSources` read: the `ingest` answer (answer/ingest.ts) but for the stores. */
export type IngestSummary = Omit<IngestAnswer, 'answerVersion' | 'stores'>;

export interface IngestHooks {
  /** Called after each file, with the count done and the total found. */
  onFile?(outcome: FileOutcome, done: number, total: number): void;
  /** Called for each entry a walk did not read, before any file is read. */
  onIgnored?(entry: Unread): void;
  now?(): Date;
}

/** The stored bytes' identity, for the ingest log of a bundle that failed before it was unpacked. */
export interface StoredFacts {
  sha256: string;
  bytes: number;
}

/** Ingests one bundle at a time, each in its own transaction, and logs every attempt. */
export interface BundleIngester {
  /**
   * Reads (`read` may throw a file or store error, or a BundleError), validates and
   * inserts one bundle named `source`. Bad input becomes a failed outcome, never an exception.
   */
  ingest(source: string, read: () => Uint8Array, startedAt?: number): FileOutcome;
  /** Logs a source that failed before its bundle could be read. */
  fail(source: string, reason: string, stored: StoredFacts | null, startedAt: number): FileOutcome;
  /** How many bundles this ingester inserted. */
  readonly ingested: number;
  /** Refreshes planner statistics when snapshots were added (call once, at the end of a run). */
  finish(): void;
}

const BUNDLE_ERROR_PREFIX: Record<BundleError['kind'], string> = {
  oversized: 'too large: ',
  gzip: '',
  json: '',
  version: 'wrong schema version: ',
  schema: 'schema violation: ',
};

/**
 * Prepares the statements once for a run. A bundle whose content (sha256 of its
 * JSON) is already in the database is skipped; a different bundle claiming an
 * ingested snapshot id is refused.
 */
export function bundleIngester(db: Database, now: () => Date = () => new Date()): BundleIngester {
  const inserter = snapshotInserter(db);
  const byContent = db.prepare('SELECT snapshot_id FROM snapshots WHERE content_sha256 = ?').pluck();
  const byId = db.prepare('SELECT content_sha256 FROM snapshots WHERE snapshot_id = ?').pluck();
  const log = db.prepare(`INSERT INTO ingest_log (at, source, outcome, snapshot_id, content_sha256, stored_sha256, stored_bytes, reason, duration_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  let ingested = 0;

  const record = (o: FileOutcome, unpacked: Unpacked | null, stored: StoredFacts | null, t0: number): FileOutcome => {
    log.run(
      now().toISOString(), o.path, o.outcome, o.snapshotId, unpacked?.contentSha256 ?? null,
      unpacked?.storedSha256 ?? stored?.sha256 ?? null, unpacked?.storedBytes ?? stored?.bytes ?? null, o.reason, performance.now() - t0,
    );
    return o;
  };

  return {
    get ingested() {
      return ingested;
    },
    fail(source, reason, stored, t0) {
      return record({ path: source, outcome: 'failed', snapshotId: null, host: null, reason }, null, stored, t0);
    },
    ingest(source, read, t0 = performance.now()) {
      let unpacked: Unpacked | null = null;
      try {
        unpacked = unpackBundle(read());
        const u = unpacked;
        const alreadyIn = (known: string): FileOutcome =>
          record({ path: source, outcome: 'skipped', snapshotId: known, host: null, reason: `already ingested (snapshot ${known})` }, u, null, t0);
        // Known content is asked first without a lock (a re-run skips most bundles before parsing them),
        // and again under the write lock: another nsnap ingesting the same sources may have inserted the
        // bundle in between, and only the answer given under the lock is true when the insert runs.
        const seen = byContent.get(u.contentSha256) as string | undefined;
        if (seen !== undefined) return alreadyIn(seen);
        const { bundle, gaps } = parseUnpacked(u);
        const parse = parsedOnce(meteredParser());
        const rows = normalizeBundle(bundle, parse);
        rows.gaps.push(...gaps);
        const routes = routingRows(bundle, parse);
        rows.gaps.push(...routes.gaps);
        const outcome: FileOutcome = { path: source, outcome: 'ingested', snapshotId: bundle.snapshotId, host: bundle.host.label, reason: null };
        const result = db.transaction((): FileOutcome => {
          const known = byContent.get(u.contentSha256) as string | undefined;
          if (known !== undefined) return alreadyIn(known);
          const other = byId.get(bundle.snapshotId) as string | undefined;
          if (other !== undefined) {
            throw new Error(`snapshot ${bundle.snapshotId} is already in the database with different content (sha256 ${other.slice(0, 12)}…, this file ${u.contentSha256.slice(0, 12)}…)`);
          }
          inserter.insert(rows, u.contentSha256, u.json.byteLength, now().toISOString(), routes.rows);
          return record(outcome, u, null, t0);
        }).immediate();
        if (result.outcome === 'ingested') ingested += 1;
        return result;
      } catch (error) {
        const reason =
          error instanceof BundleError ? `${BUNDLE_ERROR_PREFIX[error.kind]}${error.message}` : (error as NodeJS.ErrnoException).code ? describeFsError(error) : (error as Error).message;
        return record({ path: source, outcome: 'failed', snapshotId: null, host: null, reason }, unpacked, null, t0);
      }
    },
    finish() {
      // Keeps planner statistics current as tables grow (SQLite's advice for long-lived databases).
      if (ingested > 0) db.pragma('optimize');
    },
  };
}

/**
 * Ingests every bundle the sources name, each in its own transaction: a bad
 * bundle is reported with its reason and the others still land.
 */
export function ingestSources(db: Database, sources: string[], hooks: IngestHooks = {}): IngestSummary {
  const started = performance.now();
  const ingester = bundleIngester(db, hooks.now);
  const found = sources.map(findBundles);
  const total = found.reduce((n, s) => n + s.files.length + s.failures.length + (s.error ? 1 : 0), 0);
  const ignoredEntries = found.flatMap((s) => s.ignored);
  for (const entry of ignoredEntries) hooks.onIgnored?.(entry);
  const files: FileOutcome[] = [];
  const done = (o: FileOutcome) => {
    files.push(o);
    hooks.onFile?.(o, files.length, total);
  };

  for (const source of found) {
    if (source.error) done(ingester.fail(source.source, source.error, null, performance.now()));
    for (const f of source.failures) done(ingester.fail(f.path, f.reason, null, performance.now()));
    for (const file of source.files) done(ingester.ingest(file, () => readRegularFile(file)));
  }
  ingester.finish();
  const count = (k: FileOutcome['outcome']) => files.filter((f) => f.outcome === k).length;
  return {
    ingested: count('ingested'),
    skipped: count('skipped'),
    failed: count('failed'),
    ignored: ignoredEntries.length,
    files,
    ignoredEntries,
    durationMs: performance.now() - started,
  };
}
