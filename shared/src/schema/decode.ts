import { gunzipSync } from 'node:zlib';
import { BundleSchema, LIMITS, SCHEMA_VERSION, type Bundle } from './bundle.js';
import { sizeText } from './limits.js';

/** A bundle that could not be read; `message` names the field or step and the reason. */
export class BundleError extends Error {
  constructor(
    message: string,
    readonly kind: 'oversized' | 'gzip' | 'json' | 'version' | 'schema',
  ) {
    super(message);
    this.name = 'BundleError';
  }
}

/** Validates parsed JSON against the schema; the error names every failing field path. */
export function validateBundle(doc: unknown): Bundle {
  const version = (doc as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof doc === 'object' && doc !== null && version !== SCHEMA_VERSION) {
    throw new BundleError(`schemaVersion: expected ${SCHEMA_VERSION}, got ${JSON.stringify(version) ?? 'nothing'}`, 'version');
  }
  const result = BundleSchema.safeParse(doc);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  const more = result.error.issues.length > 5 ? ` (+${result.error.issues.length - 5} more)` : '';
  throw new BundleError(`${problems.join('; ')}${more}`, 'schema');
}

/**
 * Stored bytes (gzip or plain JSON, told by the magic bytes) → the JSON bytes,
 * with sizes bounded before and after decompression.
 */
export function unpackStored(bytes: Uint8Array): Buffer {
  if (bytes.byteLength > LIMITS.storedBytes) throw new BundleError(`${bytes.byteLength} bytes, over the ${sizeText(LIMITS.storedBytes)} limit on a bundle's stored bytes`, 'oversized');
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw, { maxOutputLength: LIMITS.bundleBytes });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new BundleError(`decompresses to more than the ${sizeText(LIMITS.bundleBytes)} limit on a bundle's JSON bytes (inflating stopped there)`, 'oversized');
      throw new BundleError(`gzip: ${e.message}`, 'gzip');
    }
  }
  if (raw.byteLength > LIMITS.bundleBytes) throw new BundleError(`${raw.byteLength} bytes of JSON, over the ${sizeText(LIMITS.bundleBytes)} limit on a bundle's JSON bytes`, 'oversized');
  return raw;
}

/** Reads stored bytes into a validated bundle; a BundleError names the step or field and the reason. */
export function decodeBundle(bytes: Uint8Array): Bundle {
  let doc: unknown;
  try {
    doc = JSON.parse(unpackStored(bytes).toString('utf8'));
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(`not JSON: ${(error as Error).message}`, 'json');
  }
  return validateBundle(doc);
}
