import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore, StoreError, type ObjectInfo, type ObjectStore } from '@nsnap/shared';
import { S3Store } from '../shared/src/store/s3.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from './support/s3rver.js';

/** Every object under `prefix`, with the page sizes seen. */
async function listAll(store: ObjectStore, prefix = ''): Promise<{ objects: ObjectInfo[]; pages: number[] }> {
  const objects: ObjectInfo[] = [];
  const pages: number[] = [];
  for await (const page of store.list(prefix)) {
    pages.push(page.length);
    objects.push(...page);
  }
  return { objects, pages };
}

/** Every common prefix one level below `prefix`, with the page sizes seen. */
async function listAllPrefixes(store: ObjectStore, prefix = ''): Promise<{ prefixes: string[]; pages: number[] }> {
  const prefixes: string[] = [];
  const pages: number[] = [];
  for await (const page of store.listPrefixes(prefix)) {
    pages.push(page.length);
    prefixes.push(...page);
  }
  return { prefixes, pages };
}

async function putMany(store: ObjectStore, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 32) {
    await Promise.all(keys.slice(i, i + 32).map((key) => store.put(key, Buffer.from(key), { contentType: 'text/plain' })));
  }
}

const tmpDirs: string[] = [];
let s3: S3rverHandle;
let prefixSeq = 0;

beforeAll(async () => {
  s3 = await startS3rver();
});

afterAll(async () => {
  await s3?.dispose();
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Backend {
  name: string;
  /**
   * Whether a delimiter listing behaves as S3's does. s3rver 3.7.1 does not: it
   * finds a common prefix only from an object directly inside it (its directory
   * walk never descends below the next level), and it returns every common prefix
   * in one page, counting only objects against MaxKeys.
   */
  s3Delimiter: boolean;
  /** A fresh, empty store; `pageSize` below the default exercises pagination. */
  open(pageSize?: number): Promise<ObjectStore>;
}

const backends: Backend[] = [
  {
    name: 'LocalStore',
    s3Delimiter: true,
    async open(pageSize) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'nsnap-store-'));
      tmpDirs.push(dir);
      return new LocalStore(path.join(dir, 'root'), pageSize === undefined ? {} : { pageSize });
    },
  },
  {
    name: 'S3Store on s3rver',
    s3Delimiter: false,
    async open(pageSize) {
      prefixSeq += 1;
      return new S3Store({
        bucket: s3.bucket,
        prefix: `contract/t${prefixSeq}`,
        endpoint: s3.endpoint,
        credentials: S3RVER_CREDENTIALS,
        maxAttempts: 1,
        ...(pageSize === undefined ? {} : { maxKeys: pageSize }),
      });
    },
  },
];

const KEY = 'host=web-1/date=2024-05-01/20240501T101500Z_0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.json.gz';

