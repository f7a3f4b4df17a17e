import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '@nsnap/analyzer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

interface ShownNamespace {
  netns: number;
  names: string[];
  routing: { routes: string[] | null; rules: string[] | null; neighbours: string[] | null };
}

/**
 * Routes, rules and neighbours from real namespaces through the real CLIs:
 * collected in the one batch per namespace (six namespaces: the bulk pass
 * takes them), stored, shown with `show --routes`, and a changed route, a
 * removed neighbour and an added rule reported by `diff`.
 */
describe.skipIf(skip)('routes, rules and neighbours collected, shown and diffed', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-routing-e2e-'));
  const db = path.join(dir, 'nsnap.db');
  const host = `rt-${lab.prefix}`;
  let a: { name: string; inode: number };
  let b: { name: string; inode: number };
  const quiet: number[] = [];

  const collect = async (...extra: string[]) => {
    const r = await runCli(COLLECTOR_BIN, ['--out', path.join(dir, 'bundles'), '--host', host, '--quiet', ...extra]);
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
    const i = await runCli(ANALYZER_BIN, ['ingest', path.join(dir, 'bundles'), '--db', db]);
    expect(i.exitCode, String(i.stderr)).toBe(0);
  };
  const show = async (): Promise<Map<string, ShownNamespace>> => {
    const r = await runCli(ANALYZER_BIN, ['show', '--routes', '--json', '--host', host, '--db', db]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const byName = new Map<string, ShownNamespace>();
    for (const ns of (JSON.parse(String(r.stdout)) as { namespaces: ShownNamespace[] }).namespaces) for (const n of ns.names) byName.set(n, ns);
    return byName;
  };

  beforeAll(async () => {
    a = await lab.addNetns('a');
    b = await lab.addNetns('b');
    for (const s of ['c', 'd', 'e', 'f']) quiet.push((await lab.addNetns(s)).inode);
    const inA = (...args: string[]) => lab.ip('-n', a.name, ...args);
    await lab.ip('link', 'add', 'x1', 'netns', a.name, 'type', 'veth', 'peer', 'name', 'x2', 'netns', b.name);
    await inA('link', 'set', 'x1', 'up');
    await inA('addr', 'add', '10.77.0.1/24', 'dev', 'x1');
    await inA('addr', 'add', 'fd77::1/64', 'dev', 'x1', 'nodad');
    await inA('route', 'add', '10.78.0.0/16', 'via', '10.77.0.2');
    await inA('route', 'add', '10.79.0.0/16', 'via', '10.77.0.2', 'table', '100');
    await inA('-6', 'route', 'add', 'fd78::/64', 'via', 'fd77::2');
    await inA('rule', 'add', 'from', '10.77.0.0/24', 'table', '100', 'pref', '150');
    await inA('-6', 'rule', 'add', 'from', '2001:db8::/32', 'table', '7', 'pref', '170');
    await inA('neigh', 'add', '10.77.0.2', 'lladdr', '02:00:00:77:00:02', 'dev', 'x1', 'nud', 'permanent');
    await inA('neigh', 'add', '10.77.0.3', 'lladdr', '02:00:00:77:00:03', 'dev', 'x1', 'nud', 'permanent');
    await collect();
  }, 60_000);
  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows each namespace\'s routes of every table and family, its rules and neighbours; none is an answer', async () => {
    const shown = await show();
    const ra = shown.get(a.name)!.routing;
    expect(ra.routes).toEqual(expect.arrayContaining([
      '10.78.0.0/16 via 10.77.0.2 dev x1 proto boot scope global linkdown',
      '10.79.0.0/16 via 10.77.0.2 dev x1 table 100 proto boot scope global linkdown',
      '10.77.0.0/24 dev x1 proto kernel scope link src 10.77.0.1 linkdown',
      'fd78::/64 via fd77::2 dev x1 proto boot scope global metric 1024 linkdown',
    ]));
    expect(ra.rules).toContain('150: from 10.77.0.0/24 lookup 100 proto unspec');
    expect(ra.neighbours).toEqual(expect.arrayContaining(['10.77.0.2 dev x1 lladdr 02:00:00:77:00:02 PERMANENT', '10.77.0.3 dev x1 lladdr 02:00:00:77:00:03 PERMANENT']));
    // b: its veth end is down, lo is down: no route, no neighbour — empty lists, not "not captured".
    expect(shown.get(b.name)!.routing).toMatchObject({ routes: [], neighbours: [] });
    expect(shown.get(b.name)!.routing.rules).toContain('32766: from all lookup main proto kernel');

    const text = await runCli(ANALYZER_BIN, ['show', '--routes', '--host', host, '--db', db]);
    expect(String(text.stdout)).toContain('    10.78.0.0/16 via 10.77.0.2 dev x1 proto boot scope global linkdown');
    expect(String(text.stdout)).toMatch(/neighbours: none/);
  });

  it('stores a list once by content: the same rules in five namespaces are one set, another one for a', () => {
    const d = openDatabase(db, { mustExist: true, readonly: true });
    try {
      const setOf = d.prepare("SELECT routing_set FROM namespace_routing WHERE kind = 'rules' AND netns = ?").pluck();
      const sets = new Set([b.inode, ...quiet].map((inode) => setOf.get(inode)));
      expect(sets.size).toBe(1);
      expect([...sets][0]).toEqual(expect.any(Number));
      expect(sets.has(setOf.get(a.inode))).toBe(false);
    } finally {
      d.close();
    }
  });

  it('reports a changed route, a removed neighbour and an added rule as changes, text and JSON', async () => {
    const inA = (...args: string[]) => lab.ip('-n', a.name, ...args);
    await inA('route', 'replace', '10.78.0.0/16', 'via', '10.77.0.3');
    await inA('neigh', 'del', '10.77.0.3', 'dev', 'x1');
    await inA('rule', 'add', 'fwmark', '0x7', 'lookup', '100', 'pref', '160');
    await collect();
    const j = await runCli(ANALYZER_BIN, ['diff', 'latest~1', 'latest', '--host', host, '--json', '--db', db]);
    expect(j.exitCode, String(j.stderr)).toBe(0);
    const diff = JSON.parse(String(j.stdout)) as { routing: { changed: { netns: number; kind: string; added: string[]; removed: string[]; changed: { from: string; to: string }[] }[] } };
    const ofA = diff.routing.changed.filter((c) => c.netns === a.inode);
    expect(ofA.find((c) => c.kind === 'routes')).toMatchObject({
      added: [],
      removed: [],
      changed: [{ from: '10.78.0.0/16 via 10.77.0.2 dev x1 proto boot scope global linkdown', to: '10.78.0.0/16 via 10.77.0.3 dev x1 proto boot scope global linkdown' }],
    });
    expect(ofA.find((c) => c.kind === 'neighbours')).toMatchObject({ removed: ['10.77.0.3 dev x1 lladdr 02:00:00:77:00:03 PERMANENT'], added: [] });
    expect(ofA.find((c) => c.kind === 'rules')).toMatchObject({ added: ['160: from all fwmark 0x7 lookup 100 proto unspec'], removed: [] });
    // Nothing changed in b and the others: no entry for them.
    expect(diff.routing.changed.filter((c) => c.netns === b.inode)).toEqual([]);

    const t = await runCli(ANALYZER_BIN, ['diff', 'latest~1', 'latest', '--host', host, '--db', db]);
    const out = String(t.stdout);
    expect(out).toContain('~ route 10.78.0.0/16 via 10.77.0.2 dev x1 proto boot scope global linkdown → 10.78.0.0/16 via 10.77.0.3 dev x1 proto boot scope global linkdown');
    expect(out).toContain('- neighbour 10.77.0.3 dev x1 lladdr 02:00:00:77:00:03 PERMANENT');
    expect(out).toContain('+ rule 160: from all fwmark 0x7 lookup 100 proto unspec');
    expect(out).toMatch(/~\d+ route, rule or neighbour lists/);
  });

  it('takes IPv6 rules in the host always and in every namespace with --ipv6-rules; a changed one is a change, a first capture is none', async () => {
    // Without the flag (the runs above): a namespace's IPv6 rules are not claimed to be none.
    const before = await show();
    expect(before.get(a.name)!.routing.rules!.some((t) => t.startsWith('inet6 '))).toBe(false);
    const beforeText = String((await runCli(ANALYZER_BIN, ['show', '--routes', '--host', host, '--db', db])).stdout);
    expect(beforeText).toContain('rules (IPv4; no IPv6 rule recorded: not captured or none):');
    expect(beforeText).toContain('rules (IPv4 and IPv6):'); // the host's

    await collect('--ipv6-rules');
    const shown = await show();
    expect(shown.get(a.name)!.routing.rules).toEqual(expect.arrayContaining(['150: from 10.77.0.0/24 lookup 100 proto unspec', 'inet6 170: from 2001:db8::/32 lookup 7 proto unspec', 'inet6 0: from all lookup local proto kernel']));
    expect(shown.get(b.name)!.routing.rules).toContain('inet6 32766: from all lookup main proto kernel');
    const text = String((await runCli(ANALYZER_BIN, ['show', '--routes', '--host', host, '--db', db])).stdout);
    expect(text).toContain('    inet6 170: from 2001:db8::/32 lookup 7 proto unspec');
    // IPv6 rules seen for the first time: not compared, not listed as added.
    const first = String((await runCli(ANALYZER_BIN, ['diff', 'latest~1', 'latest', '--host', host, '--db', db])).stdout);
    expect(first).not.toContain('+ rule inet6');
    expect(first).toMatch(/captured only in/);

    await lab.ip('-n', a.name, '-6', 'rule', 'del', 'pref', '170');
    await lab.ip('-n', a.name, '-6', 'rule', 'add', 'from', '2001:db8::/32', 'table', '8', 'pref', '170');
    await collect('--ipv6-rules');
    const out = String((await runCli(ANALYZER_BIN, ['diff', 'latest~1', 'latest', '--host', host, '--db', db])).stdout);
    expect(out).toContain('+ rule inet6 170: from 2001:db8::/32 lookup 8 proto unspec');
    expect(out).toContain('- rule inet6 170: from 2001:db8::/32 lookup 7 proto unspec');
  }, 60_000);
});
