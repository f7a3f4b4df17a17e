import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleSchema, decodeBundle, UNKNOWN_HOST_NETNS, type ObjectStore } from '@nsnap/shared';
import { S3Store } from '../shared/src/store/s3.js';
import { ANALYZER_BIN, COLLECTOR_BIN, COLLECTOR_BUNDLE, ROOT, runCli } from './support/cli.js';
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
    ['no --ip-link', () => base().filter((a, i, all) => a !== '--ip-link' && all[i - 1] !== '--ip-link'), /import needs either --ip-link FILE .* or --sos DIR/],
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

describe('nsnap-collect import: the forms people paste (fixtures/SOURCES.md)', () => {
  const fixture = (dir: string, name: string) => path.join(ROOT, 'fixtures', dir, name);
  const importAlone = (...args: string[]) => runCli(COLLECTOR_BIN, ['import', '--host', 'pasted', '--taken-at', TAKEN_AT, '--spool', path.join(tmp, 'spool'), '--stdout', ...args]);

  it('imports a lone ip link paste: the host inode unknown, its veths unpaired with the reason', async () => {
    const r = await importAlone('--ip-link', fixture('ip-link', 'lxd-host-bridge-veths.txt'));
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/the host namespace's inode is unknown/);
    const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
    expect(bundle.hostNetns).toEqual({ inode: null, error: null });
    expect(bundle.namespaces.map((n) => [n.inode, n.isHost])).toEqual([[UNKNOWN_HOST_NETNS, true]]);

    const dir = mkdtempSync(path.join(tmp, 'lone-'));
    writeFileSync(path.join(dir, 'bundle.json'), String(r.stdout));
    const db = path.join(dir, 'nsnap.db');
    expect((await runCli(ANALYZER_BIN, ['ingest', dir, '--db', db])).exitCode).toBe(0);
    const peers = JSON.parse(String((await runCli(ANALYZER_BIN, ['peers', '--json', '--db', db])).stdout)) as { pairs: unknown[]; unpaired: { ifname: string; reason: string; detail: string }[]; gaps: { subject: string }[] };
    expect(peers.pairs).toEqual([]);
    const veths = peers.unpaired.filter((u) => u.ifname.startsWith('veth'));
    expect(veths.length).toBeGreaterThanOrEqual(3);
    for (const u of veths) expect(u.detail).not.toBe('');
    expect(peers.gaps.map((g) => g.subject)).toContain('host netns');
    const show = await runCli(ANALYZER_BIN, ['show', '--db', db]);
    expect(show.exitCode).toBe(0);
    expect(String(show.stdout)).toMatch(/^host\n/m);
    expect(String(show.stdout)).toContain('br1');
  });

  it('takes a bare inode below 0xF0000000 in --netns INODE=FILE, as Linux 6.x gives the host (net:[4026531833])', async () => {
    const r = await runCli(COLLECTOR_BIN, [...base(), '--netns', `4026531832=${hostLinks}`, '--stdout']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
    expect(bundle.collector.sources.map((s) => s.role)).toContain('netns:inode:4026531832');
    expect(bundle.namespaces.map((n) => n.inode)).toContain(4026531832);
  });

  it('names the --lsns file when a name it should resolve is not in it', async () => {
    const r = await runCli(COLLECTOR_BIN, [...base(), '--lsns', lsnsFile, '--netns', `name:nosuchns=${hostLinks}`, '--stdout']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/--netns name:nosuchns: no \/run\/netns\/nosuchns in --lsns "lsns.txt"/);
  });

  for (const [name, processes] of [
    ['docker-net-modes-no-columns.txt', [[65571, 4026532355], [66156, 4026532355]]],
    ['setns-note-permissions-only.txt', [[25686, 4026532281], [28499, 4026532281]]],
    ['docker-net-modes-collapsed.txt', [[1, 4026531957], [22865, 4026531957], [65571, 4026532355], [66156, 4026532355]]],
  ] as const) {
    it(`reads the pasted /proc listing ${name}`, async () => {
      const r = await runCli(COLLECTOR_BIN, [...base(), '--proc-ns', fixture('proc-ns', name), '--stdout']);
      // Namespaces the listing names but no file covers make the import partial (1).
      expect([0, 1], String(r.stderr)).toContain(r.exitCode);
      const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
      expect(bundle.processes.map((p) => [p.pid, p.netns])).toEqual(processes);
    });
  }

  it('finds the host from pid 1 of a collapsed bare listing, without --host-netns', async () => {
    const r = await importAlone('--ip-link', hostLinks, '--proc-ns', fixture('proc-ns', 'docker-net-modes-collapsed.txt'));
    expect(r.exitCode, String(r.stderr)).toBe(1);
    const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
    expect(bundle.hostNetns.inode).toBe(4026531957);
    expect(bundle.gaps).toEqual([expect.objectContaining({ probe: 'import', subject: 'netns 4026532355', detail: 'not in the imported files' })]);
  });
});
