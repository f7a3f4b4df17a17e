import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlateBundle, decodeBundle, NAMESPACE_BATCH, parseCapture, type Bundle } from '@nsnap/shared';
import { COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

/**
 * Issue #2's topology, built for real: a bridge with three named namespaces
 * (veth + sleeping process each), an unnamed `unshare --net` namespace with a
 * veth made by pid, a veth between two non-host namespaces, a veth with both
 * ends in the host, and two process-less pairs of named namespaces with
 * identical ifindexes that only their nsid names tell apart.
 */
describe.skipIf(skip)('nsnap-collect on a real topology', () => {
  const lab = new Lab();
  const out = mkdtempSync(path.join(os.tmpdir(), 'nsnap-e2e-'));
  const named: Record<string, { name: string; inode: number; pid?: number }> = {};
  let unnamed: { pid: number; inode: number };
  let bundle: Bundle;
  let stdout: string;
  let exitCode: number | undefined;

  beforeAll(async () => {
    const br = lab.ownHostLink(lab.name('br'));
    await lab.ip('link', 'add', br, 'type', 'bridge');
    for (const s of ['a', 'b', 'c']) named[s] = await lab.addContainer(s, br);
    unnamed = await lab.sleepInNewNetns();
    const hu = lab.ownHostLink(lab.name('hu'));
    await lab.ip('link', 'add', hu, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(unnamed.pid));
    await lab.ip('link', 'add', 'x1', 'netns', named.a!.name, 'type', 'veth', 'peer', 'name', 'x2', 'netns', named.b!.name);
    const h1 = lab.ownHostLink(lab.name('h1'));
    await lab.ip('link', 'add', h1, 'type', 'veth', 'peer', 'name', lab.name('h2'));
    for (const s of ['m1', 'm2', 'n1', 'n2']) named[s] = await lab.addNetns(s);
    await lab.ip('link', 'add', 'va', 'netns', named.m1!.name, 'type', 'veth', 'peer', 'name', 'vb', 'netns', named.m2!.name);
    await lab.ip('link', 'add', 'va', 'netns', named.n1!.name, 'type', 'veth', 'peer', 'name', 'vb', 'netns', named.n2!.name);

    const r = await runCli(COLLECTOR_BIN, ['--out', out, '--host', `e2e-${lab.prefix}`, '--tag', 'test=collector-e2e']);
    exitCode = r.exitCode;
    stdout = String(r.stdout);
    const location = stdout.trim().split('\n').at(-1)!;
    bundle = decodeBundle(readFileSync(location));
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(out, { recursive: true, force: true });
  });

  const linksOf = (inode: number): string[] => {
    const ns = bundle.namespaces.find((n) => n.inode === inode);
    expect(ns, `namespace ${inode} in the bundle`).toBeDefined();
    const parsed = parseCapture(ns!.captures[0]!);
    if (parsed.status !== 'parsed') throw new Error(`namespace ${inode}: ${parsed.status}`);
    return parsed.value.links.map((l) => l.ifname).sort();
  };

  it('stores the bundle under the key layout and prints its location last', () => {
    expect([0, 1]).toContain(exitCode);
    const location = stdout.trim().split('\n').at(-1)!;
    expect(path.relative(out, location)).toMatch(new RegExp(`^host=e2e-${lab.prefix}/date=\\d{4}-\\d{2}-\\d{2}/\\d{8}T\\d{6}Z_${bundle.snapshotId}\\.json\\.gz$`));
    expect(bundle.tags).toEqual({ test: 'collector-e2e' });
    expect(bundle.host.root).toBe(true);
    expect(bundle.host.bootId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('captures every named namespace with its inode, its process and exactly its interfaces', () => {
    for (const s of ['a', 'b', 'c']) {
      const ns = named[s]!;
      const proc = bundle.processes.find((p) => p.pid === ns.pid);
      expect(proc).toMatchObject({ netns: ns.inode, comm: 'sleep', netnsError: null });
      expect(proc!.startTime).toBeGreaterThan(0);
      expect(bundle.handles).toContainEqual({ kind: 'named', path: `/run/netns/${ns.name}`, name: ns.name, inode: ns.inode, error: null });
    }
    expect(linksOf(named.a!.inode)).toEqual(['eth0', 'lo', 'x1']);
    expect(linksOf(named.b!.inode)).toEqual(['eth0', 'lo', 'x2']);
    expect(linksOf(named.c!.inode)).toEqual(['eth0', 'lo']);
  });

  it('captures the unnamed namespace through its process', () => {
    expect(bundle.processes.find((p) => p.pid === unnamed.pid)).toMatchObject({ netns: unnamed.inode });
    const ns = bundle.namespaces.find((n) => n.inode === unnamed.inode)!;
    expect(ns.entered).toMatchObject({ via: 'pid' });
    expect(linksOf(unnamed.inode)).toEqual(['eth0', 'lo']);
  });

  it('captures process-less namespaces found only through their mounts', () => {
    for (const s of ['m1', 'm2', 'n1', 'n2']) {
      const ns = named[s]!;
      expect(bundle.processes.some((p) => p.netns === ns.inode)).toBe(false);
      expect(bundle.namespaces.find((n) => n.inode === ns.inode)?.entered).toEqual({ via: 'file', path: `/run/netns/${ns.name}`, pid: null });
    }
    expect(linksOf(named.m1!.inode)).toEqual(['lo', 'va']);
    expect(linksOf(named.n2!.inode)).toEqual(['lo', 'vb']);
  });

  it('captures the host with the bridge, its ports and the host-only veth pair', () => {
    const host = bundle.namespaces.find((n) => n.isHost)!;
    expect(host.inode).toBe(bundle.hostNetns.inode);
    const mine = linksOf(host.inode).filter((n) => n.startsWith(lab.prefix));
    expect(mine).toEqual(['br', 'h1', 'h2', 'ha', 'hb', 'hc', 'hu'].map((s) => lab.name(s)).sort());
  });

  it('pairs every host veth exactly: named namespaces through the host\'s netns list-id, the unnamed one through lsns', () => {
    const { correlation } = correlateBundle(bundle);
    const host = bundle.hostNetns.inode!;
    for (const [end, inode] of [['ha', named.a!.inode], ['hc', named.c!.inode], ['hu', unnamed.inode]] as const) {
      const pair = correlation.pairs.find((p) => (p.a.netns === host && p.a.ifname === lab.name(end)) || (p.b.netns === host && p.b.ifname === lab.name(end)));
      expect(pair, end).toBeDefined();
      expect(new Set([pair!.a.netns, pair!.b.netns])).toEqual(new Set([host, inode]));
      expect(pair!.method).toBe('nsid-map');
    }
    // lsns walks /proc again: it runs only because netns list-id cannot name the unnamed namespace's nsid.
    const hostMaps = bundle.nsidMaps.filter((m) => m.observer === host);
    expect(hostMaps.map((m) => m.capture.spec)).toEqual(['lsns_net_json']);
    expect(hostMaps[0]!.why).toMatch(/^host map: netns list-id leaves nsid \d+/);
  });

  it('holds what is needed to tell apart the two identical process-less pairs', () => {
    const { correlation } = correlateBundle(bundle);
    const pairOf = (inode: number) => correlation.pairs.find((p) => p.a.netns === inode || p.b.netns === inode);
    const m = pairOf(named.m1!.inode);
    const n = pairOf(named.n1!.inode);
    expect(new Set([m?.a.netns, m?.b.netns])).toEqual(new Set([named.m1!.inode, named.m2!.inode]));
    expect(new Set([n?.a.netns, n?.b.netns])).toEqual(new Set([named.n1!.inode, named.n2!.inode]));
    expect(m?.method).toBe('nsid-map');
    const mine = new Set(Object.values(named).map((x) => x.inode).concat(unnamed.inode));
    expect(correlation.unpaired.filter((u) => mine.has(u.end.netns))).toEqual([]);
  });
});

describe.skipIf(skip)('bulk capture, either way into the namespaces, and one spawn per namespace agree', () => {
  const lab = new Lab();
  afterAll(() => lab.cleanup());

  it('captures the same interfaces in every namespace either way', async () => {
    const inodes: number[] = [];
    for (const s of ['p', 'q', 'r', 's', 'u']) {
      const ns = await lab.addNetns(s);
      const hostEnd = lab.ownHostLink(lab.name(`v${s}`));
      await lab.ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name);
      inodes.push(ns.inode);
    }
    const { collect } = await import('@nsnap/collector');
    const [bulk, viaNsenter, single] = await Promise.all([collect({ bulk: true, enter: 'ip-netns' }), collect({ bulk: true, enter: 'nsenter' }), collect({ bulk: false })]);
    const linksIn = (b: Bundle, inode: number) => {
      const ns = b.namespaces.find((n) => n.inode === inode)!;
      const parsed = parseCapture(ns.captures[0]!);
      if (parsed.status !== 'parsed') throw new Error(parsed.status);
      return parsed.value.links.map((l) => [l.ifindex, l.ifname, l.kind, l.linkIndex, l.mtu]);
    };
    for (const inode of inodes) {
      expect(linksIn(bulk, inode)).toEqual(linksIn(single, inode));
      expect(linksIn(viaNsenter, inode)).toEqual(linksIn(single, inode));
      // Entered through the handle the worker holds, the way asked for (bulk-capture.ts).
      const b = bulk.namespaces.find((n) => n.inode === inode)!.captures[0]!;
      expect(b.argv.slice(0, 3).join(' ')).toMatch(/^ip -n (\.\.\/)+proc\/self\/fd\/\d+$/);
      const n = viaNsenter.namespaces.find((x) => x.inode === inode)!.captures[0]!;
      expect(n.argv.slice(0, 3).join(' ')).toMatch(/^nsenter --net=\/proc\/self\/fd\/\d+ ip$/);
      for (const c of [b, n]) {
        expect(c).toMatchObject({ exitCode: 0, failure: null, stdin: NAMESPACE_BATCH });
        expect(c.durationMs).toBeGreaterThan(0);
        // Taken by a bulk worker: its time is a share of the worker's, and the capture says so.
        expect(c.batch!.of).toBeGreaterThan(0);
        expect(c.durationMs).toBeCloseTo(c.batch!.durationMs / c.batch!.of, 2);
      }
    }
  });
});
