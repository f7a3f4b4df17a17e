import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, parseBundleKey, type ObjectStore } from '@nsnap/shared';
import { S3Store } from '../shared/src/store/s3.js';
import { COLLECTOR_BIN, COLLECTOR_BUNDLE, runCli } from './support/cli.js';
import { S3RVER_CREDENTIALS, S3RVER_ENV, startS3rver, type S3rverHandle } from './support/s3rver.js';

const HOST = 'e2e-s3';
const STORED = /^s3:\/\/nsnap-test\/fleet\/host=e2e-s3\/date=\d{4}-\d{2}-\d{2}\/\d{8}T\d{6}Z_[0-9a-f-]{36}\.json\.gz$/;

let s3: S3rverHandle;
let tmp: string;
let spoolRoot: string;
let bucket: ObjectStore;

/** The collector as cron runs it, against the test server, with its spool in a temp dir. */
function collectTo(extra: string[] = [], env: Record<string, string> = {}, bin = COLLECTOR_BIN, cwd?: string) {
  return runCli(bin, ['--out', `s3://${s3.bucket}/fleet`, '--s3-endpoint', s3.endpoint, '--spool', spoolRoot, '--host', HOST, '--timeout', '20', ...extra], {
    env: { ...S3RVER_ENV, ...env },
    extendEnv: true,
    ...(cwd !== undefined ? { cwd } : {}),
  });
}

async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of bucket.list(`host=${HOST}/`)) keys.push(...page.map((o) => o.key));
  return keys;
}

