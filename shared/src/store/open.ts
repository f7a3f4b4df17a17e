import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStore } from './local.js';
import type { ObjectStore } from './store.js';

export interface StoreOptions {
  s3Endpoint?: string;
  s3Region?: string;
  /** Path-style requests (`endpoint/bucket/key`); the default for a custom endpoint. */
  s3ForcePathStyle?: boolean;
  /** Attempts per S3 request inside the SDK; a caller with its own retry policy passes 1. */
  s3MaxAttempts?: number;
}

/** Opens a store from its URL: a path, `file:///dir`, or `s3://bucket/prefix`. */
export async function openStore(url: string, options: StoreOptions = {}): Promise<ObjectStore> {
  if (url.startsWith('s3://')) {
    const { S3Store } = await import('./s3.js');
    return S3Store.fromUrl(url, options);
  }
  if (url.startsWith('file://')) return new LocalStore(fileURLToPath(url));
  // `s3:/bad` or `S3://b` would otherwise quietly become a local directory of that name: a path that looks like a URL must be written ./like:this.
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) throw new Error(`not a store URL: ${JSON.stringify(url.slice(0, 200))} (use a path, file:///dir or s3://bucket/prefix; write a relative directory with a colon as ./${url.slice(0, 40)})`);
  return new LocalStore(path.resolve(url));
}
