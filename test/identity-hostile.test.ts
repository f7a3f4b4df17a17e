import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleBuilder, type LinkSpec, writeBundle } from './support/bundle-builder.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';

const HOST_NS = 4026531840;
const N = 4026532900;
const BOOT = '44444444-4444-4444-8444-444444444444';
const lo: LinkSpec = { ifindex: 1, ifname: 'lo', address: '00:00:00:00:00:00' };
const EVIL_NAME = 'evil\u001b[2J';
const OTHER_NAME = 'x\u001b]0;pwned\u0007';
const SHELL_NAME = "v';id;$(id)'";
const CONTROL_NAME = 'w\u001b[31m\'\\';

/**
 * Names from a host reach the identity reasons and the suggested whois
 * command: escapes must not reach the terminal, and the command must quote
 * the name for a shell, not run it.
 */
describe('identity reasons and whois hints with hostile names', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-hostile-id-'));
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', path.join(dir, 'nsnap.db')]);
  const snap = (min: number) =>
    new BundleBuilder({ host: 'evil-1', takenAt: `2026-11-29T10:${String(min).padStart(2, '0')}:00.000Z`, bootId: BOOT }).namespace({ inode: HOST_NS, host: true, links: [lo] });
  beforeAll(async () => {
    writeBundle(dir, snap(0).namespace({ inode: N, names: [EVIL_NAME], links: [lo, { ifindex: 2, ifname: SHELL_NAME, kind: 'veth', link: CONTROL_NAME, address: '02:00:00:00:0c:01' }, { ifindex: 3, ifname: CONTROL_NAME, kind: 'veth', link: SHELL_NAME, address: '02:00:00:00:0c:02' }] }).build());
    writeBundle(dir, snap(10).namespace({ inode: N, names: [OTHER_NAME], links: [lo] }).build());
    const r = await nsnap('ingest', dir);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the raw names in JSON and escapes them in text', async () => {
    const j = JSON.parse(String((await nsnap('diff', 'latest~1', 'latest', '--host', 'evil-1', '--json')).stdout));
    expect(j.namespaces.replaced).toEqual([{ netns: N, reason: `named ${EVIL_NAME} before, ${OTHER_NAME} after` }]);
    const text = String((await nsnap('diff', 'latest~1', 'latest', '--host', 'evil-1')).stdout);
    expect(text).toContain('the inode now holds a new one: named evil');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('quotes a name for the shell in the suggested command, and the command answers', async () => {
    const r = await nsnap('whois', SHELL_NAME, '--host', 'evil-1');
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toContain(`the name is in 1 other snapshot of evil-1: nsnap whois 'v'\\'';id;$(id)'\\''' --all --host evil-1`);
    const j = JSON.parse(String((await nsnap('whois', SHELL_NAME, '--host', 'evil-1', '--json')).stdout));
    expect(j.suggest).toEqual(['whois', SHELL_NAME, '--all', '--host', 'evil-1']);
    const all = await nsnap(...(j.suggest as string[]), '--json');
    expect(all.exitCode, String(all.stderr)).toBe(0);
    expect(JSON.parse(String(all.stdout)).periods).toHaveLength(1);
  });

  it('prints a command that a shell reads back as exactly the suggested arguments, control characters included', async () => {
    for (const name of [SHELL_NAME, CONTROL_NAME]) {
      const text = String((await nsnap('whois', `if:${name}`, '--host', 'evil-1')).stdout);
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      const command = /: nsnap (.*)$/m.exec(text)![1]!;
      // The test's own shell, only to read the printed words back the way a user's would.
      const words = (await execa('bash', ['-c', `printf '%s\\0' ${command}`])).stdout.split('\0').slice(0, -1);
      expect(words).toEqual(['whois', name, '--all', '--host', 'evil-1']);
    }
  });
});
