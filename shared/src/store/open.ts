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
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error(`unsupported store URL scheme: ${url} (use a path, file:///dir or s3://bucket/prefix)`);
  return new LocalStore(path.resolve(url));
}
