import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS, S3RVER_ENV, startS3rver, type S3rverHandle } from '../../../test/support/s3rver.js';
import { openStore } from './open.js';
import { S3Store, type S3StoreSettings } from './s3.js';
import { StoreError, type ObjectStore } from './store.js';

let s3: S3rverHandle;

beforeAll(async () => {
  s3 = await startS3rver({ extraBuckets: ['other-bucket'] });
});

afterAll(async () => {
  await s3?.dispose();
});

function store(settings: Partial<S3StoreSettings> = {}): S3Store {
  return new S3Store({ bucket: s3.bucket, prefix: '', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1, ...settings });
}

async function keys(s: ObjectStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const page of s.list(prefix)) out.push(...page.map((o) => o.key));
  return out;
}

async function failure(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

const PUT = { contentType: 'text/plain' } as const;

describe('S3Store.fromUrl', () => {
  it('names the store by bucket and prefix and keeps keys relative to the prefix', () => {
    const s = S3Store.fromUrl('s3://nsnap-bundles/fleet/eu/', { s3Endpoint: 'http://127.0.0.1:1' });
    expect(s.url).toBe('s3://nsnap-bundles/fleet/eu');
    expect(s.locate('host=a/x.json.gz')).toBe('s3://nsnap-bundles/fleet/eu/host=a/x.json.gz');
    expect(S3Store.fromUrl('s3://nsnap-bundles', {}).locate('k')).toBe('s3://nsnap-bundles/k');
  });

  it('refuses bad bucket names and unsafe prefixes', () => {
    expect(() => S3Store.fromUrl('s3://', {})).toThrow(/invalid S3 URL/);
    expect(() => S3Store.fromUrl('s3://Bad_Bucket/x', {})).toThrow(/invalid S3 bucket name/);
    expect(() => S3Store.fromUrl('s3://bucket/../x', {})).toThrow(/invalid key/);
    expect(() => S3Store.fromUrl('s3://bucket//x', {})).toThrow(/invalid key/);
  });
});

describe('S3Store against s3rver', () => {
  it('keeps a prefixed store inside its prefix', async () => {
    const root = store({ prefix: 'scoped' });
    // 'eu2' sorts after 'eu/' in every order; s3rver lists 'eu-x' after 'eu/…', unlike S3's byte order.
    await root.put('fleet/eu2', Buffer.from('sibling'), PUT);
    await root.put('fleet/eu/host=a/k1', Buffer.from('inside'), PUT);
    const scoped = store({ prefix: 'scoped/fleet/eu' });
    await scoped.put('host=a/k2', Buffer.from('inside too'), PUT);
    expect(await keys(scoped)).toEqual(['host=a/k1', 'host=a/k2']);
    expect(await keys(root, 'fleet/')).toEqual(['fleet/eu/host=a/k1', 'fleet/eu/host=a/k2', 'fleet/eu2']);
    expect(Buffer.from(await scoped.get('host=a/k1')).toString()).toBe('inside');
  });

  it('is opened by openStore with endpoint options and credentials from the AWS environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, S3RVER_ENV);
    try {
      const opened = await openStore(`s3://${s3.bucket}/via-open`, { s3Endpoint: s3.endpoint, s3MaxAttempts: 1 });
      expect(opened.url).toBe(`s3://${s3.bucket}/via-open`);
      await opened.put('k', Buffer.from('v'), { contentType: 'text/plain', metadata: { sha256: 'c'.repeat(64) } });
      expect(await opened.head('k')).toMatchObject({ size: 1, metadata: { sha256: 'c'.repeat(64) } });
      expect(await keys(store({ prefix: 'via-open' }))).toEqual(['k']);
    } finally {
      process.env = saved;
    }
  });

  it('says which bucket is missing, for put and list (a HEAD reply has no body to say it)', async () => {
    const s = store({ bucket: 'no-such-bucket' });
    const put = await failure(s.put('a/b', Buffer.from('x'), PUT));
    expect(put.message).toBe(`no such bucket: no-such-bucket at S3 endpoint ${s3.endpoint}`);
    expect(put.key).toBe('a/b');
    expect((await failure(keys(s))).message).toMatch(/^no such bucket: no-such-bucket/);
    expect(await s.head('a/b')).toBeNull();
  });

  // s3rver checks the access key id but not SigV4 signatures, so a wrong secret cannot be shown here.
  it('reports denied access with the S3 error code', async () => {
    await store().put('denied/k', Buffer.from('x'), PUT);
    const unknownKey = store({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'S3RVER' } });
    const e = await failure(unknownKey.get('denied/k'));
    expect(e.message).toBe(`access denied to s3://${s3.bucket}/denied/k (InvalidAccessKeyId): check the credentials and the bucket policy`);
    expect(e.key).toBe('denied/k');
    expect((await failure(unknownKey.put('denied/k2', Buffer.from('x'), PUT))).message).toMatch(/^access denied to .*\(InvalidAccessKeyId\)/);
    expect(await store().head('denied/k2')).toBeNull();
  });

  it('names a missing object on get, and head says null', async () => {
    const s = store();
    expect(await s.head('absent/k')).toBeNull();
    const e = await failure(s.get('absent/k'));
    expect(e.message).toBe(`no such object: s3://${s3.bucket}/absent/k`);
  });

  it('refuses to read an object larger than the limit', async () => {
    await store().put('big/k', Buffer.alloc(4096, 7), PUT);
    const e = await failure(store({ maxObjectBytes: 4095 }).get('big/k'));
    expect(e.message).toBe(`s3://${s3.bucket}/big/k is 4096 bytes, over the limit of 4095`);
    expect((await store({ maxObjectBytes: 4096 }).get('big/k')).byteLength).toBe(4096);
  });

  it('reports an unreachable endpoint, and works again (with its objects) once the server is back', async () => {
    const s = store();
    await s.put('outage/before', Buffer.from('kept'), PUT);
    await s3.stop();
    try {
      const e = await failure(s.put('outage/during', Buffer.from('x'), PUT));
      // A kept-alive socket from the put above may see the reset rather than the refusal.
      expect(e.message).toMatch(new RegExp(`^cannot reach S3 endpoint ${s3.endpoint.replace(/[.]/g, '\\.')} \\((ECONNREFUSED|ECONNRESET|EPIPE|ECONNABORTED)\\) to put s3://${s3.bucket}/outage/during$`));
      expect((await failure(keys(s, 'outage/'))).message).toMatch(/^cannot reach S3 endpoint .* \((ECONNREFUSED|ECONNRESET|EPIPE|ECONNABORTED)\) to list s3:\/\/nsnap-test\/outage\//);
    } finally {
      await s3.start();
    }
    expect(Buffer.from(await s.get('outage/before')).toString()).toBe('kept');
    await s.put('outage/after', Buffer.from('y'), PUT);
    expect(await keys(s, 'outage/')).toEqual(['outage/after', 'outage/before']);
  });

  it('uses the other bucket when named, and nothing leaks between buckets', async () => {
    const other = store({ bucket: 'other-bucket' });
    await other.put('only-here', Buffer.from('z'), PUT);
    expect(await keys(other)).toEqual(['only-here']);
    expect(await store().head('only-here')).toBeNull();
  });

  it('gives up on an endpoint that accepts the connection and then says nothing', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const s = store({ endpoint: `http://127.0.0.1:${port}`, idleTimeoutMs: 300 });
      const started = performance.now();
      const e = await failure(s.put('hung/k', Buffer.from('x'), PUT));
      expect(e.message).toBe(`S3 endpoint http://127.0.0.1:${port} timed out during put of s3://${s3.bucket}/hung/k`);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
