import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStore } from '@nsnap/shared/core';
import { S3Store } from '../../../shared/src/store/s3.js';
import { canonicalEndpoint, storeIdentity } from './store-identity.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-identity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('storeIdentity: one spelling per store', () => {
  it('spells an endpoint one way', () => {
    const one = canonicalEndpoint('http://minio:9000');
    for (const e of ['http://minio:9000/', 'HTTP://MINIO:9000//', ' http://minio:9000 ']) expect(canonicalEndpoint(e)).toBe(one);
    expect(canonicalEndpoint('https://s3.example.com:443/')).toBe('https://s3.example.com');
    expect(canonicalEndpoint('http://minio:9001')).not.toBe(one);
  });

  it('names a local store by its real path, also before it exists', async () => {
    mkdirSync(path.join(tmp, 'real'));
    symlinkSync(path.join(tmp, 'real'), path.join(tmp, 'link'));
    const plain = await storeIdentity(new LocalStore(path.join(tmp, 'real', 'store')), undefined, {});
    for (const spelled of [path.join(tmp, 'link', 'store'), `${path.join(tmp, 'link', 'store')}/`, path.join(tmp, 'real', '.', 'store')]) {
      expect(await storeIdentity(new LocalStore(spelled), undefined, {})).toBe(plain);
    }
  });

  it('counts the endpoint an S3 store is reached through, from the flag or the environment', async () => {
    const store = S3Store.fromUrl('s3://bucket/prefix/');
    expect(await storeIdentity(store, 'http://minio:9000/', {})).toBe('s3://bucket/prefix http://minio:9000');
    expect(await storeIdentity(store, undefined, { AWS_ENDPOINT_URL_S3: 'http://minio:9000' })).toBe('s3://bucket/prefix http://minio:9000');
    expect(await storeIdentity(store, undefined, {})).toBe('s3://bucket/prefix');
  });
});
