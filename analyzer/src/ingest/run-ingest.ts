import type { Database } from 'better-sqlite3';
import { escapeControl, isHostLabel, openStore, type ObjectStore } from '@nsnap/shared';
import { closeWritable, defaultDbPath, openDatabase } from '../db/open.js';
import { UsageError, quote } from '../errors.js';
import type { FileOutcome, IngestAnswer, Unread } from '../answer/ingest.js';
import { ANSWER_VERSIONS } from '../answer/version.js';
import { STORE_METADATA } from './find-bundles.js';
import { ingestSourcesPipelined } from './ingest.js';
import { ingestStore, type StoreSummary } from './remote-ingest.js';
import type { KeyFilter } from './remote-listing-plan.js';
import { progressBar, progressText } from './remote-progress.js';
import { startProgress, type Progress, type ProgressStream, type ProgressStyle } from '../render/progress.js';
import { readTime, TIME_GRAMMAR } from '../time/parse-time.js';
import { DEFAULT_CONCURRENCY } from './defaults.js';

export interface IngestFlags {
  db?: string;
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  host?: string;
  since?: string;
  until?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3ForcePathStyle?: boolean;
  concurrency?: string;
}


export interface IngestIo {
  stderr: ProgressStream;
  /** How progress is shown (render/progress.ts `progressStyle`). */
  progress: ProgressStyle;
  now?: () => Date;
}

const MAX_CONCURRENCY = 64;
const FOREIGN_SHOWN = 20;
const STORE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A source naming a store (`s3://bucket/prefix`, `file:///dir`) rather than a local file or directory. */
export const isStoreUrl = (source: string) => STORE_URL.test(source);

