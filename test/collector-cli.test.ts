import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { decodeBundle, validateBundle } from '@nsnap/shared';
import { COLLECTOR_BIN, COLLECTOR_BUNDLE, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('nsnap-collect CLI', () => {
  it('--help documents every flag and every exit code', async () => {
    const r = await runCli(COLLECTOR_BIN, ['--help']);
    expect(r.exitCode).toBe(0);
    for (const flag of ['--out', '--stdout', '--host', '--tag', '--concurrency', '--timeout', '--enter', '--max-scan', '--proc-root', '--quiet', '--log-format']) expect(r.stdout).toContain(flag);
    for (const code of ['0  complete', '1  stored but partial', '2  usage error', '3  could not be stored', '4  nothing could be captured']) expect(r.stdout).toContain(code);
  });

  it('a bad flag value is a usage error (2) that names the value', async () => {
    const r = await runCli(COLLECTOR_BIN, ['--tag', 'no-equals-sign', '--stdout']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('"no-equals-sign"');
    expect(r.stdout).toBe('');
    const c = await runCli(COLLECTOR_BIN, ['--concurrency', '0']);
    expect(c.exitCode).toBe(2);
    expect(c.stderr).toMatch(/--concurrency must be a whole number/);
    const m = await runCli(COLLECTOR_BIN, ['--max-scan', 'lots', '--stdout']);
    expect(m.exitCode).toBe(2);
    expect(m.stderr).toMatch(/--max-scan must be a whole number/);
    expect(m.stdout).toBe('');
    const e = await runCli(COLLECTOR_BIN, ['--enter', 'setns', '--stdout']);
    expect(e.exitCode).toBe(2);
    expect(e.stderr).toMatch(/'setns' is invalid.*auto, ip-netns, nsenter/s);
    expect(e.stdout).toBe('');
  });

  it('--stdout prints only the bundle JSON on stdout; the summary goes to stderr', async () => {
    const r = await runCli(COLLECTOR_BIN, ['--stdout', '--host', 'cli-test', '--tag', 'a=1', '--tag', 'b=two words']);
    expect([0, 1]).toContain(r.exitCode);
    const bundle = validateBundle(JSON.parse(String(r.stdout)));
    expect(bundle.tags).toEqual({ a: '1', b: 'two words' });
    expect(bundle.host.label).toBe('cli-test');
    expect(r.stderr).toMatch(/snapshot [0-9a-f-]{36} of cli-test: \d+ namespaces?/);
  });

  it('--log-format json writes one structured line; --quiet writes none', async () => {
    const out = path.join(tmp, 'logs');
    const j = await runCli(COLLECTOR_BIN, ['--out', out, '--log-format', 'json']);
    const line = JSON.parse(String(j.stderr).trim().split('\n').at(-1)!);
    expect(line).toMatchObject({ event: 'snapshot', location: String(j.stdout).trim() });
    const q = await runCli(COLLECTOR_BIN, ['--out', out, '--quiet']);
    expect(q.stderr).toBe('');
    expect(decodeBundle(readFileSync(String(q.stdout).trim())).schemaVersion).toBe(1);
  });

  it('exits 3 and says why when the bundle cannot be stored, keeping it in the spool', async () => {
    // A store that refuses the write (its host directory is a file); an --out that cannot be a store at all is exit 2 (collector-hardening.test.ts).
    const store = path.join(tmp, 'refusing-store');
    mkdirSync(store);
    writeFileSync(path.join(store, 'host=cli-test'), 'not a directory');
    const spool = path.join(tmp, 'spool');
    const r = await runCli(COLLECTOR_BIN, ['--out', store, '--host', 'cli-test', '--spool', spool]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/refusing-store\/host=cli-test/);
    expect(r.stdout).toBe('');
    const spooled = readdirSync(spool, { recursive: true }).map(String).filter((f) => f.endsWith('.spool'));
    expect(spooled).toHaveLength(1);
  });
});

const skip = netnsSkipReason();

describe.skipIf(skip)('nsnap-collect without root', () => {
  const lab = new Lab();
  afterAll(() => lab.cleanup());

  it('captures what an unprivileged user can see and records the rest as denied (exit 1)', async () => {
    const ns = await lab.addNetns('u');
    const pid = await lab.sleepIn(ns.name);
    const out = mkdtempSync(path.join(os.tmpdir(), 'nsnap-nobody-'));
    // The single-file build, copied where `nobody` can read it whatever the checkout's permissions.
    const bin = path.join(out, 'nsnap-collect.mjs');
    copyFileSync(COLLECTOR_BUNDLE, bin);
    await execa('chown', ['-R', 'nobody', out]);
    try {
      const r = await execa('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, bin, '--out', path.join(out, 'data')], { reject: false, cwd: out });
      expect(r.exitCode).toBe(1);
      const bundle = decodeBundle(readFileSync(String(r.stdout).trim()));
      expect(bundle.host.root).toBe(false);
      const host = bundle.namespaces.find((n) => n.isHost)!;
      expect(host.failure).toBeNull();
      expect(bundle.processes.find((p) => p.pid === pid)).toMatchObject({ netns: null, netnsError: 'denied' });
      const named = bundle.namespaces.find((n) => n.inode === ns.inode)!;
      expect(named.failure?.reason).toBe('denied');
      expect(bundle.gaps.some((g) => g.subject === `netns ${ns.inode}` && g.reason === 'denied')).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
