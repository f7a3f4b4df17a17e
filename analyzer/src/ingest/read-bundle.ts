import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { BundleError, LIMITS, decodeBundle, type Bundle } from '@nsnap/shared';

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
  if (stored.byteLength > LIMITS.storedBytes) throw new BundleError(`${stored.byteLength} bytes exceeds the ${LIMITS.storedBytes}-byte limit`, 'oversized');
  const raw = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  let json = raw;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      json = gunzipSync(raw, { maxOutputLength: LIMITS.bundleBytes });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new BundleError(`decompresses to more than ${LIMITS.bundleBytes} bytes`, 'oversized');
      throw new BundleError(`gzip: ${e.message}`, 'gzip');
    }
  }
  return {
    json,
    contentSha256: createHash('sha256').update(json).digest('hex'),
    storedSha256: createHash('sha256').update(raw).digest('hex'),
    storedBytes: raw.byteLength,
  };
}

/** Validates the JSON bytes against the shared schema (BundleError names the field). */
export function parseUnpacked(unpacked: Unpacked): Bundle {
  return decodeBundle(unpacked.json);
}
