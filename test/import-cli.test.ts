import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleSchema, decodeBundle, type ObjectStore } from '@nsnap/shared';
import { S3Store } from '../shared/src/store/s3.js';
import { COLLECTOR_BIN, COLLECTOR_BUNDLE, runCli } from './support/cli.js';
import { S3RVER_CREDENTIALS, S3RVER_ENV, startS3rver, type S3rverHandle } from './support/s3rver.js';

let tmp: string;
let hostLinks: string;
let lsnsFile: string;
let procNs: string;
let hostNetns: string;
const TAKEN_AT = '2026-01-05T10:30:00+01:00';

/** The flags every run here shares: this machine's own `ip link show`, stated host namespace, a temp spool. */
const base = (): string[] => ['import', '--host', 'imported-host', '--taken-at', TAKEN_AT, '--ip-link', hostLinks, '--host-netns', hostNetns, '--spool', path.join(tmp, 'spool')];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-import-cli-'));
  hostLinks = path.join(tmp, 'ip-link.txt');
  writeFileSync(hostLinks, (await execa('ip', ['link', 'show'])).stdout);
  hostNetns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))![1]!;
  lsnsFile = path.join(tmp, 'lsns.txt');
  // The real table, kept to its heading and the host's row: other tests' namespaces come and go meanwhile.
  const lsns = (await execa('lsns', ['-t', 'net'], { reject: false })).stdout.split('\n');
  writeFileSync(lsnsFile, `${[lsns[0], ...lsns.filter((l) => l.trimStart().startsWith(`${hostNetns} `))].join('\n')}\n`);
  procNs = path.join(tmp, 'proc-ns.txt');
  writeFileSync(procNs, `lrwxrwxrwx 1 root root 0 Jan  5 10:29 /proc/${process.pid}/ns/net -> ${readlinkSync('/proc/self/ns/net')}\n`);
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('nsnap-collect import: usage errors (exit 2) name the input', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a missing file', () => [...base(), '--proc-ns', path.join(tmp, 'nope.txt')], /--proc-ns ".*nope\.txt": cannot read it: ENOENT/],
    ['a directory', () => [...base(), '--lsns', tmp], /--lsns ".*": not a regular file/],
    ['no --host', () => base().filter((a, i, all) => a !== '--host' && all[i - 1] !== '--host'), /import needs --host NAME/],
    ['no --ip-link', () => base().filter((a, i, all) => a !== '--ip-link' && all[i - 1] !== '--ip-link'), /required option '--ip-link <file>' not specified/],
    ['a time without a zone', () => base().map((a) => (a === TAKEN_AT ? '2026-01-05T10:30:00' : a)), /--taken-at <time>.*expected an ISO 8601 time with a zone/],
    ['a --netns without a file', () => [...base(), '--netns', '3793'], /--netns <key=file>.*expected KEY=FILE/],
    ['a --netns pid no listing has', () => [...base(), '--proc-ns', procNs, '--netns', `4194303=${hostLinks}`], /--netns pid:4194303: pid 4194303 is not in the --proc-ns listing "proc-ns.txt"/],
    ['an lsns listing given as --ip-link', () => base().map((a) => (a === hostLinks ? lsnsFile : a)), /--ip-link "lsns.txt": not an `ip link show` output/],
    ['a bad --host-netns', () => base().map((a) => (a === hostNetns ? 'net:[1]' : a)), /--host-netns <inode>.*expected a namespace inode/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}`, async () => {
      const out = path.join(tmp, `out-${what.replace(/\W+/g, '-')}`);
      const r = await runCli(COLLECTOR_BIN, [...args(), '--out', out]);
      expect(r.exitCode, String(r.stderr)).toBe(2);
      expect(String(r.stderr)).toMatch(message);
      expect(String(r.stdout)).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  }

  it('refuses a file over 32 MiB before reading it all', async () => {
    const big = path.join(tmp, 'big.txt');
    writeFileSync(big, '');
    truncateSync(big, 32 * 1024 * 1024 + 1);
    const r = await runCli(COLLECTOR_BIN, [...base(), '--netns-list-id', big, '--stdout']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/--netns-list-id ".*big\.txt": larger than 33554432 bytes/);
  });
});

describe('nsnap-collect import: output', () => {
  it('the single-file build imports too (its schema check is an embedded chunk, loaded on use)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-import-single-'));
    try {
      const bin = path.join(dir, 'nsnap-collect.mjs');
      copyFileSync(COLLECTOR_BUNDLE, bin);
      const r = await runCli(bin, [...base(), '--lsns', lsnsFile, '--stdout'], { cwd: dir });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
      expect(bundle.collector.mode).toBe('import');
      expect(bundle.hostNetns.inode).toBe(Number(hostNetns));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--stdout prints the bundle; the summary goes to stderr, as JSON with --log-format json', async () => {
    const r = await runCli(COLLECTOR_BIN, [...base(), '--lsns', lsnsFile, '--stdout', '--log-format', 'json', '--tag', 'phase=post-mortem']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
    expect(bundle).toMatchObject({ collector: { mode: 'import' }, tags: { phase: 'post-mortem' }, takenAt: { start: '2026-01-05T09:30:00.000Z' }, host: { label: 'imported-host' } });
    expect(bundle.hostNetns.inode).toBe(Number(hostNetns));
    const summary = JSON.parse(String(r.stderr).trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ event: 'import', snapshotId: bundle.snapshotId, host: 'imported-host', sources: 2, location: 'stdout' });
  });
});

describe('nsnap-collect import: stores like a live run', () => {
  let s3: S3rverHandle;
  let bucket: ObjectStore;

  beforeAll(async () => {
    s3 = await startS3rver();
    bucket = new S3Store({ bucket: s3.bucket, prefix: 'fleet', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
  });

  afterAll(async () => {
    await s3?.dispose();
  });

  it('puts the bundle into s3:// under the live key layout and prints where', async () => {
    const r = await runCli(COLLECTOR_BIN, [...base(), '--out', `s3://${s3.bucket}/fleet`, '--s3-endpoint', s3.endpoint], { env: S3RVER_ENV, extendEnv: true });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const location = String(r.stdout).trim();
    expect(location).toMatch(/^s3:\/\/nsnap-test\/fleet\/host=imported-host\/date=2026-01-05\/20260105T093000Z_[0-9a-f-]{36}\.json\.gz$/);
    const key = location.slice(`s3://${s3.bucket}/fleet/`.length);
    const bundle = decodeBundle(await bucket.get(key));
    expect(bundle.collector.mode).toBe('import');
    expect(bundle.collector.sources).toEqual([expect.objectContaining({ role: 'ip-link', name: 'ip-link.txt' })]);
  });

  it('waits in the spool when the store is down, like a live bundle (exit 3)', async () => {
    await s3.stop();
    try {
      const spool = path.join(tmp, 'spool-down');
      mkdirSync(spool);
      const args = base().map((a, i, all) => (all[i - 1] === '--spool' ? spool : a));
      const r = await runCli(COLLECTOR_BIN, [...args, '--out', `s3://${s3.bucket}/fleet`, '--s3-endpoint', s3.endpoint], { env: S3RVER_ENV, extendEnv: true });
      expect(r.exitCode, String(r.stderr)).toBe(3);
      const dirs = readdirSync(spool);
      expect(dirs).toHaveLength(1);
      expect(readdirSync(path.join(spool, dirs[0]!)).filter((f) => f.endsWith('.spool'))).toHaveLength(1);
    } finally {
      await s3.start();
    }
  });
});
