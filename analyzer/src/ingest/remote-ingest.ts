import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { parseBundleKey, type ObjectStore } from '@nsnap/shared';
import type { FileOutcome, StoreCounters, StoreSummaryAnswer } from '../answer/ingest.js';
import { bundleIngester } from './ingest.js';
import { keyMatches, pastUntil, planListing, planTopLevel, type KeyFilter, type ListingPlan } from './remote-listing-plan.js';

/** Counts of one store ingest; what the progress display and the summary show. */
/** A store's part of the `ingest` answer (answer/ingest.ts), with its files (which the answer lists with the others). */
export type StoreSummary = StoreSummaryAnswer & { files: FileOutcome[] };

export interface StoreIngestOptions {
  filter: KeyFilter;
  /** Downloads in flight at once. */
  concurrency: number;
  now?: () => Date;
  /** After each downloaded key's outcome. */
  onFile?(outcome: FileOutcome): void;
  /** For each key outside the layout. */
  onForeign?(location: string): void;
  /** After each listing page and each outcome. */
  onProgress?(counters: Readonly<StoreCounters>): void;
}

export const FOREIGN_KEPT = 1000;

/**
 * Ingests a store's bundles incrementally: lists only the prefixes the filter
 * needs, skips keys this database already took from the store (by their
 * location in `ingest_log`, without downloading them), downloads the rest with
 * bounded concurrency, checks each against the sha256 the collector put in its
 * metadata, and ingests it like a file — validated, one transaction per bundle.
 * A stopped run loses at most the bundles in flight: the next run skips what
 * was committed. A listing that fails is one failed outcome for the store URL.
 */
export async function ingestStore(db: Database, store: ObjectStore, options: StoreIngestOptions): Promise<StoreSummary> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const ingester = bundleIngester(db, now);
  const isKnown = db.prepare("SELECT 1 FROM ingest_log WHERE source = ? AND outcome IN ('ingested', 'skipped') LIMIT 1").pluck();
  const plan = planListing(options.filter, now());
  const c: StoreCounters = {
    prefixesListed: 0, pages: 0, listed: 0, outOfRange: 0, foreign: 0, known: 0, downloaded: 0, downloadedBytes: 0,
    unverified: 0, ingested: 0, skipped: 0, failed: 0, listingDone: false,
  };
  const files: FileOutcome[] = [];
  const foreignKeys: string[] = [];
  const progress = () => options.onProgress?.(c);
  const done = (o: FileOutcome) => {
    files.push(o);
    c[o.outcome] += 1;
    options.onFile?.(o);
    progress();
  };

  const listed: string[] = [];
  let topLevel: string[] | null = null;

  /** The plans to carry out: the filter's own, or one per top-level prefix a delimiter listing finds. */
  async function* plans(): AsyncGenerator<ListingPlan> {
    if (!plan.byHost) {
      yield plan;
      return;
    }
    topLevel = [];
    try {
      for await (const page of store.listPrefixes('')) {
        c.pages += 1;
        topLevel.push(...page);
        for (const prefix of page) yield planTopLevel(prefix, options.filter, now());
        progress();
      }
    } catch (error) {
      done(ingester.fail(`${store.url}/`, `cannot list hosts: ${(error as Error).message}`, null, performance.now()));
      return;
    }
    // A server that ignores the delimiter (or gets it wrong, as s3rver does for keys two levels down) names no prefix: list everything.
    if (topLevel.length === 0) yield { prefixes: [''], ordered: false, byHost: false };
  }

  async function* toFetch(): AsyncGenerator<string> {
    for await (const p of plans()) {
      for (const prefix of p.prefixes) {
        listed.push(prefix);
        try {
          listing: for await (const page of store.list(prefix)) {
            c.pages += 1;
            c.listed += page.length;
            for (const { key } of page) {
              const parsed = parseBundleKey(key);
              if (parsed === null) {
                c.foreign += 1;
                if (foreignKeys.length < FOREIGN_KEPT) foreignKeys.push(key);
                options.onForeign?.(store.locate(key));
              } else if (!keyMatches(parsed, options.filter)) {
                c.outOfRange += 1;
                if (p.ordered && pastUntil(parsed, options.filter)) break listing;
              } else if (isKnown.get(store.locate(key)) !== undefined) {
                c.known += 1;
              } else {
                yield key;
              }
            }
            progress();
          }
        } catch (error) {
          done(ingester.fail(`${store.url}/${prefix}`, `cannot list: ${(error as Error).message}`, null, performance.now()));
        }
        c.prefixesListed += 1;
      }
    }
    c.listingDone = true;
    progress();
  }

  const fetchOne = async (key: string): Promise<void> => {
    const location = store.locate(key);
    const t0 = performance.now();
    let body: Uint8Array;
    let expected: string | undefined;
    try {
      ({ body, metadata: { sha256: expected } } = await store.getWithMetadata(key));
    } catch (error) {
      done(ingester.fail(location, (error as Error).message, null, t0));
      return;
    }
    c.downloaded += 1;
    c.downloadedBytes += body.byteLength;
    const sha256 = createHash('sha256').update(body).digest('hex');
    if (expected === undefined) c.unverified += 1;
    else if (expected.toLowerCase() !== sha256) {
      const reason = `corrupt: the stored bytes have sha256 ${sha256.slice(0, 16)}…, the object's metadata says ${expected.slice(0, 16)}…`;
      done(ingester.fail(location, reason, { sha256, bytes: body.byteLength }, t0));
      return;
    }
    done(ingester.ingest(location, () => body, t0));
  };

  const keys = toFetch();
  const worker = async () => {
    for (;;) {
      const next = await keys.next();
      if (next.done) return;
      await fetchOne(next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  ingester.finish();
  return { url: store.url, prefixes: listed, topLevel, ...c, foreignKeys, files, durationMs: performance.now() - started };
}