/** The store filters and settings from the flags; UsageError names a bad value. */
export function storeSettings(flags: IngestFlags, now: Date): { filter: KeyFilter; concurrency: number } {
  const time = (name: 'since' | 'until') => {
    const text = flags[name];
    if (text === undefined) return null;
    const t = readTime(text, name, now);
    if (t === null) throw new UsageError(`--${name} ${quote(text)} is not a time: expected ${TIME_GRAMMAR}`);
    return t;
  };
  if (flags.host !== undefined && !isHostLabel(flags.host)) throw new UsageError(`--host ${quote(flags.host)} is not a host label as the collector stores it ([A-Za-z0-9._-], up to 63 characters)`);
  const since = time('since');
  const until = time('until');
  if (since && until && until < since) throw new UsageError(`--until ${quote(flags.until ?? '')} is before --since ${quote(flags.since ?? '')}`);
  let concurrency = DEFAULT_CONCURRENCY;
  if (flags.concurrency !== undefined) {
    concurrency = Number(flags.concurrency);
    if (!/^\d+$/.test(flags.concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new UsageError(`--concurrency ${quote(flags.concurrency)} must be a whole number from 1 to ${MAX_CONCURRENCY}`);
    }
  }
  return { filter: { host: flags.host ?? null, since, until }, concurrency };
}

const STORE_ONLY_FLAGS = ['host', 'since', 'until', 's3Endpoint', 's3Region', 's3ForcePathStyle', 'concurrency'] as const;
const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * `nsnap ingest`: local files and directories as always, store URLs
 * incrementally (see ingestStore). Failures are named on stderr even with
 * --quiet; the summary goes to stderr, and to stdout as JSON with --json.
 */
export async function runIngest(sources: string[], flags: IngestFlags, io: IngestIo): Promise<IngestAnswer> {
  const now = io.now ?? (() => new Date());
  const log = (message: string) => io.stderr.write(`nsnap: ${message}\n`);
  const urls = sources.filter(isStoreUrl);
  const paths = sources.filter((s) => !isStoreUrl(s));
  if (urls.length === 0) {
    const misplaced = STORE_ONLY_FLAGS.filter((k) => flags[k] !== undefined && flags[k] !== false);
    if (misplaced.length > 0) throw new UsageError(`${misplaced.map(flagName).join(', ')} apply to store URLs (s3://bucket/prefix, file:///dir), and no source is one`);
  }
  const settings = storeSettings(flags, now());
  // The SDK warns on every run that releases after January 2027 need Node 22: noise in a report, not news to act on.
  if (urls.some((u) => u.startsWith('s3://'))) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const stores: ObjectStore[] = [];
  for (const url of urls) {
    try {
      stores.push(
        await openStore(url, {
          ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
          ...(flags.s3Region !== undefined ? { s3Region: flags.s3Region } : {}),
          ...(flags.s3ForcePathStyle ? { s3ForcePathStyle: true } : {}),
        }),
      );
    } catch (error) {
      throw new UsageError(`${quote(url)}: ${(error as Error).message}`);
    }
  }

  const db = openDatabase(flags.db ?? defaultDbPath(), { mustExist: false });
  try {
    const files: FileOutcome[] = [];
    const ignoredEntries: Unread[] = [];
    const started = performance.now();
    if (paths.length > 0) {
      const progress = startProgress(io.stderr, flags.verbose || flags.quiet ? { kind: 'off' } : io.progress, null);
      const local = await ingestSourcesPipelined(db, paths, {
        onFile: localReporter(flags, progress),
        onIgnored: (e) => {
          if (flags.verbose) progress.message(`nsnap: not read: ${escapeControl(e.path)}: ${e.reason}`);
        },
        now,
      });
      progress.end();
      files.push(...local.files);
      ignoredEntries.push(...local.ignoredEntries);
    }
    const storeSummaries: StoreSummary[] = [];
    for (const store of stores) storeSummaries.push(await ingestOneStore(db, store, settings, flags, io, now));
    for (const s of storeSummaries) files.push(...s.files);
    const count = (k: FileOutcome['outcome']) => files.filter((f) => f.outcome === k).length;
    const summary: IngestAnswer = {
      answerVersion: ANSWER_VERSIONS.ingest,
      ingested: count('ingested'),
      skipped: count('skipped') + storeSummaries.reduce((n, s) => n + s.known, 0),
      failed: count('failed'),
      ignored: ignoredEntries.length,
      files,
      ignoredEntries,
      durationMs: performance.now() - started,
      stores: storeSummaries.map(({ files: _files, ...rest }) => rest),
    };
    // A store's sidecars lie beside every bundle: counting them would make every ingest of a store look odd (-v still names them).
    const odd = ignoredEntries.filter((e) => e.reason !== STORE_METADATA).length;
    const notRead = odd > 0 ? `, ${odd} other entr${odd === 1 ? 'y' : 'ies'} not read (not bundles; -v names them)` : '';
    if (!flags.quiet) log(`${summary.ingested} ingested, ${summary.skipped} skipped (already in the database), ${summary.failed} failed${notRead} in ${(summary.durationMs / 1000).toFixed(2)} s`);
    return summary;
  } finally {
    closeWritable(db);
  }
}

async function ingestOneStore(
  db: Database,
  store: ObjectStore,
  settings: { filter: KeyFilter; concurrency: number },
  flags: IngestFlags,
  io: IngestIo,
  now: () => Date,
): Promise<StoreSummary> {
  const started = performance.now();
  // -v names every file: a progress line between them would say nothing more.
  const progress = startProgress(io.stderr, flags.verbose || flags.quiet ? { kind: 'off' } : io.progress, store.url, { logAtOnce: true });
  const say = (message: string) => progress.message(`nsnap: ${message}`);
  let foreignShown = 0;
  const summary = await ingestStore(db, store, {
    ...settings,
    now,
    onFile: (o) => {
      if (o.outcome === 'failed') say(`failed: ${escapeControl(o.path)}: ${escapeControl(o.reason ?? '')}`);
      else if (flags.verbose) say(`${o.outcome}: ${escapeControl(o.path)}${o.outcome === 'ingested' ? ` (snapshot ${o.snapshotId} of ${escapeControl(o.host ?? '?')})` : `: ${o.reason}`}`);
    },
    onForeign: (location) => {
      if (foreignShown++ < FOREIGN_SHOWN) say(`skipped-foreign: ${escapeControl(location)}: not a bundle key (host=H/date=YYYY-MM-DD/YYYYMMDDTHHMMSSZ_ID.json.gz)`);
    },
    onProgress: (c) => progress.update((live) => (live ? progressBar : progressText)(c, performance.now() - started)),
  });
  progress.end();
  if (summary.foreign > FOREIGN_SHOWN) io.stderr.write(`nsnap: … and ${summary.foreign - FOREIGN_SHOWN} more foreign keys (the first ${summary.foreignKeys.length} are in --json)\n`);
  if (!flags.quiet) {
    const n = summary.prefixes.length;
    io.stderr.write(
      `nsnap: ${summary.url}: listed ${summary.listed} keys under ${n} prefix${n === 1 ? '' : 'es'}` +
        `${summary.topLevel === null ? '' : ` planned from ${summary.topLevel.length} top-level prefix${summary.topLevel.length === 1 ? '' : 'es'}`}` +
        ` (${summary.pages} page${summary.pages === 1 ? '' : 's'}); ` +
        `${summary.known} already ingested, not downloaded; ${summary.downloaded} downloaded (${summary.downloadedBytes} bytes` +
        `${summary.unverified > 0 ? `, ${summary.unverified} without a sha256 to check` : ''}); ${summary.outOfRange} outside --host/--since/--until; ${summary.foreign} foreign\n`,
    );
  }
  return summary;
}

/** Names failures (always), every file with --verbose, and how far it got. */
function localReporter(flags: IngestFlags, progress: Progress) {
  return (o: FileOutcome, done: number, total: number) => {
    const path = escapeControl(o.path);
    if (o.outcome === 'failed') progress.message(`nsnap: failed: ${path}: ${escapeControl(o.reason ?? '')}`);
    else if (flags.verbose) progress.message(`nsnap: ${o.outcome}: ${path}${o.outcome === 'ingested' ? ` (snapshot ${o.snapshotId} of ${escapeControl(o.host ?? '?')})` : `: ${o.reason}`}`);
    if (done < total) progress.update(() => `${done}/${total} bundles read…`);
  };
}
