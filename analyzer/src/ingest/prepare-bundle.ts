import { BundleError } from '@nsnap/shared';
import { describeFsError } from './find-bundles.js';
import { snapshotFacts, type SnapshotFacts } from './insert-snapshot.js';
import { normalizeBundle } from './normalize.js';
import { parseUnpacked, unpackBundle, type Unpacked } from './read-bundle.js';
import { routingRows } from './routing-rows.js';
import { meteredParser, parsedOnce } from './work-budget.js';

/** An unpacked bundle's identity, without its bytes. */
export type UnpackedFacts = Omit<Unpacked, 'json'> & { jsonBytes: number };

/**
 * One bundle read and made into facts without the database: what a worker thread hands the thread
 * that writes (ingest.ts). Plain data. A bundle whose content the database held when asked is not
 * parsed; a bundle that cannot be read or parsed is its reason.
 */
export type Prepared =
  | { kind: 'facts'; unpacked: UnpackedFacts; facts: SnapshotFacts }
  | { kind: 'known'; unpacked: UnpackedFacts }
  | { kind: 'failed'; unpacked: UnpackedFacts | null; reason: string };

const BUNDLE_ERROR_PREFIX: Record<BundleError['kind'], string> = {
  oversized: 'too large: ',
  gzip: '',
  json: '',
  version: 'wrong schema version: ',
  schema: 'schema violation: ',
};

/** What an ingest outcome says of an error: a bundle's, a file's or store's, or any other by its message. */
export function failureReason(error: unknown): string {
  if (error instanceof BundleError) return `${BUNDLE_ERROR_PREFIX[error.kind]}${error.message}`;
  return (error as NodeJS.ErrnoException).code ? describeFsError(error) : (error as Error).message;
}

const identity = (u: Unpacked): UnpackedFacts => ({ contentSha256: u.contentSha256, storedSha256: u.storedSha256, storedBytes: u.storedBytes, jsonBytes: u.json.byteLength });

/** Validates and normalizes an unpacked bundle into its facts; throws what `failureReason` names. */
export function factsOfUnpacked(u: Unpacked): SnapshotFacts {
  const { bundle, gaps } = parseUnpacked(u);
  const parse = parsedOnce(meteredParser());
  const rows = normalizeBundle(bundle, parse);
  rows.gaps.push(...gaps);
  const routes = routingRows(bundle, parse);
  rows.gaps.push(...routes.gaps);
  return snapshotFacts(rows, routes.rows);
}

/**
 * Reads (`read` may throw a file or store error, or a BundleError), unpacks and, unless `isKnown`
 * says the database holds its content, validates and normalizes one bundle. Never throws.
 */
export function prepareBundle(read: () => Uint8Array, isKnown: (contentSha256: string) => boolean): Prepared {
  let unpacked: UnpackedFacts | null = null;
  try {
    const u = unpackBundle(read());
    unpacked = identity(u);
    if (isKnown(u.contentSha256)) return { kind: 'known', unpacked };
    return { kind: 'facts', unpacked, facts: factsOfUnpacked(u) };
  } catch (error) {
    return { kind: 'failed', unpacked, reason: failureReason(error) };
  }
}