/** The one destination directory below the spool root, and the bundles waiting in it. */
function spooled(): { dir: string; files: string[] } {
  const dirs = existsSync(spoolRoot) ? readdirSync(spoolRoot, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
  expect(dirs.length).toBeLessThanOrEqual(1);
  if (dirs.length === 0) return { dir: '', files: [] };
  const dir = path.join(spoolRoot, dirs[0]!.name);
  return { dir, files: readdirSync(dir).filter((f) => f.endsWith('.spool')).sort() };
}

function spoolHeader(file: string): { key: string; sha256: string; bytes: number } {
  const data = readFileSync(file);
  return JSON.parse(data.subarray('nsnap-spool 1 '.length, data.indexOf(0x0a)).toString()) as { key: string; sha256: string; bytes: number };
}

async function expectIntact(key: string): Promise<void> {
  const body = await bucket.get(key);
  const head = await bucket.head(key);
  expect(head?.metadata.sha256).toBe(createHash('sha256').update(body).digest('hex'));
  const bundle = decodeBundle(body);
  expect(bundle.host.label).toBe(HOST);
  expect(parseBundleKey(key)?.snapshotId).toBe(bundle.snapshotId);
}

beforeAll(async () => {
  s3 = await startS3rver();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-s3-collector-'));
  spoolRoot = path.join(tmp, 'spool');
  bucket = new S3Store({ bucket: s3.bucket, prefix: 'fleet', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  await s3?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

// One story, in order: each step starts from the state the previous one left.
describe.sequential('nsnap-collect → S3 (s3rver), with spool and lock', () => {
  let firstKey: string;
  let spooledKey: string;

  it('documents the storage flags and exit codes in --help', async () => {
    const r = await runCli(COLLECTOR_BIN, ['--help']);
    expect(r.exitCode).toBe(0);
    for (const flag of ['--s3-endpoint', '--s3-region', '--s3-force-path-style', '--spool <dir>', '--spool-max-bytes', '--lock', '--splay']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/^ {2}3 {2}could not be stored where asked .*waits in the spool/m);
    expect(r.stdout).toMatch(/^ {2}5 {2}not stored and not spooled/m);
    expect(r.stdout).toMatch(/^ {2}6 {2}another nsnap-collect run holds the lock/m);
  });

  it('refuses a bad S3 URL as a usage error', async () => {
    const r = await runCli(COLLECTOR_BIN, ['--out', 's3://Not_A_Bucket/x', '--spool', spoolRoot]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/invalid S3 bucket name/);
  });

  it('refuses bad storage flag values as usage errors, naming the value', async () => {
    for (const [flag, value] of [['--splay', '5000'], ['--splay', '-1'], ['--spool-max-bytes', '0'], ['--spool-max-bytes', '12X']] as const) {
      const r = await runCli(COLLECTOR_BIN, ['--stdout', flag, value]);
      expect(r.exitCode, `${flag} ${value}`).toBe(2);
      expect(r.stderr).toContain(flag);
    }
  });

  it('stores the bundle in the bucket, byte-exact with its sha256, and prints where', async () => {
    const r = await collectTo();
    expect([0, 1], r.stderr as string).toContain(r.exitCode);
    const location = String(r.stdout).trim();
    expect(location).toMatch(STORED);
    firstKey = location.slice(`s3://${s3.bucket}/fleet/`.length);
    expect(await storedKeys()).toEqual([firstKey]);
    await expectIntact(firstKey);
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(spooled().files).toEqual([]);
  });

  it('exits 3 and keeps the bundle in the spool when the server is down', async () => {
    await s3.stop();
    const r = await collectTo();
    expect(r.exitCode, String(r.stderr)).toBe(3);
    expect(r.stdout).toBe('');
    const { dir, files } = spooled();
    expect(files).toHaveLength(1);
    const header = spoolHeader(path.join(dir, files[0]!));
    spooledKey = header.key;
    expect(parseBundleKey(spooledKey)?.host).toBe(HOST);
    expect(r.stderr).toContain(`could not store snapshot ${parseBundleKey(spooledKey)!.snapshotId} in s3://${s3.bucket}/fleet: cannot reach S3 endpoint ${s3.endpoint} (ECONNREFUSED)`);
    expect(r.stderr).toContain(`kept in the spool as ${path.join(dir, files[0]!)} (1 waiting`);
    expect(String(r.stderr).match(/try \d of 3/g)).toEqual(['try 2 of 3', 'try 3 of 3']);
  });

  it('reports a full spool loudly (exit 5) and removes nothing from it', async () => {
    const before = spooled();
    const r = await collectTo(['--spool-max-bytes', '1K']);
    expect(r.exitCode, String(r.stderr)).toBe(5);
    expect(r.stderr).toMatch(/NOT SPOOLED EITHER, the bundle is lost: the spool .* holds \d+ bytes, its limit \(--spool-max-bytes\) is 1024/);
    expect(spooled()).toEqual(before);
  });

  it('once the server is back, sends the spooled bundle first, then the new one', async () => {
    await s3.start();
    const { dir, files } = spooled();
    const header = spoolHeader(path.join(dir, files[0]!));
    const r = await collectTo();
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
    const newKey = String(r.stdout).trim().slice(`s3://${s3.bucket}/fleet/`.length);
    expect(String(r.stderr)).toContain(`uploaded spooled bundle s3://${s3.bucket}/fleet/${spooledKey}`);
    expect(String(r.stderr).indexOf('uploaded spooled bundle')).toBeLessThan(String(r.stderr).indexOf(`snapshot ${parseBundleKey(newKey)!.snapshotId} of`));
    expect(await storedKeys()).toEqual([firstKey, spooledKey, newKey].sort());
    for (const key of [firstKey, spooledKey, newKey]) await expectIntact(key);
    expect((await bucket.head(spooledKey))?.metadata.sha256).toBe(header.sha256);
    expect(spooled().files).toEqual([]);
  });

  it('lets one of two runs started together proceed; the other reports the lock and exits 6; a killed holder\'s lock is taken over', async () => {
    // Both runs point at a server that accepts and never answers, so the winner holds the lock
    // for as long as the test wants, however far apart the two processes really start.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentEndpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const lock = path.join(tmp, 'run.lock');
    const hung = ['--s3-endpoint', silentEndpoint, '--spool', path.join(tmp, 'spool-silent'), '--lock', lock];
    const runs = [collectTo(hung), collectTo(hung)];
    try {
      const { first, index } = await Promise.race(runs.map((run, index) => run.then((first) => ({ first, index }))));
      expect(first.exitCode, String(first.stderr)).toBe(6);
      const winner = runs[1 - index]!;
      expect(first.stderr).toMatch(new RegExp(`^nsnap-collect: another nsnap-collect run \\(pid ${winner.pid}, started \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\) holds ${lock}$`));
      expect(first.stdout).toBe('');
      expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(winner.pid);
      winner.kill('SIGKILL');
      expect((await winner).signal).toBe('SIGKILL');
    } finally {
      for (const r of runs) r.kill('SIGKILL');
      await Promise.all(runs);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    expect(existsSync(lock)).toBe(true);
    const next = await collectTo(['--lock', lock]);
    expect([0, 1], String(next.stderr)).toContain(next.exitCode);
    expect(String(next.stdout).trim()).toMatch(STORED);
    expect(existsSync(lock)).toBe(false);
  });

  it('runs without a lock (and says so) when the lock file cannot be created', async () => {
    const blocker = path.join(tmp, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const r = await collectTo(['--lock', path.join(blocker, 'run.lock')]);
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
    expect(r.stderr).toMatch(/cannot create the run lock .*a-file\/run\.lock \((ENOTDIR|EEXIST).*\); running without it/);
    expect(String(r.stdout).trim()).toMatch(STORED);
  });

  it('stores to S3 from the single-file build alone in an empty directory, as on a host', async () => {
    const host = mkdtempSync(path.join(os.tmpdir(), 'nsnap-host-'));
    const bin = path.join(host, 'nsnap-collect.mjs');
    copyFileSync(COLLECTOR_BUNDLE, bin);
    const r = await collectTo([], {}, bin, host).finally(() => rmSync(host, { recursive: true, force: true }));
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
    const location = String(r.stdout).trim();
    expect(location).toMatch(STORED);
    await expectIntact(location.slice(`s3://${s3.bucket}/fleet/`.length));
  });
});
