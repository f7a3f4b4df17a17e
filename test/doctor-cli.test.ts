import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';
import { S3RVER_ENV, startS3rver, type S3rverHandle } from './support/s3rver.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-doctor-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CHECK_NAMES = ['root', 'capabilities', 'ip', 'nsenter', 'find', 'unshare', 'lsns', 'ip-json', 'namespaces', 'namespace-handles', 'nsenter-enter', 'bulk-enter', 'store', 'spool'];
const LINE = /^(ok {3}|warn |fail )([a-z-]+): (\S.*)$/;

interface Report {
  tool: string;
  version: string;
  status: string;
  checks: Array<{ name: string; status: string; detail: string }>;
}

/** `nsnap-collect doctor` as a person runs it, with the spool in a temp dir. */
function doctor(args: string[], env: Record<string, string> = {}) {
  return runCli(COLLECTOR_BIN, ['doctor', '--spool', path.join(tmp, 'spool'), ...args], { env });
}

function lines(stdout: unknown): Array<{ status: string; name: string; detail: string }> {
  return String(stdout)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = LINE.exec(l);
      expect(m, `not a check line: ${l}`).not.toBeNull();
      return { status: m![1]!.trim(), name: m![2]!, detail: m![3]! };
    });
}

describe('nsnap-collect doctor', () => {
  it('checks a writable directory store: every check on one line, the store and spool ok', async () => {
    const r = await doctor(['--out', path.join(tmp, 'store')]);
    const checks = lines(r.stdout);
    expect(checks.map((c) => c.name)).toEqual(CHECK_NAMES);
    expect(checks.find((c) => c.name === 'store')).toMatchObject({ status: 'ok' });
    expect(checks.find((c) => c.name === 'store')!.detail).toMatch(/^wrote .*\/store\/_doctor\/[A-Za-z0-9._-]+-[0-9a-f-]{36}\.txt \(\d+ bytes\); read it back; deleted it$/);
    expect(checks.find((c) => c.name === 'spool')).toMatchObject({ status: 'ok' });
    expect(r.exitCode).toBe(checks.some((c) => c.status === 'fail') ? 1 : 0);
    if (process.getuid?.() === 0) expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('an unwritable store fails (exit 1), and every other check still runs', async () => {
    const blocker = path.join(tmp, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const r = await doctor(['--out', path.join(blocker, 'store')]);
    expect(r.exitCode).toBe(1);
    const checks = lines(r.stdout);
    expect(checks.map((c) => c.name)).toEqual(CHECK_NAMES);
    const store = checks.find((c) => c.name === 'store')!;
    expect(store.status).toBe('fail');
    expect(store.detail).toMatch(/cannot write .*a-file\/store\/_doctor\/.*ENOTDIR/);
  });

  it('--json prints one document: tool, version, the worst status, and the same checks', async () => {
    const r = await doctor(['--out', path.join(tmp, 'store'), '--json']);
    const report = JSON.parse(String(r.stdout)) as Report;
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '../collector/package.json'), 'utf8')) as { version: string };
    expect(Object.keys(report).sort()).toEqual(['checks', 'status', 'tool', 'version']);
    expect(report).toMatchObject({ tool: 'nsnap-collect doctor', version: pkg.version });
    expect(report.checks.map((c) => c.name)).toEqual(CHECK_NAMES);
    for (const c of report.checks) {
      expect(Object.keys(c).sort()).toEqual(['detail', 'name', 'status']);
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      expect(c.detail.length).toBeGreaterThan(0);
    }
    const statuses = report.checks.map((c) => c.status);
    expect(report.status).toBe(statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'ok');
    expect(r.exitCode).toBe(report.status === 'fail' ? 1 : 0);
  });

  it('a bad flag value is a usage error (2)', async () => {
    const r = await doctor(['--spool-max-bytes', 'lots']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('"lots"');
    expect(r.stdout).toBe('');
  });
});

describe('nsnap-collect doctor against S3', () => {
  let s3: S3rverHandle;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(() => s3?.dispose());

  it('takes the collector\'s --s3-* flags and credentials from the AWS environment', async () => {
    const out = `s3://${s3.bucket}/fleet`;
    const ok = await doctor(['--out', out, '--s3-endpoint', s3.endpoint, '--json'], S3RVER_ENV);
    const store = (JSON.parse(String(ok.stdout)) as Report).checks.find((c) => c.name === 'store')!;
    expect(store).toMatchObject({ status: 'ok' });
    expect(store.detail).toMatch(/^wrote s3:\/\/nsnap-test\/fleet\/_doctor\/.*; read it back; deleted it$/);

    const denied = await doctor(['--out', out, '--s3-endpoint', s3.endpoint, '--json'], { ...S3RVER_ENV, AWS_ACCESS_KEY_ID: 'NOBODY' });
    expect(denied.exitCode).toBe(1);
    const refused = (JSON.parse(String(denied.stdout)) as Report).checks.find((c) => c.name === 'store')!;
    expect(refused.status).toBe('fail');
    expect(refused.detail).toMatch(/access denied/);
  });
});

const skip = netnsSkipReason();

describe.skipIf(skip)('nsnap-collect doctor on real namespaces', () => {
  const lab = new Lab();
  afterAll(() => lab.cleanup());

  /** The numbers in the namespaces and namespace-handles details. */
  function counts(report: Report) {
    const ns = report.checks.find((c) => c.name === 'namespaces')!.detail;
    const handles = report.checks.find((c) => c.name === 'namespace-handles')!.detail;
    const found = /and (\d+) others? found \((\d+) processes, (\d+) reachable through/.exec(ns);
    const opened = /^opened (\d+) of (\d+) namespaces/.exec(handles);
    expect(found, ns).not.toBeNull();
    return { others: Number(found![1]), viaFile: Number(found![3]), opened: opened ? Number(opened[1]) : 0, denied: Number(/denied: (\d+)/.exec(ns)?.[1] ?? 0) };
  }

  /** doctor under `setpriv` with a reduced bounding set, as a hardened unit runs it. */
  async function doctorWithCaps(caps: string[]): Promise<{ report: Report; exitCode: number | undefined }> {
    const r = await execa('setpriv', [`--bounding-set=-all${caps.map((c) => `,+${c}`).join('')}`, '--inh-caps=-all', process.execPath, COLLECTOR_BIN, 'doctor', '--out', path.join(tmp, 'store'), '--spool', path.join(tmp, 'spool'), '--json'], { reject: false });
    return { report: JSON.parse(String(r.stdout)) as Report, exitCode: r.exitCode };
  }

  beforeAll(async () => {
    await lab.addNetns('da');
    await lab.addNetns('db');
    await lab.sleepInNewNetns();
    // A namespace whose only handle is a process of another user: what CAP_SYS_PTRACE is for.
    const child = spawn('unshare', ['--net', 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sleep', '100000'], { stdio: 'ignore', detached: true });
    child.unref();
    lab.trackPid(child.pid!);
    for (let i = 0; i < 200; i++) {
      const comm = await import('node:fs/promises').then((fs) => fs.readFile(`/proc/${child.pid}/comm`, 'utf8')).catch(() => '');
      if (comm.trim() === 'sleep') break;
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  it('sees, opens and enters the namespaces it was given: two named, two held only by processes', async () => {
    const r = await doctor(['--out', path.join(tmp, 'store'), '--json']);
    const report = JSON.parse(String(r.stdout)) as Report;
    const c = counts(report);
    expect(c.others).toBeGreaterThanOrEqual(4);
    expect(c.viaFile).toBeGreaterThanOrEqual(2);
    expect(c.opened).toBeGreaterThanOrEqual(4);
    expect(report.checks.find((x) => x.name === 'nsenter-enter')!.status).toBe('ok');
    // With few mounts besides /run/netns and /sys, auto enters with ip -n, tried for real; a host that other
    // work left with many mounts makes auto choose nsenter, and doctor must say why with the count it saw.
    const bulk = report.checks.find((x) => x.name === 'bulk-enter')!;
    expect(bulk.status).toBe('ok');
    const many = /^--enter auto enters with nsenter here \(two execs per namespace\): (\d+) mounts besides/.exec(bulk.detail);
    if (many) expect(Number(many[1])).toBeGreaterThan(64);
    else expect(bulk.detail).toMatch(/^entered namespace \d+ with one ip -n exec from a private mount namespace/);
    expect(r.exitCode).toBe(0);
  });

  it('with only CAP_SYS_ADMIN and CAP_SYS_PTRACE (the unit\'s bounding set) nothing is missing', async () => {
    const { report, exitCode } = await doctorWithCaps(['sys_admin', 'sys_ptrace']);
    expect(exitCode).toBe(0);
    expect(report.checks.find((x) => x.name === 'capabilities')!.status).toBe('ok');
    expect(report.checks.find((x) => x.name === 'nsenter-enter')!.status).toBe('ok');
    expect(counts(report).others).toBeGreaterThanOrEqual(4);
  });

  it('without CAP_SYS_PTRACE other processes\' namespaces are hidden (denied), and doctor fails', async () => {
    const { report, exitCode } = await doctorWithCaps(['sys_admin']);
    expect(exitCode).toBe(1);
    expect(report.checks.find((x) => x.name === 'capabilities')).toMatchObject({ status: 'fail' });
    expect(report.checks.find((x) => x.name === 'capabilities')!.detail).toMatch(/^no CAP_SYS_PTRACE/);
    const c = counts(report);
    expect(report.checks.find((x) => x.name === 'namespaces')!.status).toBe('warn');
    expect(c.denied).toBeGreaterThanOrEqual(2);
    expect(c.viaFile).toBeGreaterThanOrEqual(2);
  });

  it('without CAP_SYS_ADMIN nsenter is refused, and doctor says so', async () => {
    const { report, exitCode } = await doctorWithCaps(['sys_ptrace']);
    expect(exitCode).toBe(1);
    expect(report.checks.find((x) => x.name === 'capabilities')!.detail).toMatch(/^no CAP_SYS_ADMIN/);
    const enter = report.checks.find((x) => x.name === 'nsenter-enter')!;
    expect(enter.status).toBe('fail');
    expect(enter.detail).toMatch(/denied: .*Operation not permitted/);
    // unshare is refused too: runs would fall back to nsenter (refused as well), and doctor warns.
    const bulk = report.checks.find((x) => x.name === 'bulk-enter')!;
    // On a host with many mounts auto does not try ip -n at all (see above): nsenter is then the way, refused above.
    if (!/^--enter auto enters with nsenter here/.test(bulk.detail)) expect(bulk).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^ip -n could not enter namespace \d+ \(.*Operation not permitted/) });
  });
});
