import { StoreError, type ObjectStore, type PutOptions } from '@nsnap/shared/core';
import { withRetries, type RetryPolicy } from './retry.js';
import { SpoolEntryError, type Spool, type SpooledBundle, type SpoolEntry } from './spool.js';

export interface DeliveryDeps {
  store: ObjectStore;
  /** How the gzip'd bundle is described to the store (--s3-content-encoding); 'none' when unset. */
  contentEncoding?: ContentEncodingChoice;
  spool: Spool;
  retry: RetryPolicy;
  /** One line on stderr. */
  log: (message: string) => void;
}

export interface DrainReport {
  /** Spooled bundles now in the store (and gone from the spool), oldest first. */
  uploaded: SpoolEntry[];
  /** Unreadable spool files, renamed aside (never deleted) for a person to look at. */
  rejected: Array<{ file: string; movedTo: string; reason: string }>;
  /** The store failure that stopped the drain; `waiting` entries are still in the spool. */
  stoppedBy: StoreError | null;
  waiting: number;
  /** The spool directory itself could not be read; the new bundle is still delivered. */
  spoolError: Error | null;
}

export type Delivery =
  | { kind: 'stored'; location: string }
  /** Not stored, but safe in the spool: the next run uploads it. */
  | { kind: 'spooled'; entry: SpoolEntry; usedBytes: number; error: StoreError }
  /** Not stored and not spooled: the spool is at its limit. Nothing was removed from it. */
  | { kind: 'spool-full'; usedBytes: number; neededBytes: number; maxBytes: number; error: StoreError }
  /** Not stored and the spool could not be written either. */
  | { kind: 'spool-failed'; spoolError: Error; error: StoreError };

export const CONTENT_ENCODINGS = ['none', 'gzip'] as const;
export type ContentEncodingChoice = (typeof CONTENT_ENCODINGS)[number];

/**
 * The object's metadata. 'none' (the default): a gzip file, `Content-Type: application/gzip`, no
 * Content-Encoding, so every client downloads the stored bytes, which the sha256 names. 'gzip': JSON
 * sent with `Content-Encoding: gzip`, which browsers, curl --compressed and some engines' HTTP readers
 * undo silently, so what they save or hash is not what was stored (docs/s3.md). The analyzer reads both.
 */
export function putOptions(sha256: string, encoding: ContentEncodingChoice = 'none'): PutOptions {
  if (encoding === 'gzip') return { contentType: 'application/json', contentEncoding: 'gzip', metadata: { sha256 } };
  return { contentType: 'application/gzip', metadata: { sha256 } };
}

/** Uploads with retries; anything but a StoreError is a bug and propagates. */
async function upload(key: string, body: Uint8Array, sha256: string, deps: DeliveryDeps): Promise<void> {
  await withRetries(() => deps.store.put(key, body, putOptions(sha256, deps.contentEncoding)), {
    ...deps.retry,
    onRetry: ({ attempt, delayMs, error }) => deps.log(`storing ${key} failed (${error.message}); try ${attempt + 1} of ${deps.retry.attempts} in ${delayMs} ms`),
  });
}

/**
 * Sends what waits in the spool, oldest first. An entry is deleted only after its
 * upload succeeded; the first store failure stops the drain (the store is down or
 * refusing, and the next run will try again).
 */
export async function drainSpool(deps: DeliveryDeps): Promise<DrainReport> {
  const report: DrainReport = { uploaded: [], rejected: [], stoppedBy: null, waiting: 0, spoolError: null };
  let entries;
  try {
    entries = await deps.spool.entries();
  } catch (error) {
    report.spoolError = error as Error;
    deps.log(`cannot read the spool ${deps.spool.dir}: ${(error as Error).message}`);
    return report;
  }
  for (const [i, item] of entries.entries()) {
    try {
      if (item instanceof SpoolEntryError) throw item;
      const body = await deps.spool.read(item);
      await upload(item.key, body, item.sha256, deps);
      await deps.spool.remove(item);
      report.uploaded.push(item);
      deps.log(`uploaded spooled bundle ${deps.store.locate(item.key)} (spooled at ${item.spooledAt})`);
    } catch (error) {
      if (error instanceof SpoolEntryError) {
        const movedTo = await deps.spool.reject(error);
        report.rejected.push({ file: error.file, movedTo, reason: error.message });
        deps.log(`${error.message}; moved to ${movedTo} and left for inspection`);
      } else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // Sent and removed meanwhile by a run that uses another --lock: nothing left to do.
        continue;
      } else if (error instanceof StoreError) {
        report.stoppedBy = error;
        report.waiting = entries.length - i;
        break;
      } else {
        throw error;
      }
    }
  }
  return report;
}

/**
 * The run's delivery: first the spool, then the new bundle — stored if the store
 * takes it, else spooled. When the drain already met a store failure the new bundle
 * goes straight to the spool rather than retrying a store that just failed.
 */
export async function deliver(bundle: SpooledBundle, deps: DeliveryDeps): Promise<{ drain: DrainReport; delivery: Delivery }> {
  const drain = await drainSpool(deps);
  let error: StoreError;
  if (drain.stoppedBy) {
    error = drain.stoppedBy;
  } else {
    try {
      await upload(bundle.key, bundle.gzip, bundle.sha256, deps);
      return { drain, delivery: { kind: 'stored', location: deps.store.locate(bundle.key) } };
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      error = e;
    }
  }
  try {
    const added = await deps.spool.add(bundle);
    if (added.kind === 'full') return { drain, delivery: { ...added, kind: 'spool-full', error } };
    return { drain, delivery: { kind: 'spooled', entry: added.entry, usedBytes: added.usedBytes, error } };
  } catch (spoolError) {
    return { drain, delivery: { kind: 'spool-failed', spoolError: spoolError as Error, error } };
  }
}
