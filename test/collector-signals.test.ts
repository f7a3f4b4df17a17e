import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTOR_BIN } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-signals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Pids of live processes whose environment carries `mark` (the collector's children inherit it). */
function processesMarked(mark: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`).includes(mark)) found.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

async function until<T>(what: string, probe: () => T | null | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const filesBelow = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : []);

describe.skipIf(skip)('SIGTERM / SIGINT during a run', () => {
  const lab = new Lab();
  // A slow `ip` (the exec seam): the capture takes seconds, so the signal lands in the middle of it.
  const fakeBin = path.join(tmp, 'bin');
  beforeAll(async () => {
    mkdirSync(fakeBin);
    writeFileSync(path.join(fakeBin, 'ip'), '#!/bin/sh\nsleep 0.5\nexec /usr/sbin/ip "$@"\n');
    chmodSync(path.join(fakeBin, 'ip'), 0o755);
    for (let i = 0; i < 12; i++) await lab.addNetns(`s${i}`);
  });
  afterAll(() => lab.cleanup());

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} mid-capture: workers killed, temp dir removed, lock released, exit ${code}`, async () => {
      const mark = `NSNAP_SIGNAL_TEST=${randomBytes(6).toString('hex')}`;
      const tmpdir = mkdtempSync(path.join(tmp, 'tmpdir-'));
      const lock = path.join(tmp, `${signal}.lock`);
      const spool = path.join(tmp, `spool-${signal}`);
      const child = execa(process.execPath, [COLLECTOR_BIN, '--out', path.join(tmp, `store-${signal}`), '--spool', spool, '--lock', lock, '--concurrency', '2'], {
        reject: false,
        env: { PATH: `${fakeBin}:${process.env.PATH}`, TMPDIR: tmpdir, [mark.split('=')[0]!]: mark.split('=')[1]! },
      });
      // The bulk capture is under way once a find worker runs and the temp dir exists.
      await until('a capture worker', () => processesMarked(mark).some((pid) => /^(find|unshare)$/.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())));
      expect(readdirSync(tmpdir).some((n) => n.startsWith('nsnap-collect-'))).toBe(true);
      expect(existsSync(lock)).toBe(true);
      child.kill(signal);
      const r = await child;
      expect(r.exitCode, String(r.stderr)).toBe(code);
      expect(String(r.stderr)).toMatch(new RegExp(`${signal}.*capture.*nothing stored`));
      // Killed as a group, the workers' children die with them; give the reaper a moment.
      await until('no worker left', () => processesMarked(mark).length === 0, 3_000).catch(() => null);
      expect(processesMarked(mark)).toEqual([]);
      expect(readdirSync(tmpdir)).toEqual([]);
      expect(existsSync(lock)).toBe(false);
      expect(filesBelow(spool).filter((f) => f.endsWith('.spool'))).toEqual([]);
    });
  }

  it('SIGTERM once the capture is done (the store hangs): the bundle goes to the spool, lock released, exit 143', async () => {
    const sockets: net.Socket[] = [];
    // A store that accepts the connection and never answers.
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const lock = path.join(tmp, 'hang.lock');
      const spool = path.join(tmp, 'spool-hang');
      const child = execa(process.execPath, [COLLECTOR_BIN, '--out', 's3://nsnap-hang/p', '--s3-endpoint', `http://127.0.0.1:${port}`, '--spool', spool, '--lock', lock], {
        reject: false,
        env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
      });
      await until('the upload to start', () => sockets.length > 0);
      child.kill('SIGTERM');
      const r = await child;
      expect(r.exitCode, String(r.stderr)).toBe(143);
      expect(String(r.stderr)).toMatch(/SIGTERM while storing.*kept in the spool as .*\.spool/);
      expect(filesBelow(spool).filter((f) => f.endsWith('.spool'))).toHaveLength(1);
      expect(existsSync(lock)).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe.skipIf(skip)('a write that fails half-way (disk full) leaves no temp file', () => {
  it('store and spool on a full 64 KiB tmpfs: bundle lost (exit 5), no .tmp-* anywhere', async () => {
    const dir = path.join(tmp, 'full');
    mkdirSync(dir);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'nsnap-full', dir]);
    try {
      mkdirSync(path.join(dir, 'store'));
      // Fill it up: dd stops at ENOSPC.
      await execa('dd', ['if=/dev/zero', `of=${path.join(dir, 'filler')}`, 'bs=4k'], { reject: false });
      const r = await execa(process.execPath, [COLLECTOR_BIN, '--out', path.join(dir, 'store'), '--spool', path.join(dir, 'spool'), '--lock', path.join(tmp, 'full.lock')], { reject: false });
      expect(r.exitCode, String(r.stderr)).toBe(5);
      expect(String(r.stderr)).toMatch(/ENOSPC/);
      expect(filesBelow(dir).filter((f) => path.basename(f).startsWith('.tmp-'))).toEqual([]);
    } finally {
      await execa('umount', [dir]);
    }
  });
});
