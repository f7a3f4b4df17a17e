import { escapeControl, openStore, type ObjectStore } from '@nsnap/shared';
import { CATALOGUE, TABLE_NAMES, tableOf, type TableName } from '../catalogue/catalogue.js';
import { defaultDbPath, openDatabase } from '../db/open.js';
import { UsageError, quote } from '../errors.js';
import { storeSettings } from '../ingest/run-ingest.js';
import type { KeyFilter } from '../ingest/remote-listing-plan.js';
import { dbSnapshotReader, listDbSnapshots } from './rows-from-db.js';
import { bundleSnapshots } from './bundle-source.js';
import { lakeKey } from './lake-path.js';
import type { LakeSnapshot } from './lake-rows.js';
import { writeParquet } from './write-parquet.js';

export interface ExportFlags {
  db?: string;
  to: string;
  from?: string;
  host?: string;
  since?: string;
  until?: string;
  json: boolean;
  quiet: boolean;
  s3Endpoint?: string;
  s3Region?: string;
  s3ForcePathStyle?: boolean;
}

/** The `--json` summary. */
export interface ExportSummary {
  to: string;
  from: string;
  /** Snapshots the filters chose. */
  snapshots: number;
  /** Written in this run. */
  exported: number;
  /** Already in the lake (its snapshots file is there): nothing written. */
  present: number;
  failed: number;
  files: number;
  bytes: number;
  rows: Record<TableName, number>;
  failures: { snapshot: string; reason: string }[];
  durationMs: number;
}

/** One snapshot a source offers: what its keys are before it is read, and how to read it. */
export interface SourceSnapshot {
  ref: { host: string; takenAt: string; snapshotId: string };
  load(): Promise<LakeSnapshot>;
}

export interface ExportIo {
  stderr: { write(text: string): unknown };
  now?: () => Date;
}

const PROGRESS_EVERY_MS = 2000;
const FAILURES_KEPT = 1000;
const PARQUET = 'application/vnd.apache.parquet';

/**
 * Writes one snapshot's files: every table with rows, then the snapshots table's file, which says the
 * snapshot is complete. A run stopped half-way left no snapshots file, so the next run writes the
 * snapshot again, the same bytes under the same keys (a file's name is its content's identity).
 */
async function writeSnapshot(target: ObjectStore, lake: LakeSnapshot): Promise<{ files: number; bytes: number }> {
  const contentSha256 = lake.tables.snapshots[0]?.content_sha256 as string;
  const identity = { snapshotId: lake.snapshotId, contentSha256 };
  let files = 0;
  let bytes = 0;
  const put = async (name: TableName) => {
    const body = writeParquet(tableOf(name), lake.tables[name], identity);
    await target.put(lakeKey(name, lake), body, { contentType: PARQUET });
    files += 1;
    bytes += body.byteLength;
  };
  await Promise.all(TABLE_NAMES.filter((n) => n !== 'snapshots' && lake.tables[n].length > 0).map(put));
  await put('snapshots');
  return { files, bytes };
}

/** `nsnap export`: the snapshots of a database (or of a bundle store, --from) as a Hive-partitioned Parquet lake. */
export async function runExport(flags: ExportFlags, io: ExportIo): Promise<ExportSummary> {
  const now = io.now ?? (() => new Date());
  const log = (message: string) => io.stderr.write(`nsnap: ${escapeControl(message)}\n`);
  const { filter } = storeSettings({ json: false, verbose: false, quiet: false, ...(flags.host !== undefined ? { host: flags.host } : {}), ...(flags.since !== undefined ? { since: flags.since } : {}), ...(flags.until !== undefined ? { until: flags.until } : {}) }, now());
  if (flags.from !== undefined && flags.db !== undefined) throw new UsageError('--from reads bundles from a store without a database: give --from or --db, not both');
  if (flags.from !== undefined) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const storeOptions = {
    ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
    ...(flags.s3Region !== undefined ? { s3Region: flags.s3Region } : {}),
    ...(flags.s3ForcePathStyle ? { s3ForcePathStyle: true } : {}),
  };
  const open = async (url: string, what: string) => {
    try {
      return await openStore(url, storeOptions);
    } catch (error) {
      throw new UsageError(`${what} ${quote(url)}: ${(error as Error).message}`);
    }
  };
  if (flags.to.startsWith('s3://')) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const target = await open(flags.to, '--to');

  const summary: ExportSummary = {
    to: target.url, from: '', snapshots: 0, exported: 0, present: 0, failed: 0, files: 0, bytes: 0,
    rows: Object.fromEntries(TABLE_NAMES.map((n) => [n, 0])) as Record<TableName, number>, failures: [], durationMs: 0,
  };
  const started = performance.now();
  let lastProgress = started;
  const progress = (final: boolean) => {
    if (flags.quiet) return;
    const t = performance.now();
    if (!final && t - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = t;
    log(`export${final ? ' done' : ''}: ${summary.snapshots} snapshot(s), ${summary.exported} written (${summary.files} files, ${summary.bytes} bytes), ${summary.present} already in the lake, ${summary.failed} failed`);
  };

  const run = async (source: AsyncIterable<SourceSnapshot>) => {
    for await (const s of source) {
      summary.snapshots += 1;
      try {
        if ((await target.head(lakeKey('snapshots', s.ref))) !== null) {
          summary.present += 1;
        } else {
          const lake = await s.load();
          const written = await writeSnapshot(target, lake);
          summary.exported += 1;
          summary.files += written.files;
          summary.bytes += written.bytes;
          for (const t of CATALOGUE) summary.rows[t.name] += lake.tables[t.name].length;
        }
      } catch (error) {
        summary.failed += 1;
        const reason = (error as Error).message;
        if (summary.failures.length < FAILURES_KEPT) summary.failures.push({ snapshot: s.ref.snapshotId, reason });
        log(`snapshot ${s.ref.snapshotId} (host ${s.ref.host}) not exported: ${reason}`);
      }
      progress(false);
    }
  };

  if (flags.from !== undefined) {
    const source = await open(flags.from, '--from');
    summary.from = source.url;
    await run(bundleSnapshots(source, filter, now));
  } else {
    const path = flags.db ?? defaultDbPath();
    summary.from = path;
    const db = openDatabase(path, { mustExist: true, readonly: true });
    try {
      await run(dbSnapshots(db, filter));
    } finally {
      db.close();
    }
  }
  summary.durationMs = Math.round(performance.now() - started);
  progress(true);
  return summary;
}

async function* dbSnapshots(db: Parameters<typeof listDbSnapshots>[0], filter: KeyFilter): AsyncGenerator<SourceSnapshot> {
  const iso = (d: Date | null) => (d === null ? null : d.toISOString());
  const read = dbSnapshotReader(db);
  for (const snap of listDbSnapshots(db, { host: filter.host, since: iso(filter.since), until: iso(filter.until) })) {
    yield { ref: snap, load: async () => read(snap) };
  }
}
