import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { hostileBundle } from './support/hostile-bundle.js';

/** ESC (CSI, OSC), BEL, CR, a C1 CSI, RLO and an isolate, and a newline that would start a line of its own. */
const EVIL = '\u001b[2J\u001b]0;owned\u0007\r\u009b31m\u202e\u2066\nINJECTED ';
/** Characters a terminal acts on, besides the newlines that end output lines. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A snapshot in which every string a bundle may choose is hostile: names, kinds, states, aliases, comms, tags, gaps. */
function hostile(takenAt: string, variant: string) {
  return hostileBundle({
    takenAt,
    variant,
    evil: EVIL,
    hostLinks: [
      { ifindex: 3, ifname: `br${EVIL}`, kind: 'bridge', operstate: `${EVIL}${variant}`, alias: `${EVIL}alias` },
      { ifindex: 4, ifname: `veth${EVIL}`, kind: 'veth', linkIndex: 2, linkNetnsid: 0, master: `br${EVIL}`, operstate: `UP${EVIL}${variant}`, mtu: variant === 'a' ? 1500 : 9000 },
      { ifindex: 5, ifname: `odd${EVIL}`, kind: `${EVIL}kind${variant}`, operstate: `${EVIL}`, alias: `${EVIL}${variant}` },
      { ifindex: 6, ifname: `lost${EVIL}`, kind: 'veth', linkIndex: 9, linkNetnsid: 7 },
      { ifindex: 8, ifname: 'plain0', kind: `${EVIL}kind`, operstate: `${EVIL}${variant}`, alias: EVIL },
      // Only in the later snapshot: diff and history list it as added, with its kind and state.
      ...(variant === 'b' ? [{ ifindex: 7, ifname: `new${EVIL}`, kind: `${EVIL}newkind`, operstate: `${EVIL}newstate` }] : []),
    ],
    nsLinks: [{ ifindex: 2, ifname: `eth0${EVIL}`, kind: 'veth', linkIndex: 4, linkNetnsid: 0, operstate: `${EVIL}${variant}` }],
    // Routes, rules and neighbours that name the hostile device, and change between the snapshots.
    routing: {
      routes: [{ dst: 'default', gateway: `10.0.0.${variant === 'a' ? 1 : 2}`, dev: `eth0${EVIL}`, protocol: `${EVIL}${variant}`, flags: [] }],
      rules: [{ priority: 5, src: 'all', table: `${EVIL}${variant}` }],
      neighbours: [{ dst: '10.0.0.1', dev: `eth0${EVIL}`, lladdr: `${EVIL}${variant}`, state: [`${EVIL}`] }],
    },
  });
}

describe('text output escapes every field a bundle chooses, in every command', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'hostile.db');
  const a = hostile('2026-11-29T10:00:00.000Z', 'a');
  const b = hostile('2026-11-29T11:00:00.000Z', 'b');

  const COMMANDS = [
    ['snapshots'],
    ['show'],
    ['show', '--routes'],
    ['peers'],
    ['check'],
    ['diff', a.snapshotId, b.snapshotId],
    ['history', '-v'],
    ['whois', 'plain0'],
    ['whois', 'netns:4026532701'],
    ['whois', '100'],
    ['whois', '1'],
    ['whois', '--all', 'plain0'],
    ['graph'],
  ];

  it.each(COMMANDS.map((c) => [c.join(' ').slice(0, 30), c]))('%s: no raw control or bidi character, no injected line', async (_name, args) => {
    if (a.snapshotId === b.snapshotId) throw new Error('two snapshots expected');
    const ingest = await runCli(ANALYZER_BIN, ['ingest', '-q', writeBundle(dir, a), writeBundle(dir, b), '--db', db]);
    expect(ingest.exitCode, String(ingest.stderr)).toBe(0);
    const r = await runCli(ANALYZER_BIN, ['--db', db, ...(args as string[])]);
    expect(r.exitCode === 0 || r.exitCode === 1, String(r.stderr)).toBe(true);
    const stdout = String(r.stdout);
    expect(stdout.length).toBeGreaterThan(0);
    expect(stdout).toContain('INJECTED');
    const unsafe = UNSAFE.exec(stdout);
    expect(unsafe === null ? null : JSON.stringify(stdout.slice(Math.max(0, unsafe.index - 60), unsafe.index + 10))).toBeNull();
    expect(stdout.split('\n').filter((line) => line.trimStart().startsWith('INJECTED'))).toEqual([]);
    expect(UNSAFE.test(String(r.stderr))).toBe(false);
    // The hostile route, rule and neighbour texts did reach these outputs (escaped).
    if (args[0] === 'diff') expect(stdout).toContain('~ route default via 10.0.0.1 dev eth0\\x1b[2J');
    if (args[1] === '--routes') expect(stdout).toContain('5: from all lookup \\x1b[2J');
  });

  it('--json keeps every value exact, and writes C1 and bidi characters as \\u escapes', async () => {
    const r = await runCli(ANALYZER_BIN, ['--db', db, 'show', '--json', '--snapshot', b.snapshotId]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const text = String(r.stdout);
    expect(UNSAFE.test(text.replace(/\n/g, ''))).toBe(false);
    expect(text).toContain('\\u009b31m\\u202e\\u2066');
    const parsed = JSON.parse(text) as { namespaces: { interfaces: { ifname: string }[] }[] };
    expect(parsed.namespaces.flatMap((n) => n.interfaces.map((i) => i.ifname))).toContain(`veth${EVIL}`);
  });
});
