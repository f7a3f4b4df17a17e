import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleKey, uuidv7 } from '@nsnap/shared';
import { Spool, SpoolEntryError, type SpoolEntry, type SpooledBundle } from './spool.js';

let dir: string;

beforeEach(async () => {
  dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'nsnap-spool-')), 'spool');
});

afterEach(async () => {
  await rm(path.dirname(dir), { recursive: true, force: true });
});

function bundle(takenAt: string, size = 2000): SpooledBundle {
  const gzip = gzipSync(randomBytes(size));
  return {
    key: bundleKey({ host: 'web-1', takenAt, snapshotId: uuidv7(Date.parse(takenAt)) }),
    gzip,
    sha256: createHash('sha256').update(gzip).digest('hex'),
  };
}

function ok(items: Array<SpoolEntry | SpoolEntryError>): SpoolEntry[] {
  return items.filter((x): x is SpoolEntry => !(x instanceof SpoolEntryError));
}

describe('Spool', () => {
  it('gives entries back oldest first, whatever order they were added in, byte-exact', async () => {
    const spool = new Spool(dir, 10_000_000);
    const b = [bundle('2024-05-01T10:02:00Z'), bundle('2024-05-01T10:00:00Z'), bundle('2024-04-30T23:59:59Z')];
    for (const x of b) expect((await spool.add(x)).kind).toBe('spooled');
    const entries = ok(await spool.entries());
    expect(entries.map((e) => e.key)).toEqual([b[2]!.key, b[1]!.key, b[0]!.key]);
    for (const e of entries) {
      const original = b.find((x) => x.key === e.key)!;
      expect(e.sha256).toBe(original.sha256);
      expect(Buffer.from(await spool.read(e)).equals(original.gzip)).toBe(true);
    }
  });

  it('writes one self-describing file per bundle: a header line, then the gzip bytes', async () => {
    const spool = new Spool(dir, 10_000_000);
    const b = bundle('2024-05-01T10:00:00Z');
    const added = await spool.add(b, new Date('2024-05-01T10:00:05Z'));
    if (added.kind !== 'spooled') throw new Error('not spooled');
    expect(path.basename(added.entry.file)).toBe(`${path.posix.basename(b.key, '.json.gz')}.spool`);
    const data = await readFile(added.entry.file);
    const nl = data.indexOf(0x0a);
    expect(data.subarray(0, nl).toString()).toBe(`nsnap-spool 1 ${JSON.stringify({ key: b.key, sha256: b.sha256, bytes: b.gzip.byteLength, spooledAt: '2024-05-01T10:00:05.000Z' })}`);
    expect(gunzipSync(data.subarray(nl + 1)).byteLength).toBe(2000);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readdir(dir)).toEqual([path.basename(added.entry.file)]);
  });

  it('refuses to go over the limit and removes nothing to make room', async () => {
    const first = bundle('2024-05-01T10:00:00Z');
    const probe = new Spool(dir, 10_000_000);
    const added = await probe.add(first);
    if (added.kind !== 'spooled') throw new Error('not spooled');
    const used = added.usedBytes;
    expect(used).toBe((await stat(added.entry.file)).size);

    const spool = new Spool(dir, used + 100);
    const second = bundle('2024-05-01T10:01:00Z');
    const full = await spool.add(second);
    expect(full).toEqual({ kind: 'full', usedBytes: used, neededBytes: expect.any(Number), maxBytes: used + 100 });
    if (full.kind !== 'full') throw new Error('not full');
    expect(full.neededBytes).toBeGreaterThan(second.gzip.byteLength);
    expect(ok(await spool.entries()).map((e) => e.key)).toEqual([first.key]);
    expect(await spool.usedBytes()).toBe(used);
  });

  it('counts leftovers and rejected files against the limit too', async () => {
    const spool = new Spool(dir, 10_000_000);
    await spool.add(bundle('2024-05-01T10:00:00Z', 10));
    const before = await spool.usedBytes();
    await writeFile(path.join(dir, '.tmp-abc'), Buffer.alloc(1234));
    expect(await spool.usedBytes()).toBe(before + 1234);
  });

  it('reports a damaged entry instead of returning wrong bytes, and moves it aside on reject', async () => {
    const spool = new Spool(dir, 10_000_000);
    const good = bundle('2024-05-01T10:00:00Z');
    const flipped = bundle('2024-05-01T10:01:00Z');
    await spool.add(good);
    const added = await spool.add(flipped);
    if (added.kind !== 'spooled') throw new Error('not spooled');
    const data = await readFile(added.entry.file);
    data.writeUInt8(data.readUInt8(data.length - 5) ^ 0xff, data.length - 5);
    await writeFile(added.entry.file, data);
    await writeFile(path.join(dir, '20240501T100200Z_garbage.spool'), 'not a spool file');
    await writeFile(path.join(dir, '20240501T100300Z_truncated.spool'), (await readFile(added.entry.file)).subarray(0, 300));

    const entries = await spool.entries();
    expect(entries.map((e) => (e instanceof SpoolEntryError ? `bad: ${path.basename(e.file)}` : e.key))).toEqual([
      good.key,
      flipped.key,
      'bad: 20240501T100200Z_garbage.spool',
      'bad: 20240501T100300Z_truncated.spool',
    ]);
    expect((entries[2] as SpoolEntryError).message).toMatch(/no nsnap-spool header/);
    expect((entries[3] as SpoolEntryError).message).toMatch(/body is \d+ bytes, header says \d+/);

    const readError = await spool.read(entries[1] as SpoolEntry).catch((e: unknown) => e);
    expect(readError).toBeInstanceOf(SpoolEntryError);
    expect((readError as Error).message).toMatch(/body sha256 [0-9a-f]{64} .* differs from the recorded/);
    const movedTo = await spool.reject(readError as SpoolEntryError);
    expect(movedTo).toBe(`${added.entry.file}.rejected`);
    expect(ok(await spool.entries()).map((e) => e.key)).toEqual([good.key]);
    expect((await readdir(dir)).sort()).toContain(path.basename(movedTo));
  });

  it('refuses a header whose key could escape the store', async () => {
    const spool = new Spool(dir, 10_000_000);
    const body = Buffer.from('x');
    const header = { key: '../../etc/cron.d/x', sha256: createHash('sha256').update(body).digest('hex'), bytes: 1, spooledAt: '2024-01-01T00:00:00Z' };
    await spool.add(bundle('2024-05-01T10:00:00Z', 1));
    await writeFile(path.join(dir, 'evil.spool'), Buffer.concat([Buffer.from(`nsnap-spool 1 ${JSON.stringify(header)}\n`), body]));
    const [entry, evil] = await spool.entries();
    expect(entry).not.toBeInstanceOf(SpoolEntryError);
    expect((evil as SpoolEntryError).message).toMatch(/unsafe key/);
  });

  it('removes an entry and is empty when the directory does not exist yet', async () => {
    const spool = new Spool(dir, 10_000_000);
    expect(await spool.entries()).toEqual([]);
    expect(await spool.usedBytes()).toBe(0);
    await spool.add(bundle('2024-05-01T10:00:00Z'));
    const [entry] = ok(await spool.entries());
    await spool.remove(entry!);
    expect(await spool.entries()).toEqual([]);
  });

  it('rejects a non-positive limit', () => {
    expect(() => new Spool(dir, 0)).toThrow(/positive number of bytes/);
  });
});
