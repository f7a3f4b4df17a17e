import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBundle, isHostLabel } from '@nsnap/shared';
import { spoolDirFor } from '../collector/src/store/default-paths.js';
import { COLLECTOR_BIN, runCli } from './support/cli.js';
import { netnsSkipReason } from './support/netns.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-harden-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file below `dir`, relative, sorted. */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('tags: keys a reader would drop or misread are refused (exit 2, naming the key)', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`--tag ${key}=x`, async () => {
      const out = path.join(tmp, `tag-${key}`);
      const r = await runCli(COLLECTOR_BIN, ['--tag', `${key}=x`, '--out', out, '--spool', path.join(tmp, 'spool-tags')]);
      expect(r.exitCode, String(r.stderr)).toBe(2);
      expect(String(r.stderr)).toContain(key);
      expect(String(r.stdout)).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  }
  it('import refuses them the same way', async () => {
    const r = await runCli(COLLECTOR_BIN, ['import', '--host', 'h', '--ip-link', '/dev/null', '--tag', '__proto__=x', '--stdout']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('__proto__');
  });
});

describe('host labels: one rule for --host, the kernel hostname, the key and the schema', () => {
  for (const bad of ['web..1', '../etc', '-lead', 'a b', 'x'.repeat(64), 'сервер']) {
    it(`--host ${JSON.stringify(bad.slice(0, 20))} is a usage error (2) naming it`, async () => {
      const r = await runCli(COLLECTOR_BIN, ['--host', bad, '--stdout']);
      expect(r.exitCode, String(r.stderr)).toBe(2);
      expect(String(r.stderr)).toContain(JSON.stringify(bad.slice(0, 20)).slice(0, -1));
      expect(String(r.stdout)).toBe('');
    });
  }

  const skip = netnsSkipReason();
  // The hostname is per UTS namespace: a new one (no other namespace changed) gets the odd name for this run only.
  const runWithHostname = (hostname: string, out: string) =>
    execa('unshare', ['--uts', 'sh', '-c', 'printf %s "$1" > /proc/sys/kernel/hostname && shift && exec "$@"', 'sh', hostname, process.execPath, COLLECTOR_BIN, '--out', out, '--spool', path.join(tmp, 'spool-uts'), '--lock', path.join(tmp, `uts-${Math.random()}.lock`)], { reject: false });

  it.skipIf(skip)('a kernel hostname `web..1` is sanitized and the run stores its bundle (it exited 70)', async () => {
    const out = path.join(tmp, 'uts-dots');
    const r = await runWithHostname('web..1', out);
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
    const files = filesBelow(out).filter((f) => f.endsWith('.json.gz'));
    expect(files).toHaveLength(1);
    const label = /^host=([^/]+)\//.exec(files[0]!)![1]!;
    expect(label).toMatch(/^web\.1-[0-9a-f]{8}$/);
    const bundle = decodeBundle(await import('node:fs').then((fs) => fs.readFileSync(path.join(out, files[0]!))));
    expect(bundle.host).toMatchObject({ label, hostname: 'web..1' });
  });

  it.skipIf(skip)('non-ASCII kernel hostnames get distinct labels, not all `unknown-host`', async () => {
    const labels: string[] = [];
    for (const [i, name] of ['сервер', 'узел', '主机'].entries()) {
      const out = path.join(tmp, `uts-utf8-${i}`);
      const r = await runWithHostname(name, out);
      expect([0, 1], String(r.stderr)).toContain(r.exitCode);
      const [file] = filesBelow(out).filter((f) => f.endsWith('.json.gz'));
      labels.push(/^host=([^/]+)\//.exec(file!)![1]!);
    }
    expect(new Set(labels).size).toBe(3);
    for (const label of labels) expect(isHostLabel(label)).toBe(true);
  });
});

describe('--out: values that cannot be a store are usage errors (exit 2) naming the value', () => {
  const refused: Array<[string, () => string, RegExp]> = [
    ['a directory below /proc (it hung forever in mkdir)', () => '/proc/nsnap-x/y', /"\/proc\/nsnap-x\/y": \/proc is on a proc filesystem/],
    ['a directory below /sys', () => '/sys/nsnap-x', /"\/sys\/nsnap-x": \/sys is on a sysfs filesystem/],
    ['a device directory', () => '/dev/nsnap-x', /"\/dev\/nsnap-x": \/dev is on a devtmpfs filesystem/],
    ['s3:/bad (it became a local directory)', () => 's3:/bad', /"s3:\/bad": not a store URL/],
    ['S3://upper (it became a local directory)', () => 'S3://upper/x', /"S3:\/\/upper\/x": not a store URL/],
    ['an unknown scheme', () => 'http://example.com/x', /"http:\/\/example\.com\/x": not a store URL/],
    ['an s3:// URL without a bucket', () => 's3://', /"s3:\/\/": invalid S3/],
    ['a path below a file', () => path.join(tmp, 'a-file', 'store'), /a-file is not a directory/],
  ];
  for (const [what, out, message] of refused) {
    it(`refuses ${what}`, async () => {
      await import('node:fs').then((fs) => fs.writeFileSync(path.join(tmp, 'a-file'), 'x'));
      const spool = path.join(tmp, 'spool-out');
      const r = await runCli(COLLECTOR_BIN, ['--out', out(), '--spool', spool], { timeout: 20_000 });
      expect(r.timedOut).toBe(false);
      expect(r.exitCode, String(r.stderr)).toBe(2);
      expect(String(r.stderr)).toMatch(message);
      expect(String(r.stdout)).toBe('');
      expect(filesBelow(spool).filter((f) => f.endsWith('.spool'))).toEqual([]);
    });
  }
  it('doctor reports a store below /proc as a failed check instead of hanging', async () => {
    const r = await runCli(COLLECTOR_BIN, ['doctor', '--out', '/proc/nsnap-x', '--spool', path.join(tmp, 'spool-doctor'), '--json'], { timeout: 30_000 });
    expect(r.timedOut).toBe(false);
    const store = (JSON.parse(String(r.stdout)) as { checks: Array<{ name: string; status: string; detail: string }> }).checks.find((c) => c.name === 'store');
    expect(store).toMatchObject({ status: 'fail' });
    expect(store!.detail).toMatch(/\/proc is on a proc filesystem/);
  });
  it('refuses them in import too', async () => {
    const ipLink = path.join(tmp, 'ip-link.txt');
    await import('node:fs').then(async (fs) => fs.writeFileSync(ipLink, (await execa('ip', ['link', 'show'])).stdout));
    const r = await runCli(COLLECTOR_BIN, ['import', '--host', 'h', '--taken-at', '2026-01-05T10:30:00Z', '--ip-link', ipLink, '--host-netns', /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))![1]!, '--out', 's3:/bad'], { timeout: 20_000 });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/"s3:\/bad": not a store URL/);
  });

  it.skipIf(netnsSkipReason())('refuses a read-only directory (EROFS, even for root)', async () => {
    const ro = path.join(tmp, 'ro');
    await import('node:fs').then((fs) => fs.mkdirSync(ro, { recursive: true }));
    await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'nsnap-ro', ro]);
    try {
      const r = await runCli(COLLECTOR_BIN, ['--out', path.join(ro, 'store'), '--spool', path.join(tmp, 'spool-ro')], { timeout: 20_000 });
      expect(r.exitCode, String(r.stderr)).toBe(2);
      expect(String(r.stderr)).toMatch(/cannot write in .*\/ro: EROFS/);
    } finally {
      await execa('umount', [ro]);
    }
  });

  it('says on stderr when it creates a local store directory, and only then', async () => {
    const out = path.join(tmp, 'new-store', 'deeper');
    const spool = path.join(tmp, 'spool-new');
    const first = await runCli(COLLECTOR_BIN, ['--out', out, '--spool', spool]);
    expect([0, 1], String(first.stderr)).toContain(first.exitCode);
    expect(String(first.stderr)).toContain(`created the store directory ${out}`);
    const second = await runCli(COLLECTOR_BIN, ['--out', out, '--spool', spool]);
    expect([0, 1]).toContain(second.exitCode);
    expect(String(second.stderr)).not.toContain('created the store directory');
  });
});

