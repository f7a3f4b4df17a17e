import { assertSafeKey } from './keys.js';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date | null;
  metadata: Record<string, string>;
}

export interface StoredObject {
  body: Uint8Array;
  metadata: Record<string, string>;
}

export interface PutOptions {
  contentType: string;
  contentEncoding?: string;
  metadata?: Record<string, string>;
}

/**
 * Where bundles live: a local directory (the embedded default) or S3. Keys are
 * '/'-separated relative names, checked by `assertSafeKey` on every call.
 */
export interface ObjectStore {
  /** Printable location, e.g. `file:///var/lib/nsnap` or `s3://bucket/prefix`. */
  readonly url: string;
  put(key: string, body: Uint8Array, options: PutOptions): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** The body and the user metadata in one request (S3 returns both with GetObject). */
  getWithMetadata(key: string): Promise<StoredObject>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object under `prefix`, one page at a time, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo[]>;
  /**
   * The common prefixes one level below `prefix` (which is '' or ends in '/'),
   * each ending in '/', one page at a time, in order; objects directly under
   * `prefix` are not included. S3's ListObjectsV2 with a '/' delimiter.
   */
  listPrefixes(prefix: string): AsyncIterable<string[]>;
  delete(key: string): Promise<void>;
  /** Where a key is (or would be) stored, for messages: a path or an s3:// URL. */
  locate(key: string): string;
}

/** A failure of the store itself (unreachable, denied), as opposed to a bad key or body. */
const STORE_ERROR = Symbol.for('nsnap.StoreError');

export class StoreError extends Error {
  readonly [STORE_ERROR] = true;

  /**
   * Also true for a StoreError made by another copy of this module: the
   * collector's single file loads its S3 store as a separate chunk (build.mjs).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STORE_ERROR] === true;
  }

  constructor(
    message: string,
    readonly key: string | null,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** A prefix `listPrefixes` accepts: '' (the top) or safe key segments ending in '/'. */
export function assertSafePrefix(prefix: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/')) throw new Error(`invalid prefix (must end in '/'): ${JSON.stringify(prefix.slice(0, 200))}`);
  assertSafeKey(prefix.slice(0, -1));
}
