import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { validateBundle } from '@nsnap/shared';
import { COLLECTOR_BIN, ROOT, runCli } from './support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-names-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FIXTURES = path.join(ROOT, 'fixtures/runtime-roots');

/** Every fixture tree in one root, as on a host that runs all four runtimes. */
function allRuntimes(name: string): string {
  const root = path.join(tmp, name);
  for (const tree of readdirSync(FIXTURES)) cpSync(path.join(FIXTURES, tree), root, { recursive: true });
  return root;
}

describe('nsnap-collect --root', () => {
  it('is documented, and refuses what is not a directory (usage error 2)', async () => {
    expect(String((await runCli(COLLECTOR_BIN, ['--help'])).stdout)).toContain('--root <dir>');
    const r = await runCli(COLLECTOR_BIN, ['--stdout', '--root', path.join(tmp, 'no-such-dir')]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('no-such-dir');
    expect(r.stdout).toBe('');
  });

  it('the whole bundle holds the names of all four runtimes and no other byte of their files', async () => {
    const r = await runCli(COLLECTOR_BIN, ['--stdout', '--root', allRuntimes('all'), '--host', 'names-cli']);
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
    expect(String(r.stdout)).not.toContain('NSNAP-SENTINEL');
    const bundle = validateBundle(JSON.parse(String(r.stdout)));
    expect(bundle.probes.find((p) => p.name === 'runtime-names')).toMatchObject({ ok: true, error: null });
    expect(bundle.runtimeNames?.containers.map((c) => `${c.source}:${c.name}`)).toEqual([
      'containerd:web-server',
      'containerd:null',
      'cri-o:POD',
      'docker:web-1',
      'docker:k8s_consume_consume-577cd986c7-8mk4h_default_00bea8a1-8bfc-11e8-b709-f01fafd51338_0',
      'podman:db-primary',
      'podman:db29d9d2d112-infra',
    ]);
    expect(bundle.runtimeNames?.pods).toHaveLength(3);
    expect(bundle.gaps.filter((g) => g.probe === 'runtime-names')).toEqual([]);
  });

  it('an unreadable runtime directory is a gap (denied), without DAC override; the others are still read', async () => {
    const root = allRuntimes('denied');
    chmodSync(path.join(root, 'var/lib/docker/containers'), 0o000);
    const r = await execa('setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-all', process.execPath, COLLECTOR_BIN, '--stdout', '--root', root, '--host', 'names-cli'], { reject: false });
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
    const bundle = validateBundle(JSON.parse(String(r.stdout)));
    expect(bundle.gaps.filter((g) => g.probe === 'runtime-names')).toEqual([
      { probe: 'runtime-names', subject: '/var/lib/docker/containers', reason: 'denied', detail: expect.stringMatching(/EACCES/) },
    ]);
    expect(bundle.runtimeNames?.containers.filter((c) => c.source === 'docker')).toEqual([]);
    expect(bundle.runtimeNames?.containers.filter((c) => c.source !== 'docker')).toHaveLength(5);
  });
});
