import { createHash } from 'node:crypto';
import { BundleError, unpackStored, validateBundle, type Bundle } from '@nsnap/shared';
import type { GapRow } from './normalize.js';

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

/** Stored bytes → JSON bytes and hashes, with the limits `unpackStored` applies. */
export function unpackBundle(stored: Uint8Array): Unpacked {
  const json = unpackStored(stored);
  return {
    json,
    contentSha256: createHash('sha256').update(json).digest('hex'),
    storedSha256: createHash('sha256').update(stored).digest('hex'),
    storedBytes: stored.byteLength,
  };
}

/**
 * Tag keys that name parts of every JavaScript object: `JSON.parse` keeps `__proto__` as a key, the
 * schema's record then drops it without a word, and `constructor` read back from a plain object is
 * a function. The collector refuses them; a bundle that has one loses that tag, with a gap naming it.
 */
const RESERVED_TAG_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A parsed bundle, and what ingest found to say about it before normalizing. */
export interface Parsed {
  bundle: Bundle;
  gaps: GapRow[];
}

/** Validates the JSON bytes against the shared schema (BundleError names the field). */
export function parseUnpacked(unpacked: Unpacked): Parsed {
  let doc: unknown;
  try {
    doc = JSON.parse(unpacked.json.toString('utf8'));
  } catch (error) {
    throw new BundleError(`not JSON: ${(error as Error).message}`, 'json');
  }
  const gaps: GapRow[] = [];
  const tags = (doc as { tags?: unknown } | null)?.tags;
  if (typeof tags === 'object' && tags !== null && !Array.isArray(tags)) {
    for (const key of Object.keys(tags).filter((k) => RESERVED_TAG_KEYS.has(k))) {
      gaps.push({ source: 'ingest', probe: 'tags', subject: `tag ${key}`, reason: 'failed', detail: `a reserved key (${[...RESERVED_TAG_KEYS].join(', ')}): the tag is not stored` });
    }
    if (gaps.length > 0) (doc as { tags: unknown }).tags = Object.fromEntries(Object.entries(tags).filter(([k]) => !RESERVED_TAG_KEYS.has(k)));
  }
  return { bundle: validateBundle(doc), gaps };
}