describe('spool: keyed by the store, not by how --out or --s3-endpoint is spelled', () => {
  const spooled = (spool: string) => filesBelow(spool).filter((f) => f.endsWith('.spool'));

  it('a bundle spooled for a store spelled through a symlink is sent by a run that spells it plainly', async () => {
    const base = path.join(tmp, 'spelling');
    const real = path.join(base, 'real');
    const fs = await import('node:fs');
    fs.mkdirSync(path.join(real, 'store'), { recursive: true });
    fs.symlinkSync(real, path.join(base, 'via-link'));
    // The store refuses the first bundle: its host directory is a file.
    fs.writeFileSync(path.join(real, 'store', 'host=spell-test'), 'x');
    const spool = path.join(base, 'spool');
    const first = await runCli(COLLECTOR_BIN, ['--out', path.join(base, 'via-link', 'store') + '/', '--host', 'spell-test', '--spool', spool]);
    expect(first.exitCode, String(first.stderr)).toBe(3);
    expect(spooled(spool)).toHaveLength(1);
    fs.rmSync(path.join(real, 'store', 'host=spell-test'));
    const second = await runCli(COLLECTOR_BIN, ['--out', `file://${path.join(real, 'store')}`, '--host', 'spell-test', '--spool', spool]);
    expect([0, 1], String(second.stderr)).toContain(second.exitCode);
    expect(String(second.stderr)).toMatch(/uploaded spooled bundle/);
    expect(spooled(spool)).toEqual([]);
    expect(filesBelow(path.join(real, 'store')).filter((f) => f.endsWith('.json.gz'))).toHaveLength(2);
  });

  it('an S3 endpoint with or without a trailing / is one spool', async () => {
    const spool = path.join(tmp, 'spool-endpoint');
    // Nothing listens on port 9 here (discard is not served): the store is down for both runs.
    const run = (endpoint: string) => runCli(COLLECTOR_BIN, ['--out', 's3://nsnap-down/p', '--s3-endpoint', endpoint, '--host', 'ep-test', '--spool', spool], { env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' } });
    const a = await run('http://127.0.0.1:9');
    expect(a.exitCode, String(a.stderr)).toBe(3);
    const b = await run('HTTP://127.0.0.1:9/');
    expect(b.exitCode, String(b.stderr)).toBe(3);
    expect(String(b.stderr)).toMatch(/2 waiting/);
    expect(new Set(spooled(spool).map((f) => path.dirname(f))).size).toBe(1);
  });

  it('every run and doctor name bundles waiting for another destination', async () => {
    const spool = path.join(tmp, 'spool-other');
    const fs = await import('node:fs');
    const refusing = path.join(tmp, 'other-refusing');
    fs.mkdirSync(refusing, { recursive: true });
    fs.writeFileSync(path.join(refusing, 'host=other-test'), 'x');
    const first = await runCli(COLLECTOR_BIN, ['--out', refusing, '--host', 'other-test', '--spool', spool]);
    expect(first.exitCode).toBe(3);
    const elsewhere = path.join(tmp, 'other-fine');
    const run = await runCli(COLLECTOR_BIN, ['--out', elsewhere, '--host', 'other-test', '--spool', spool]);
    expect([0, 1], String(run.stderr)).toContain(run.exitCode);
    expect(String(run.stderr)).toContain(`1 bundle waits in the spool for ${`file://${refusing}`}`);
    const doctor = await runCli(COLLECTOR_BIN, ['doctor', '--out', elsewhere, '--spool', spool, '--json']);
    expect(String(doctor.stdout)).toContain(`1 bundle waits in the spool for file://${refusing}`);
  });
});

describe('spool: a spool keyed the old way (by the spelling) is adopted', () => {
  it('moves the entries into the canonical spool, says so, and keeps them waiting', async () => {
    const spool = path.join(tmp, 'spool-legacy');
    const fs = await import('node:fs');
    const args = (endpoint: string) => ['--out', 's3://nsnap-down/legacy', '--s3-endpoint', endpoint, '--host', 'legacy-test', '--spool', spool];
    const env = { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
    const first = await runCli(COLLECTOR_BIN, args('http://127.0.0.1:9'), { env });
    expect(first.exitCode).toBe(3);
    // What an earlier build made for `--s3-endpoint http://127.0.0.1:9/`: the same entry in a directory keyed by that spelling.
    const [current] = fs.readdirSync(spool).filter((n) => !n.endsWith('.lock'));
    const legacy = spoolDirFor(spool, 's3://nsnap-down/legacy http://127.0.0.1:9/');
    fs.renameSync(path.join(spool, current!), legacy);
    fs.rmSync(path.join(legacy, 'destination'));
    const second = await runCli(COLLECTOR_BIN, args('http://127.0.0.1:9/'), { env });
    expect(second.exitCode, String(second.stderr)).toBe(3);
    expect(String(second.stderr)).toContain(`moved 1 bundle spooled by an earlier build from ${legacy}`);
    expect(String(second.stderr)).toMatch(/2 waiting/);
    expect(fs.existsSync(legacy)).toBe(false);
  });
});
