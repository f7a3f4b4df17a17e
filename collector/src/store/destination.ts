import { openStore, type ObjectStore, type StoreOptions } from '@nsnap/shared';
import type { DrainReport, Delivery } from './deliver.js';
import { defaultLockPath, spoolDirFor } from './default-paths.js';
import { Spool } from './spool.js';

export interface DestinationOptions extends StoreOptions {
  /** A path, file:///dir or s3://bucket/prefix. */
  out: string;
  spoolRoot: string;
  spoolMaxBytes: number;
  /** The run lock; by default beside the destination's spool. */
  lock?: string;
}

export interface Destination {
  store: ObjectStore;
  spool: Spool;
  lockPath: string;
}

/** The store named by --out, its own spool below the spool root, and the lock that guards both. No I/O yet. */
export async function openDestination(options: DestinationOptions): Promise<Destination> {
  const store = await openStore(options.out, {
    ...(options.s3Endpoint !== undefined ? { s3Endpoint: options.s3Endpoint } : {}),
    ...(options.s3Region !== undefined ? { s3Region: options.s3Region } : {}),
    ...(options.s3ForcePathStyle !== undefined ? { s3ForcePathStyle: options.s3ForcePathStyle } : {}),
    // The collector retries with its own backoff (retry.ts); SDK retries inside each try would multiply them.
    s3MaxAttempts: 1,
  });
  const identity = options.s3Endpoint && store.url.startsWith('s3://') ? `${store.url} ${options.s3Endpoint}` : store.url;
  const spool = new Spool(spoolDirFor(options.spoolRoot, identity), options.spoolMaxBytes);
  return { store, spool, lockPath: options.lock ?? defaultLockPath(spool.dir) };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** What a person must know when the bundle did not reach the store: one line, loud when it is lost. */
export function describeUndelivered(snapshotId: string, store: ObjectStore, spool: Spool, drain: DrainReport, delivery: Exclude<Delivery, { kind: 'stored' }>): string {
  const why = `could not store snapshot ${snapshotId} in ${store.url}: ${delivery.error.message}`;
  switch (delivery.kind) {
    case 'spooled':
      return `${why}; kept in the spool as ${delivery.entry.file} (${drain.waiting + 1} waiting, ${mib(delivery.usedBytes)} of ${mib(spool.maxBytes)}); the next run sends it`;
    case 'spool-full':
      return (
        `${why}; NOT SPOOLED EITHER, the bundle is lost: the spool ${spool.dir} holds ${delivery.usedBytes} bytes, ` +
        `its limit (--spool-max-bytes) is ${delivery.maxBytes} and this bundle needs ${delivery.neededBytes}. Nothing was removed from the spool: ` +
        `make the store reachable so the next run drains it, or raise the limit`
      );
    case 'spool-failed':
      return `${why}; NOT SPOOLED EITHER, the bundle is lost: cannot write the spool ${spool.dir}: ${delivery.spoolError.message}`;
  }
}
