import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bundleKey, uuidv7, type ObjectStore } from '@nsnap/shared';
import { S3Store } from '../../../shared/src/store/s3.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../../../test/support/s3rver.js';
import { deliver, drainSpool, type DeliveryDeps } from './deliver.js';
import { Spool, type SpooledBundle } from './spool.js';

let s3: S3rverHandle;
let tmp: string;
let seq = 0;
let store: ObjectStore;
let spoolDir: string;
let logs: string[];

beforeAll(async () => {
  s3 = await startS3rver();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nsnap-deliver-'));
});

afterAll(async () => {
  await s3?.dispose();
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  seq += 1;
  store = new S3Store({ bucket: s3.bucket, prefix: `deliver/t${seq}`, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
  spoolDir = path.join(tmp, `spool-${seq}`);
  logs = [];
});

function deps(overrides: Partial<DeliveryDeps> = {}): DeliveryDeps {
  return {
    store,
    spool: new Spool(spoolDir, 50_000_000),
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
    log: (m) => logs.push(m),
    ...overrides,
  };
}

function bundle(minute: number): SpooledBundle {
  const takenAt = new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();
  const gzip = gzipSync(Buffer.concat([Buffer.from(`{"minute":${minute},"pad":"`), randomBytes(3000), Buffer.from('"}')]));
  return { key: bundleKey({ host: 'web-1', takenAt, snapshotId: uuidv7(Date.parse(takenAt)) }), gzip, sha256: createHash('sha256').update(gzip).digest('hex') };
}

async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of store.list('')) keys.push(...page.map((o) => o.key));
  return keys;
}

async function expectStored(b: SpooledBundle): Promise<void> {
  expect(Buffer.from(await store.get(b.key)).equals(b.gzip)).toBe(true);
  expect((await store.head(b.key))?.metadata).toEqual({ sha256: b.sha256 });
}

async function whileDown<T>(fn: () => Promise<T>): Promise<T> {
  await s3.stop();
  try {
    return await fn();
  } finally {
    await s3.start();
  }
}

