import path from 'node:path';
import { LocalStore, openStore, type ObjectStore, type StoreOptions } from '@nsnap/shared/core';
import { EXIT, UsageError } from '../exit-codes.js';
import type { EncodedBundle } from '../encode.js';
import { deliver, type ContentEncodingChoice } from './deliver.js';
import { DEFAULT_RETRY } from './retry.js';
import { acquireRunLock, LockHeldError, type RunLock } from './run-lock.js';
import type { DrainReport, Delivery } from './deliver.js';
import { defaultLockPath, spoolDirFor } from './default-paths.js';
import { ensureLocalRoot, localRootProblem } from './local-root.js';
import { adoptSpool, describeOtherSpool, waitingElsewhere } from './spool-root.js';
import { legacyStoreIdentity, storeIdentity } from './store-identity.js';
import { Spool } from './spool.js';

export interface DestinationOptions extends StoreOptions {
  /** A path, file:///dir or s3://bucket/prefix. */
  out: string;
  spoolRoot: string;
  spoolMaxBytes: number;
  /** The run lock; by default beside the destination's spool. */
  lock?: string;
  /** --s3-content-encoding: how the bundles are described to the store. */
  contentEncoding?: ContentEncodingChoice;
}

export interface Destination {
  store: ObjectStore;
  contentEncoding: ContentEncodingChoice;
  spool: Spool;
  lockPath: string;
  /** Where every destination's spool is (`--spool`). */
  spoolRoot: string;
  /** Where an earlier build spooled for this store (keyed by the spelling of --out); adopted by the run. */
  legacySpoolDir: string;
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
  const identity = await storeIdentity(store, options.s3Endpoint);
  const spool = new Spool(spoolDirFor(options.spoolRoot, identity), options.spoolMaxBytes, identity);
  return { store, contentEncoding: options.contentEncoding ?? 'none', spool, lockPath: options.lock ?? defaultLockPath(spool.dir), spoolRoot: path.resolve(options.spoolRoot), legacySpoolDir: spoolDirFor(options.spoolRoot, legacyStoreIdentity(store, options.s3Endpoint)) };
}

/** The store flags every subcommand shares: --out, --s3-*, --spool, --spool-max-bytes, --lock. */
export interface StoreFlags {
  out: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3ForcePathStyle?: boolean;
  s3ContentEncoding?: ContentEncodingChoice;
  spool: string;
  spoolMaxBytes: number;
  lock?: string;
}

/** The flags as destination options (unset flags stay unset, so defaults apply). */
export function destinationOptionsFrom(flags: StoreFlags): DestinationOptions {
  if (flags.out.startsWith('s3://')) {
    // The SDK warns on every Node 20 start that its releases after 2026 need Node 22: noise in cron mail.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  }
  return {
    out: flags.out,
    ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
    ...(flags.s3Region !== undefined ? { s3Region: flags.s3Region } : {}),
    ...(flags.s3ForcePathStyle !== undefined ? { s3ForcePathStyle: flags.s3ForcePathStyle } : {}),
    spoolRoot: flags.spool,
    spoolMaxBytes: flags.spoolMaxBytes,
    ...(flags.lock !== undefined ? { lock: flags.lock } : {}),
    ...(flags.s3ContentEncoding !== undefined ? { contentEncoding: flags.s3ContentEncoding } : {}),
  };
}

/** The destination named by the flags; a bad --out (malformed URL, a directory that cannot hold a store) is a usage error that shows it. */
export async function openDestinationFromFlags(flags: StoreFlags): Promise<Destination> {
  const refuse = (why: string) => new UsageError(`--out ${JSON.stringify(flags.out.slice(0, 200))}: ${why}`);
  let destination: Destination;
  try {
    destination = await openDestination(destinationOptionsFrom(flags));
  } catch (error) {
    throw refuse((error as Error).message);
  }
  if (destination.store instanceof LocalStore) {
    const problem = await localRootProblem(destination.store.root);
    if (problem !== null) throw refuse(problem);
  }
  return destination;
}

/**
 * Runs `work` holding the destination's run lock. A lock held by a live run
 * ends this one with exit code 6; a lock that cannot be created is no reason
 * to lose a snapshot (an unprivileged user without a writable home).
 */
export async function withRunLock(destination: Destination, log: (message: string) => void, work: () => Promise<number>): Promise<number> {
  let lock: RunLock | null = null;
  try {
    lock = await acquireRunLock(destination.lockPath);
  } catch (error) {
    if (error instanceof LockHeldError) {
      log(error.message);
      return EXIT.locked;
    }
    log(`cannot create the run lock ${destination.lockPath} (${(error as Error).message}); running without it`);
  }
  try {
    return await work();
  } finally {
    await lock?.release();
  }
}

/**
 * Stores a bundle — what waits in the spool first — and returns the exit
 * code: `outcome` when stored (the location is then the last stdout line),
 * 3 when spooled, 5 when lost. `report` gets where the bundle now is.
 */
export async function deliverBundle(
  encoded: EncodedBundle,
  snapshotId: string,
  destination: Destination,
  outcome: number,
  log: (message: string) => void,
  report: (location: string) => void,
  /** What is worth saying but no problem (silent with --quiet). */
  notice: (message: string) => void = log,
): Promise<number> {
  const { store, spool } = destination;
  if (store instanceof LocalStore && (await ensureLocalRoot(store.root).catch(() => false))) notice(`created the store directory ${store.root}`);
  const adopted = await adoptSpool(destination.legacySpoolDir, spool).catch((error: Error) => {
    log(`cannot move the bundles spooled by an earlier build from ${destination.legacySpoolDir}: ${error.message}`);
    return 0;
  });
  if (adopted > 0) notice(`moved ${adopted} bundle${adopted === 1 ? '' : 's'} spooled by an earlier build from ${destination.legacySpoolDir} to ${spool.dir}`);
  const { drain, delivery } = await deliver(encoded, { store, spool, retry: DEFAULT_RETRY, log, contentEncoding: destination.contentEncoding });
  for (const other of await waitingElsewhere(destination.spoolRoot, spool.dir)) log(describeOtherSpool(other));
  if (delivery.kind === 'stored') {
    report(delivery.location);
    process.stdout.write(`${delivery.location}\n`);
    return outcome;
  }
  log(describeUndelivered(snapshotId, store, spool, drain, delivery));
  if (delivery.kind === 'spooled') {
    report(delivery.entry.file);
    return EXIT.notStored;
  }
  return EXIT.lost;
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
