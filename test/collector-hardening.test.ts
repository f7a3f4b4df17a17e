import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBundle, isHostLabel } from '@nsnap/shared';
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
