import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStore } from './local.js';
import type { ObjectStore } from './store.js';

export interface StoreOptions {
  s3Endpoint?: string;
  s3Region?: string;
  s3ForcePathStyle?: boolean;
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
