import { createHash } from 'node:crypto';
import { decodeBundle, unpackStored, type Bundle } from '@nsnap/shared';

export interface Unpacked {
  /** The bundle's JSON text as bytes, decompressed when it was stored gzip'd. */
  json: Buffer;
  /**
   * sha256 of the decompressed JSON: the bundle's identity for idempotent
   * ingest. The same bundle stored gzip'd at another level, or uncompressed,
   * has the same content hash; the stored bytes would not.
   */
  contentSha256: string;
  storedSha256: string;
  storedBytes: number;
}

/** Stored bytes → JSON bytes and hashes, with the limits `decodeBundle` applies. */
export function unpackBundle(stored: Uint8Array): Unpacked {
  const json = unpackStored(stored);
  return {
    json,
    contentSha256: createHash('sha256').update(json).digest('hex'),
    storedSha256: createHash('sha256').update(stored).digest('hex'),
    storedBytes: stored.byteLength,
  };
}

/** Validates the JSON bytes against the shared schema (BundleError names the field). */
export function parseUnpacked(unpacked: Unpacked): Bundle {
  return decodeBundle(unpacked.json);
}
