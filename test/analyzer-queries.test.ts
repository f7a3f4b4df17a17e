import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { NS, POD_CONTAINER, POD_UID, WEB_CONTAINER, dockerNode } from './support/docker-node.js';

interface End {
  netns: number;
  ifname: string;
  ifindex: number;
  master: string | null;
  owner: { host: boolean; names: string[]; mounts: string[]; pids: number[]; containers: { runtime: string; id: string; podUid: string | null }[] };
}

const dotAvailable = (await execa('dot', ['-V'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;

describe('nsnap queries on a hand-built container node', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-queries-'));
  const db = path.join(dir, 'nsnap.db');
  const node = dockerNode({ host: 'node-1', takenAt: '2026-11-29T10:00:00.000Z', tags: { phase: 'pre-deploy' } });
  const bundle = node.build();
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);

  beforeAll(async () => {
    writeBundle(path.join(dir, 'bundles'), bundle);
    const r = await nsnap('ingest', path.join(dir, 'bundles'));
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const key = (e: { netns: number; ifname: string; ifindex: number }) => `${e.netns}/${e.ifname}#${e.ifindex}`;

  it('peers --json pairs host and containers despite both containers calling their end eth0 #2, and the same-namespace pair', async () => {
    const r = await nsnap('peers', '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { snapshot: { id: string; host: string; takenAt: string }; pairs: { a: End; b: End; method: string }[] };
    expect(out.snapshot).toMatchObject({ id: bundle.snapshotId, host: 'node-1', takenAt: '2026-11-29T10:00:00.000Z' });
    expect(out.pairs.map((p) => [key(p.a), key(p.b), p.method])).toEqual([
      [`${NS.host}/veth4a67fcf#21`, `${NS.web}/eth0#2`, 'nsid-map'],
      [`${NS.host}/vethpod1#22`, `${NS.pod}/eth0#2`, 'nsid-map'],
      [`${NS.host}/vp0#30`, `${NS.host}/vp1#31`, 'same-netns'],
    ]);
    const [docker, pod] = out.pairs;
    expect(docker!.a).toMatchObject({ master: 'docker0', owner: { host: true } });
    expect(docker!.b.owner).toMatchObject({ host: false, pids: [1557, 1558], containers: [{ runtime: 'docker', id: WEB_CONTAINER, podUid: null }] });
    expect(pod!.b.owner).toMatchObject({ pids: [2001], mounts: ['/run/netns/cni-4f9c0b1e-5d1a-2b3c-8e7f-0a1b2c3d4e5f'], containers: [{ runtime: 'containerd', id: POD_CONTAINER, podUid: POD_UID }] });
  });

  it('peers --json reports the veth whose peer namespace is unreadable and the ambiguous veths with reasons and candidates, never a guess', async () => {
    const out = JSON.parse(String((await nsnap('peers', '--json')).stdout)) as {
      unpaired: (End & { reason: string; detail: string; candidates: End[] })[];
      lowers: { end: End; target: End | null; method: string | null }[];
    };
    // The host's lsns names nsid 5: the peer's namespace is known, only unreadable.
    const unreadable = out.unpaired.filter((u) => u.reason === 'unreadable-peer');
    expect(unreadable.map(key)).toEqual([`${NS.host}/vethdead#40`]);
    expect(unreadable[0]!.detail).toBe(`peer in namespace ${NS.denied} (nsid 5), which nsnap could not read: denied: nsenter: reassociate to namespace 'ns/net' failed: Operation not permitted`);
    expect(out.unpaired.filter((u) => u.reason === 'dangling')).toEqual([]);
    const ambiguous = out.unpaired.filter((u) => u.reason === 'ambiguous');
    expect(ambiguous.map(key).sort()).toEqual([`${NS.m1}/va#2`, `${NS.m2}/vb#2`, `${NS.n1}/va#2`, `${NS.n2}/vb#2`]);
    const m1 = ambiguous.find((u) => u.netns === NS.m1)!;
    expect(m1.owner.names).toEqual(['m1']);
    expect(m1.candidates.map(key)).toEqual([`${NS.m2}/vb#2`, `${NS.n1}/va#2`, `${NS.n2}/vb#2`]);
    expect(out.unpaired).toHaveLength(5);
    expect(out.lowers.map((l) => [key(l.end), l.target && key(l.target), l.method])).toEqual([[`${NS.web}/mv0#3`, `${NS.host}/eth0#2`, 'nsid-consistency']]);
  });

  it('show --json lists every namespace with owners and interfaces, the host first', async () => {
    const r = await nsnap('show', '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as {
      snapshot: { id: string };
      namespaces: { netns: number; host: boolean; names: string[]; pids: number[]; captured: boolean; problem: string | null; containers: { id: string }[]; interfaces: Record<string, unknown>[] }[];
      gaps: { probe: string; subject: string; reason: string }[];
    };
    expect(out.snapshot.id).toBe(bundle.snapshotId);
    expect(out.namespaces.map((n) => n.netns)).toEqual([NS.host, NS.web, NS.pod, NS.denied, NS.m1, NS.m2, NS.n1, NS.n2]);
    const host = out.namespaces[0]!;
    expect(host).toMatchObject({ host: true, pids: [2, 812], containers: [] });
    expect(host.interfaces.map((i) => i.ifname)).toEqual(['lo', 'eth0', 'docker0', 'veth4a67fcf', 'vethpod1', 'vp0', 'vp1', 'vethdead']);
    expect(host.interfaces.find((i) => i.ifname === 'veth4a67fcf')).toMatchObject({ ifindex: 21, kind: 'veth', mtu: 1500, operstate: 'UP', master: 'docker0' });
    expect(host.interfaces.find((i) => i.ifname === 'docker0')).toMatchObject({ kind: 'bridge', addresses: ['inet 172.17.0.1/16'], address: expect.stringMatching(/^02:42:/) });
    const web = out.namespaces[1]!;
    expect(web).toMatchObject({ host: false, names: [], pids: [1557, 1558], containers: [{ id: WEB_CONTAINER }] });
    expect(web.interfaces.map((i) => [i.ifindex, i.ifname, i.kind])).toEqual([[1, 'lo', null], [2, 'eth0', 'veth'], [3, 'mv0', 'macvlan']]);
    expect(out.namespaces[3]).toMatchObject({ netns: NS.denied, captured: false, pids: [2400], interfaces: [] });
    expect(out.namespaces[3]!.problem).toContain('denied');
    expect(out.namespaces[4]).toMatchObject({ names: ['m1'], pids: [] });
    expect(out.gaps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ probe: 'proc-scan', subject: 'pid 1', reason: 'denied' }),
        expect.objectContaining({ probe: 'namespace-links', subject: `netns ${NS.denied}`, reason: 'denied' }),
      ]),
    );
  });

  it('prints one line per pair with both owners, escapes names, and ends with the gaps', async () => {
    const r = await nsnap('peers');
    expect(r.exitCode).toBe(0);
    const text = String(r.stdout);
    expect(text).toContain(`veth4a67fcf #21 (host, master docker0) ⇄ eth0 #2 (netns ${NS.web}, pid 1557 sleep, pid 1558 sh, container ${WEB_CONTAINER.slice(0, 12)})  [nsid-map]`);
    expect(text).toContain(`vethpod1 #22 (host, master docker0) ⇄ eth0 #2 (netns ${NS.pod}, pid 2001 pause, container ${POD_CONTAINER.slice(0, 12)} pod ${POD_UID})`);
    expect(text).toMatch(/vethdead #40 \(host\): unreadable-peer — peer in namespace \d+ \(nsid 5\), which nsnap could not read: denied/);
    expect(text).toMatch(/va #2 \(netns \d+, named m1\): ambiguous/);
    expect(text).toMatch(/gaps \(2:[^\n]*\n\s+proc-scan pid 1: denied/);
    const show = String((await nsnap('show')).stdout);
    expect(show).toContain('vethpod1 (evil\\x1b[31mred)');
    expect(show).not.toContain('\u001b');
  });

  it('draws the topology as DOT: a cluster per namespace, veth edges, bridge ports, the macvlan parent', async () => {
    const r = await nsnap('graph', '--format', 'dot');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const dot = String(r.stdout);
    expect(dot.startsWith('graph nsnap {')).toBe(true);
    expect(dot.match(/subgraph "cluster_ns_\d+"/g)).toHaveLength(8);
    const node = (ns: number, ifindex: number) => `"if_${ns}_${ifindex}"`;
    expect(dot).toContain(`${node(NS.host, 21)} -- ${node(NS.web, 2)} [penwidth=2`);
    expect(dot).toContain(`${node(NS.host, 22)} -- ${node(NS.pod, 2)} [penwidth=2`);
    expect(dot).toContain(`${node(NS.host, 30)} -- ${node(NS.host, 31)} [penwidth=2`);
    expect(dot).toContain(`${node(NS.host, 21)} -- ${node(NS.host, 3)} [style=dashed`);
    expect(dot).toContain(`${node(NS.web, 3)} -- ${node(NS.host, 2)} [style=dotted`);
    expect(dot).toMatch(new RegExp(`${node(NS.host, 40)} \\[[^\\]]*color=red`));
    expect(dot).not.toContain('\u001b');
    if (!dotAvailable) {
      console.warn('graphviz `dot` not installed: DOT structure checked, rendering not');
      return;
    }
    const svg = await execa('dot', ['-Tsvg'], { input: dot, reject: false });
    expect(svg.exitCode, svg.stderr).toBe(0);
    expect(svg.stdout).toContain('<svg');
    expect(svg.stdout).toContain('veth4a67fcf');
  });

  describe('with a second host', () => {
    const other = dockerNode({ host: 'node-2', takenAt: '2026-11-29T11:00:00.000Z' }).build();
    const later = dockerNode({ host: 'node-1', takenAt: '2026-11-29T12:00:00.000Z' }).build();

    beforeAll(async () => {
      writeBundle(path.join(dir, 'more'), other);
      writeBundle(path.join(dir, 'more'), later);
      const r = await nsnap('ingest', path.join(dir, 'more'));
      expect(r.exitCode, String(r.stderr)).toBe(0);
    });

    it('lists snapshots per host, oldest first, with tags', async () => {
      const all = JSON.parse(String((await nsnap('snapshots', '--json')).stdout)) as { snapshots: { id: string; host: string; takenAt: string; tags: Record<string, string> }[] };
      expect(all.snapshots.map((s) => [s.host, s.id])).toEqual([
        ['node-1', bundle.snapshotId],
        ['node-1', later.snapshotId],
        ['node-2', other.snapshotId],
      ]);
      expect(all.snapshots[0]).toEqual(expect.objectContaining({ takenAt: '2026-11-29T10:00:00.000Z', tags: { phase: 'pre-deploy' } }));
      const one = JSON.parse(String((await nsnap('snapshots', '--json', '--host', 'node-2')).stdout)) as { snapshots: { id: string }[] };
      expect(one.snapshots.map((s) => s.id)).toEqual([other.snapshotId]);
    });

    it('refuses an ambiguous "latest" across hosts, naming them and --host (exit 2)', async () => {
      const r = await nsnap('peers');
      expect(r.exitCode).toBe(2);
      expect(String(r.stdout)).toBe('');
      expect(String(r.stderr)).toMatch(/"latest" is ambiguous: .*2 hosts \(node-1, node-2\); choose one with --host/);
    });

    it('selects latest per host, by id and by id prefix', async () => {
      const id = async (...args: string[]) => (JSON.parse(String((await nsnap('show', '--json', ...args)).stdout)) as { snapshot: { id: string } }).snapshot.id;
      expect(await id('--host', 'node-1')).toBe(later.snapshotId);
      expect(await id('--host', 'node-2', '--snapshot', 'latest')).toBe(other.snapshotId);
      expect(await id('--snapshot', bundle.snapshotId)).toBe(bundle.snapshotId);
      expect(await id('--snapshot', other.snapshotId.slice(0, 23))).toBe(other.snapshotId);
    });

    it('says what is wrong with a selection that names nothing (exit 2)', async () => {
      const missing = await nsnap('peers', '--snapshot', 'ffffffff-0000');
      expect(missing.exitCode).toBe(2);
      expect(String(missing.stderr)).toContain('no snapshot "ffffffff-0000"');
      const host = await nsnap('peers', '--host', 'nope\u001b]0;x');
      expect(host.exitCode).toBe(2);
      expect(String(host.stderr)).toContain('no host "nope\\x1b]0;x" in the database (known hosts: node-1, node-2)');
      const bad = await nsnap('show', '--snapshot', '../etc');
      expect(bad.exitCode).toBe(2);
      expect(String(bad.stderr)).toContain('expected "latest", a snapshot id or a prefix');
      const otherHost = await nsnap('show', '--host', 'node-2', '--snapshot', bundle.snapshotId);
      expect(otherHost.exitCode).toBe(2);
    });
  });

  it('refuses a query on a database that does not exist, saying how to make one (exit 2)', async () => {
    const r = await runCli(ANALYZER_BIN, ['peers', '--db', path.join(dir, 'absent.db')]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/no database at .*absent\.db.*nsnap ingest/);
  });
});
