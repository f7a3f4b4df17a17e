import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { Spool } from '../store/spool.js';
import { spoolCheck } from './spool-state.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-doctor-spool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const gzip = Buffer.from('not really gzip, the spool does not look inside');

describe('spool check', () => {
  it('a spool not created yet is fine when its parent is writable', async () => {
    const check = await spoolCheck(new Spool(path.join(tmp, 'fresh', 'dest'), 1024 ** 3));
    expect(check.status).toBe('ok');
    expect(check.detail).toBe(`${path.join(tmp, 'fresh', 'dest')}: not created yet (made on the first bundle that cannot be stored); 0.0 MiB of the 1024.0 MiB limit used; writable (${tmp})`);
  });

  it('bundles waiting mean the store failed before: a warning with the count and size', async () => {
    const spool = new Spool(path.join(tmp, 'backlog'), 1024 ** 3);
    await spool.add({ key: 'host=a/date=2025-01-01/20250101T000000Z_01a2258d-327d-7023-9c5c-f87673c6b7dd.json.gz', gzip, sha256: 'a'.repeat(64) });
    const check = await spoolCheck(spool);
    expect(check.status).toBe('warn');
    expect(check.detail).toContain('1 bundle waiting');
    expect(check.detail).toMatch(/writable$/);
  });

  it('an unreadable entry is counted apart', async () => {
    const dir = path.join(tmp, 'damaged');
    mkdirSync(dir);
    writeFileSync(path.join(dir, '20250101T000000Z_x.spool'), 'garbage');
    const check = await spoolCheck(new Spool(dir, 1024 ** 3));
    expect(check.status).toBe('warn');
    expect(check.detail).toContain('0 bundles waiting; 1 unreadable entry');
  });

  it('a spool that cannot be created fails: a bundle the store refuses would be lost', async () => {
    const blocker = path.join(tmp, 'a-file');
    writeFileSync(blocker, 'x');
    const check = await spoolCheck(new Spool(path.join(blocker, 'spool'), 1024 ** 3));
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/NOT writable: .*a-file\/spool: ENOTDIR/);
  });

  it.skipIf(process.getuid?.() !== 0)('a read-only mount over the spool (a unit without ReadWritePaths) fails with EROFS', async () => {
    const dir = path.join(tmp, 'ro');
    mkdirSync(dir);
    await execa('mount', ['--bind', dir, dir]);
    try {
      await execa('mount', ['-o', 'remount,bind,ro', dir]);
      const check = await spoolCheck(new Spool(path.join(dir, 'dest'), 1024 ** 3));
      expect(check.status).toBe('fail');
      expect(check.detail).toMatch(/NOT writable: .*\/ro: EROFS/);
    } finally {
      await execa('umount', [dir], { reject: false });
    }
  });
});