describe.each(backends)('ObjectStore contract: $name', (backend) => {
  it('puts, heads, gets, lists and deletes one object', async () => {
    const store = await backend.open();
    const body = gzipSync(Buffer.from(JSON.stringify({ hello: 'world' })));
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(await store.head(KEY)).toBeNull();

    await store.put(KEY, body, { contentType: 'application/json', contentEncoding: 'gzip', metadata: { sha256 } });

    const info = await store.head(KEY);
    expect(info).toMatchObject({ key: KEY, size: body.byteLength, metadata: { sha256 } });
    expect(info?.lastModified).toBeInstanceOf(Date);
    expect(Buffer.from(await store.get(KEY)).equals(body)).toBe(true);
    const got = await store.getWithMetadata(KEY);
    expect(Buffer.from(got.body).equals(body)).toBe(true);
    expect(got.metadata).toEqual({ sha256 });
    const { objects } = await listAll(store);
    expect(objects.map((o) => [o.key, o.size])).toEqual([[KEY, body.byteLength]]);
    expect(store.locate(KEY)).toContain(KEY);

    await store.delete(KEY);
    expect(await store.head(KEY)).toBeNull();
    expect((await listAll(store)).objects).toEqual([]);
    await expect(store.get(KEY)).rejects.toBeInstanceOf(StoreError);
    await expect(store.getWithMetadata(KEY)).rejects.toBeInstanceOf(StoreError);
  });

  it('keeps binary bodies byte-exact: gzip of random data, every byte value, empty', async () => {
    const store = await backend.open();
    const bodies = {
      'bin/random.gz': gzipSync(randomBytes(3 * 1024 * 1024)),
      'bin/all-bytes': Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256)),
      'bin/crlf-and-nul': Buffer.from('a\r\nb\0\r\n\r\n0\r\n\r\n'),
      'bin/empty': Buffer.alloc(0),
    };
    for (const [key, body] of Object.entries(bodies)) await store.put(key, body, { contentType: 'application/octet-stream' });
    for (const [key, body] of Object.entries(bodies)) {
      const got = Buffer.from(await store.get(key));
      expect(got.byteLength, key).toBe(body.byteLength);
      expect(createHash('sha256').update(got).digest('hex'), key).toBe(createHash('sha256').update(body).digest('hex'));
    }
    expect(gunzipSync(Buffer.from(await store.get('bin/random.gz'))).byteLength).toBe(3 * 1024 * 1024);
  });

  it('stores metadata with the object and replaces it on overwrite', async () => {
    const store = await backend.open();
    await store.put('m/a', Buffer.from('one'), { contentType: 'text/plain', metadata: { sha256: 'a'.repeat(64), collector: '0.1.0' } });
    expect((await store.head('m/a'))?.metadata).toEqual({ sha256: 'a'.repeat(64), collector: '0.1.0' });
    await store.put('m/a', Buffer.from('second'), { contentType: 'text/plain', metadata: { sha256: 'b'.repeat(64) } });
    expect((await store.head('m/a'))?.metadata).toEqual({ sha256: 'b'.repeat(64) });
    expect(Buffer.from(await store.get('m/a')).toString()).toBe('second');
    const got = await store.getWithMetadata('m/a');
    expect({ body: Buffer.from(got.body).toString(), metadata: got.metadata }).toEqual({ body: 'second', metadata: { sha256: 'b'.repeat(64) } });
    await store.put('m/none', Buffer.from('bare'), { contentType: 'text/plain' });
    expect((await store.getWithMetadata('m/none')).metadata).toEqual({});
  });

  it('lists the common prefixes one level down, in S3 order, without the objects beside them', async () => {
    const store = await backend.open();
    await putMany(store, [
      'host=a/date=2024-01-01/x',
      'host=a/date=2024-01-02/y',
      'host=a/date=2024-01-02/z',
      'host=a/loose',
      'host=ab/top',
      'host=a-b/top',
      'top-level-object',
    ]);
    expect((await listAllPrefixes(store)).prefixes).toEqual(['host=a-b/', 'host=a/', 'host=ab/']);
    expect((await listAllPrefixes(store, 'host=a/')).prefixes).toEqual(['host=a/date=2024-01-01/', 'host=a/date=2024-01-02/']);
    expect((await listAllPrefixes(store, 'host=a/date=2024-01-01/')).prefixes).toEqual([]);
    expect((await listAllPrefixes(store, 'host=zz/')).prefixes).toEqual([]);
    for (const bad of ['host=a', '../', 'a//', '/a/']) await expect(listAllPrefixes(store, bad), bad).rejects.toThrow(/invalid/);
  });

  // The bundle layout needs this: a host prefix holds only date prefixes, no objects.
  (backend.s3Delimiter ? it : it.fails)('finds a common prefix whose objects are all further down', async () => {
    const store = await backend.open();
    await putMany(store, ['host=a/date=2024-01-01/x', 'host=b/date=2024-01-02/y', 'notes/deep/readme']);
    expect((await listAllPrefixes(store)).prefixes).toEqual(['host=a/', 'host=b/', 'notes/']);
  });

  (backend.s3Delimiter ? it : it.fails)('lists common prefixes across many small pages, each once', async () => {
    const store = await backend.open(4);
    const hosts = Array.from({ length: 15 }, (_, i) => `host=h${String(i).padStart(2, '0')}/`);
    await putMany(store, hosts.flatMap((h) => [`${h}a`, `${h}b`, `${h}date=2024-01-02/c`]));
    const { prefixes, pages } = await listAllPrefixes(store);
    expect(prefixes).toEqual(hosts);
    expect(pages).toEqual([4, 4, 4, 3]);
  });

  it('lists across many small pages, in key order, each key once', async () => {
    const store = await backend.open(7);
    const keys = Array.from({ length: 52 }, (_, i) => `p/${String(i).padStart(3, '0')}`);
    await putMany(store, [...keys].reverse());
    const { objects, pages } = await listAll(store, 'p/');
    expect(objects.map((o) => o.key)).toEqual(keys);
    expect(pages).toEqual([7, 7, 7, 7, 7, 7, 7, 3]);
  });

  it('lists more than 1000 objects at the default page size', async () => {
    const store = await backend.open();
    const keys = Array.from({ length: 1234 }, (_, i) => `many/k${String(i).padStart(5, '0')}`);
    await putMany(store, keys);
    const { objects, pages } = await listAll(store, 'many/');
    expect(objects.map((o) => o.key)).toEqual(keys);
    expect(pages).toEqual([1000, 234]);
  });

  it('filters by prefix as a plain string prefix', async () => {
    const store = await backend.open(2);
    await putMany(store, ['host=a/date=2024-01-01/x', 'host=a/date=2024-01-02/y', 'host=ab/date=2024-01-01/z', 'host=b/date=2024-01-01/w']);
    const keysOf = async (prefix: string) => (await listAll(store, prefix)).objects.map((o) => o.key);
    expect(await keysOf('host=a/')).toEqual(['host=a/date=2024-01-01/x', 'host=a/date=2024-01-02/y']);
    expect(await keysOf('host=a')).toEqual(['host=a/date=2024-01-01/x', 'host=a/date=2024-01-02/y', 'host=ab/date=2024-01-01/z']);
    expect(await keysOf('host=a/date=2024-01-02/')).toEqual(['host=a/date=2024-01-02/y']);
    expect(await keysOf('host=c/')).toEqual([]);
    expect(await keysOf('')).toHaveLength(4);
  });

  it('refuses unsafe keys on every operation and writes nothing', async () => {
    const store = await backend.open();
    const unsafe = ['../escape', '/etc/passwd', 'a/../../b', 'a//b', './a', 'a/.', 'a\\b', 'a\0b', '', 'a/'];
    for (const key of unsafe) {
      await expect(store.put(key, Buffer.from('x'), { contentType: 'text/plain' }), JSON.stringify(key)).rejects.toThrow(/invalid key/);
      await expect(store.get(key)).rejects.toThrow(/invalid key/);
      await expect(store.head(key)).rejects.toThrow(/invalid key/);
      await expect(store.delete(key)).rejects.toThrow(/invalid key/);
      expect(() => store.locate(key)).toThrow(/invalid key/);
    }
    expect((await listAll(store)).objects).toEqual([]);
  });
});