describe('deliver', () => {
  it('stores the bundle with its sha256 when the store is up and the spool is empty', async () => {
    const b = bundle(0);
    const { drain, delivery } = await deliver(b, deps());
    expect(delivery).toEqual({ kind: 'stored', location: store.locate(b.key) });
    expect(drain).toEqual({ uploaded: [], rejected: [], stoppedBy: null, waiting: 0, spoolError: null });
    await expectStored(b);
    expect(logs).toEqual([]);
  });

  it('spools when the store is down, then the next run sends the spooled bundle first and the new one after', async () => {
    const first = bundle(1);
    const down = await whileDown(() => deliver(first, deps()));
    expect(down.delivery.kind).toBe('spooled');
    if (down.delivery.kind !== 'spooled') return;
    expect(down.delivery.error.message).toMatch(/cannot reach S3 endpoint .*ECONNREFUSED/);
    expect(down.delivery.entry.key).toBe(first.key);
    expect(logs.filter((l) => l.startsWith(`storing ${first.key} failed`))).toHaveLength(2);
    expect(await storedKeys()).toEqual([]);

    logs = [];
    const second = bundle(2);
    const up = await deliver(second, deps());
    expect(up.drain.uploaded.map((e) => e.key)).toEqual([first.key]);
    expect(up.delivery).toEqual({ kind: 'stored', location: store.locate(second.key) });
    expect(logs).toEqual([`uploaded spooled bundle ${store.locate(first.key)} (spooled at ${up.drain.uploaded[0]!.spooledAt})`]);
    await expectStored(first);
    await expectStored(second);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('drains several spooled bundles oldest first', async () => {
    const spool = new Spool(spoolDir, 50_000_000);
    const bundles = [bundle(7), bundle(3), bundle(5)];
    for (const b of bundles) await spool.add(b);
    const report = await drainSpool(deps({ spool }));
    expect(report.uploaded.map((e) => e.key)).toEqual([bundles[1]!.key, bundles[2]!.key, bundles[0]!.key]);
    for (const b of bundles) await expectStored(b);
  });

  it('stops the drain at the first store failure, keeps every entry, and spools the new bundle without retrying', async () => {
    const spool = new Spool(spoolDir, 50_000_000);
    const waiting = [bundle(10), bundle(11)];
    for (const b of waiting) await spool.add(b);
    const next = bundle(12);
    const { drain, delivery } = await whileDown(() => deliver(next, deps({ spool })));
    expect(drain.uploaded).toEqual([]);
    expect(drain.waiting).toBe(2);
    expect(drain.stoppedBy?.message).toMatch(/ECONNREFUSED/);
    expect(delivery.kind).toBe('spooled');
    expect(logs.filter((l) => l.includes('failed'))).toHaveLength(2);
    expect(logs.every((l) => l.startsWith(`storing ${waiting[0]!.key} failed`))).toBe(true);
    expect((await spool.entries()).map((e) => ('key' in e ? e.key : e.message))).toEqual([...waiting, next].map((b) => b.key));
  });

  it('does not retry a refusal but still keeps the bundle in the spool', async () => {
    const denied = new S3Store({ bucket: s3.bucket, prefix: 'x', endpoint: s3.endpoint, credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'x' }, maxAttempts: 1 });
    const b = bundle(20);
    const { delivery } = await deliver(b, deps({ store: denied }));
    expect(delivery.kind).toBe('spooled');
    if (delivery.kind === 'spooled') expect(delivery.error.message).toMatch(/access denied .*InvalidAccessKeyId/);
    expect(logs).toEqual([]);
  });

  it('reports a full spool, stores nothing and removes nothing', async () => {
    const spool = new Spool(spoolDir, 50_000_000);
    await spool.add(bundle(30));
    const used = await spool.usedBytes();
    const b = bundle(31);
    const { delivery } = await whileDown(() => deliver(b, deps({ spool: new Spool(spoolDir, used + 10) })));
    expect(delivery).toMatchObject({ kind: 'spool-full', usedBytes: used, maxBytes: used + 10 });
    expect(await readdir(spoolDir)).toHaveLength(1);
    expect(await spool.usedBytes()).toBe(used);
  });

  it('reports a spool that cannot be written', async () => {
    const blocker = path.join(tmp, `blocker-${seq}`);
    await writeFile(blocker, 'a file where the spool directory should be');
    const spool = new Spool(path.join(blocker, 'spool'), 50_000_000);
    const { drain, delivery } = await whileDown(() => deliver(bundle(40), deps({ spool })));
    expect(drain.spoolError?.message).toMatch(/ENOTDIR/);
    expect(delivery.kind).toBe('spool-failed');
    if (delivery.kind === 'spool-failed') expect(delivery.spoolError.message).toMatch(/ENOTDIR|EEXIST/);
    expect(logs[0]).toMatch(/^cannot read the spool .*ENOTDIR/);

    logs = [];
    const b = bundle(41);
    expect((await deliver(b, deps({ spool }))).delivery.kind).toBe('stored');
    await expectStored(b);
  });

  it('moves a damaged spool entry aside, sends the others, and says so', async () => {
    const spool = new Spool(spoolDir, 50_000_000);
    const good = bundle(50);
    const bad = bundle(51);
    await spool.add(good);
    const added = await spool.add(bad);
    if (added.kind !== 'spooled') throw new Error('not spooled');
    const data = await readFile(added.entry.file);
    data.writeUInt8(data.readUInt8(data.length - 1) ^ 0x01, data.length - 1);
    await writeFile(added.entry.file, data);

    const report = await drainSpool(deps({ spool }));
    expect(report.uploaded.map((e) => e.key)).toEqual([good.key]);
    expect(report.rejected).toEqual([{ file: added.entry.file, movedTo: `${added.entry.file}.rejected`, reason: expect.stringMatching(/differs from the recorded/) }]);
    expect(logs.some((l) => l.includes('moved to') && l.includes('.rejected'))).toBe(true);
    expect(await storedKeys()).toEqual([good.key]);
    expect(await readdir(spoolDir)).toEqual([`${path.basename(added.entry.file)}.rejected`]);
  });
});
