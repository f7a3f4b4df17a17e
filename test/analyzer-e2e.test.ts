import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWERS } from '@nsnap/analyzer';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

interface End {
  netns: number;
  ifname: string;
  ifindex: number;
  master: string | null;
  owner: { host: boolean; names: string[]; pids: number[] };
}

/** ifindex of a device in the host, in a named namespace, or in a process's namespace. */
async function ifindexOf(name: string, where: { netns?: string; pid?: number } = {}): Promise<number> {
  const argv = where.netns ? ['ip', '-n', where.netns, '-j', 'link', 'show', name] : where.pid ? ['nsenter', '-t', String(where.pid), '-n', 'ip', '-j', 'link', 'show', name] : ['ip', '-j', 'link', 'show', name];
  const r = await execa(argv[0]!, argv.slice(1));
  return (JSON.parse(r.stdout) as { ifindex: number }[])[0]!.ifindex;
}

/**
 * The whole path on a real kernel: build a topology with iproute2, run the
 * real collector, ingest its bundle with the real nsnap, and check that
 * `peers` and `show` answer exactly what was built.
 */
describe.skipIf(skip)('nsnap on a real topology collected by nsnap-collect', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-analyzer-e2e-'));
  const db = path.join(dir, 'nsnap.db');
  const host = `e2e-${lab.prefix}`;
  const named: Record<string, { name: string; inode: number; pid: number }> = {};
  let unnamed: { pid: number; inode: number };
  const br = lab.name('br');
  /** Expected pairs as "netns/ifname#ifindex" keys, each pair sorted. */
  const expected: string[][] = [];
  let hostInode: number;
  let peers: { pairs: { a: End; b: End; method: string }[]; unpaired: (End & { reason: string })[]; lowers: { end: End; target: End | null; method: string | null }[] };
  let show: { namespaces: { netns: number; host: boolean; names: string[]; pids: number[]; interfaces: { ifname: string; ifindex: number; kind: string | null; master: string | null }[] }[] };

  const key = (netns: number, ifname: string, ifindex: number) => `${netns}/${ifname}#${ifindex}`;
  const endKey = (e: End) => key(e.netns, e.ifname, e.ifindex);

  beforeAll(async () => {
    hostInode = Number(/\[(\d+)\]/.exec(await import('node:fs/promises').then((fs) => fs.readlink('/proc/self/ns/net')))![1]);
    await lab.ip('link', 'add', lab.ownHostLink(br), 'type', 'bridge');
    for (const s of ['a', 'b', 'c']) {
      const ns = await lab.addContainer(s, br);
      named[s] = ns;
      expected.push([key(hostInode, ns.hostEnd, await ifindexOf(ns.hostEnd)), key(ns.inode, 'eth0', await ifindexOf('eth0', { netns: ns.name }))]);
    }
    unnamed = await lab.sleepInNewNetns();
    const hu = lab.ownHostLink(lab.name('hu'));
    await lab.ip('link', 'add', hu, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(unnamed.pid));
    expected.push([key(hostInode, hu, await ifindexOf(hu)), key(unnamed.inode, 'eth0', await ifindexOf('eth0', { pid: unnamed.pid }))]);

    await lab.ip('link', 'add', 'x1', 'netns', named.a!.name, 'type', 'veth', 'peer', 'name', 'x2', 'netns', named.b!.name);
    expected.push([key(named.a!.inode, 'x1', await ifindexOf('x1', { netns: named.a!.name })), key(named.b!.inode, 'x2', await ifindexOf('x2', { netns: named.b!.name }))]);

    const h1 = lab.ownHostLink(lab.name('h1'));
    const h2 = lab.name('h2');
    await lab.ip('link', 'add', h1, 'type', 'veth', 'peer', 'name', h2);
    expected.push([key(hostInode, h1, await ifindexOf(h1)), key(hostInode, h2, await ifindexOf(h2))]);

    const mv = lab.name('mv');
    await lab.ip('link', 'add', mv, 'link', br, 'type', 'macvlan', 'mode', 'bridge');
    await lab.ip('link', 'set', mv, 'netns', named.c!.name);
    for (const e of expected) e.sort();

    const collected = await runCli(COLLECTOR_BIN, ['--out', path.join(dir, 'bundles'), '--host', host, '--tag', 'test=analyzer-e2e', '--quiet']);
    expect([0, 1], String(collected.stderr)).toContain(collected.exitCode);
    const ingested = await runCli(ANALYZER_BIN, ['ingest', path.join(dir, 'bundles'), '--db', db]);
    expect(ingested.exitCode, String(ingested.stderr)).toBe(0);
    const p = await runCli(ANALYZER_BIN, ['peers', '--json', '--host', host, '--db', db]);
    expect(p.exitCode, String(p.stderr)).toBe(0);
    peers = JSON.parse(String(p.stdout));
    const s = await runCli(ANALYZER_BIN, ['show', '--json', '--host', host, '--db', db]);
    expect(s.exitCode, String(s.stderr)).toBe(0);
    show = JSON.parse(String(s.stdout));
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const mine = () => new Set([...Object.values(named).map((n) => n.inode), unnamed.inode]);
  const involvesTest = (e: End) => mine().has(e.netns) || e.ifname.startsWith(lab.prefix);

  it('answers about the real host, hostile neighbours and all, in the shapes their schemas document (docs/json.md)', async () => {
    const runs: [keyof typeof ANSWERS, string[]][] = [
      ['snapshots', ['snapshots']],
      ['show', ['show']],
      ['peers', ['peers']],
      ['check', ['check']],
      ['history', ['history', '-v']],
      ['whois', ['whois', 'lo']],
      ['whoisAll', ['whois', 'lo', '--all']],
    ];
    for (const [name, args] of runs) {
      const r = await runCli(ANALYZER_BIN, [...args, '--json', '--host', host, '--db', db]);
      expect([0, 1], `${args.join(' ')}: ${String(r.stderr)}`).toContain(r.exitCode);
      const value: unknown = JSON.parse(String(r.stdout));
      // Parsing drops fields the schema does not know: equal means none was undocumented.
      expect(ANSWERS[name].schema.parse(value)).toStrictEqual(value);
    }
  });

  it('pairs exactly the veths that were built, and no other pair touches the test devices', () => {
    const got = peers.pairs.filter((p) => involvesTest(p.a) || involvesTest(p.b)).map((p) => [endKey(p.a), endKey(p.b)].sort());
    expect(got.sort()).toEqual([...expected].sort());
    for (const p of peers.pairs.filter((x) => involvesTest(x.a) || involvesTest(x.b))) expect(['nsid-map', 'unique-candidate', 'nsid-consistency', 'same-netns']).toContain(p.method);
    expect(peers.unpaired.filter(involvesTest)).toEqual([]);
  });

  it('names the owners at both ends: bridge master on the host side, netns name and sleeping process inside', () => {
    for (const s of ['a', 'b', 'c']) {
      const ns = named[s]!;
      const pair = peers.pairs.find((p) => p.b.netns === ns.inode && p.b.ifname === 'eth0')!;
      expect(pair, `pair of ${ns.name}`).toBeDefined();
      expect(pair.a).toMatchObject({ ifname: lab.name(`h${s}`), master: br, owner: { host: true } });
      expect(pair.b.owner.names).toEqual([ns.name]);
      expect(pair.b.owner.pids).toContain(ns.pid);
    }
    const u = peers.pairs.find((p) => p.b.netns === unnamed.inode)!;
    expect(u.a.ifname).toBe(lab.name('hu'));
    expect(u.b.owner).toMatchObject({ host: false, names: [] });
    expect(u.b.owner.pids).toContain(unnamed.pid);
    const x = peers.pairs.find((p) => p.a.ifname === 'x1' || p.b.ifname === 'x1')!;
    const ends = [x.a, x.b].sort((m, n) => m.ifname.localeCompare(n.ifname));
    expect(ends.map((e) => e.owner.names)).toEqual([[named.a!.name], [named.b!.name]]);
  });

  it('finds the macvlan\'s parent bridge in the host from inside its namespace', () => {
    const lower = peers.lowers.find((l) => l.end.netns === named.c!.inode && l.end.ifname === lab.name('mv'));
    expect(lower, 'the macvlan in netns c').toBeDefined();
    expect(lower!.target).toMatchObject({ netns: hostInode, ifname: br, owner: { host: true } });
    expect(lower!.method).not.toBeNull();
  });

  it('shows each built namespace with exactly its interfaces and owners', () => {
    const ns = (inode: number) => show.namespaces.find((n) => n.netns === inode)!;
    const names = (inode: number) => ns(inode).interfaces.map((i) => i.ifname).sort();
    expect(names(named.a!.inode)).toEqual(['eth0', 'lo', 'x1']);
    expect(names(named.b!.inode)).toEqual(['eth0', 'lo', 'x2']);
    expect(names(named.c!.inode)).toEqual(['eth0', 'lo', lab.name('mv')].sort());
    expect(ns(named.c!.inode).interfaces.find((i) => i.ifname === lab.name('mv'))?.kind).toBe('macvlan');
    expect(names(unnamed.inode)).toEqual(['eth0', 'lo']);
    expect(ns(unnamed.inode).pids).toContain(unnamed.pid);
    expect(ns(named.a!.inode)).toMatchObject({ host: false, names: [named.a!.name] });
    const hostNs = show.namespaces.find((n) => n.host)!;
    expect(hostNs.netns).toBe(hostInode);
    const test = hostNs.interfaces.filter((i) => i.ifname.startsWith(lab.prefix));
    expect(test.map((i) => i.ifname).sort()).toEqual(['br', 'h1', 'h2', 'ha', 'hb', 'hc', 'hu'].map((s) => lab.name(s)).sort());
    for (const s of ['a', 'b', 'c']) expect(test.find((i) => i.ifname === lab.name(`h${s}`))?.master).toBe(br);
    expect(test.find((i) => i.ifname === br)?.kind).toBe('bridge');
  });
});
