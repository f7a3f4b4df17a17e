export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date | null;
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
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object under `prefix`, one page at a time, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  /** Where a key is (or would be) stored, for messages: a path or an s3:// URL. */
  locate(key: string): string;
}

/** A failure of the store itself (unreachable, denied), as opposed to a bad key or body. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly key: string | null,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
