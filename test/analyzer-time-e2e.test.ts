import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

interface Ref {
  netns: number;
  ifname: string;
  ifindex: number;
}
interface NsSummary {
  netns: number;
  host: boolean;
  names: string[];
  containers: string[];
  pids: number[];
}
interface Diff {
  from: { id: string; takenAt: string };
  to: { id: string; takenAt: string };
  sameBoot: boolean;
  namespaces: { added: NsSummary[]; removed: NsSummary[]; changed: (NsSummary & { changes: object })[]; unknown: NsSummary[] };
  interfaces: { added: (Ref & { mtu: number })[]; removed: Ref[]; changed: (Ref & { changes: Record<string, { from: unknown; to: unknown }> })[] };
  pairs: { added: { a: Ref; b: Ref }[]; removed: { a: Ref; b: Ref }[] };
}

async function ifindexOf(name: string, netns?: string): Promise<number> {
  const argv = netns ? ['-n', netns, '-j', 'link', 'show', name] : ['-j', 'link', 'show', name];
  return (JSON.parse((await execa('ip', argv)).stdout) as { ifindex: number }[])[0]!.ifindex;
}

/** Waits until `check` holds (the kernel tears namespaces down asynchronously). */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const linkExists = async (name: string) => (await execa('ip', ['link', 'show', name], { reject: false })).exitCode === 0;

/**
 * Time on a real kernel: a topology collected by nsnap-collect, changed with
 * iproute2 (a namespace deleted, one added with its veth, an MTU changed, a
 * port taken off its bridge, an interface renamed, a namespace left held only by an fd),
 * collected again; `diff`, `whois` and `check` must report exactly that.
 */
describe.skipIf(skip)('nsnap diff, whois and check across two real snapshots', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-time-e2e-'));
  const db = path.join(dir, 'nsnap.db');
  const host = `time-${lab.prefix}`;
  const ns: Record<string, { name: string; inode: number; pid: number }> = {};
  const idx: Record<string, number> = {};
  let hostInode: number;
  let hidden: { inode: number; fd: number } | null = null;
  let diff: Diff;
  let takenAt: string[];
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const collect = async (...tags: string[]) => {
    const r = await runCli(COLLECTOR_BIN, ['--out', path.join(dir, 'bundles'), '--host', host, '--quiet', ...tags.flatMap((t) => ['--tag', t])]);
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
  };
  const vethInto = async (s: string) => {
    const hostEnd = lab.ownHostLink(lab.name(`h${s}`));
    await lab.ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns[s]!.name);
    return hostEnd;
  };
  const br = lab.name('br');

  beforeAll(async () => {
    hostInode = Number(/\[(\d+)\]/.exec(await readlink('/proc/self/ns/net'))![1]);
    // A fixed MAC: a bridge otherwise takes the lowest of its ports' and would change when a port leaves.
    await lab.ip('link', 'add', lab.ownHostLink(br), 'address', '02:00:5e:10:00:01', 'type', 'bridge');
    for (const s of ['a', 'b', 'c', 'd']) {
      const n = await lab.addNetns(s);
      ns[s] = { ...n, pid: await lab.sleepIn(n.name) };
      const hostEnd = await vethInto(s);
      await lab.ip('link', 'set', hostEnd, 'master', br);
      idx[`h${s}`] = await ifindexOf(hostEnd);
      idx[`${s}/eth0`] = await ifindexOf('eth0', n.name);
    }
    await collect('phase=before', `test=${lab.prefix}`);

    // d: deleted with its sleeper; the kernel destroys its veth pair with it.
    process.kill(ns.d!.pid, 'SIGKILL');
    await lab.ip('netns', 'del', ns.d!.name);
    lab.forgetNetns(ns.d!.name);
    await until('the namespace of d and its veth are gone', async () => !(await linkExists(lab.name('hd'))));
    // e: a new namespace with a veth to the host (not on the bridge).
    const e = await lab.addNetns('e');
    ns.e = { ...e, pid: await lab.sleepIn(e.name) };
    idx.he = await ifindexOf(await vethInto('e'));
    idx['e/eth0'] = await ifindexOf('eth0', e.name);
    await lab.ip('link', 'set', lab.name('hb'), 'mtu', '9000');
    await lab.ip('link', 'set', lab.name('hc'), 'nomaster');
    await lab.ip('-n', ns.a!.name, 'link', 'set', 'eth0', 'down');
    await lab.ip('-n', ns.a!.name, 'link', 'set', 'eth0', 'name', 'eth9');
    // A namespace that lives on only through a file descriptor this test holds, after its last
    // process died: no process, name or mount leads to it, only the collector's fd walk (issue 13).
    const f = await lab.sleepInNewNetns();
    const hf = lab.ownHostLink(lab.name('hf'));
    await lab.ip('link', 'add', hf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(f.pid));
    idx.hf = await ifindexOf(hf);
    idx['f/eth0'] = (JSON.parse((await execa('nsenter', ['-t', String(f.pid), '-n', 'ip', '-j', 'link', 'show', 'eth0'])).stdout) as { ifindex: number }[])[0]!.ifindex;
    hidden = { inode: f.inode, fd: openSync(`/proc/${f.pid}/ns/net`, 'r') };
    process.kill(f.pid, 'SIGKILL');
    await until('the process of the hidden namespace is gone', () => !existsSync(`/proc/${f.pid}/ns`) || readlink(`/proc/${f.pid}/ns/net`).then(() => false, () => true));
    await collect('phase=after');

    const ingested = await nsnap('ingest', path.join(dir, 'bundles'));
    expect(ingested.exitCode, String(ingested.stderr)).toBe(0);
    const list = JSON.parse(String((await nsnap('snapshots', '--json', '--host', host)).stdout)) as { snapshots: { takenAt: string }[] };
    takenAt = list.snapshots.map((s) => s.takenAt);
    expect(takenAt).toHaveLength(2);
    const r = await nsnap('diff', 'tag:phase=before', 'latest', '--host', host, '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    diff = JSON.parse(String(r.stdout));
  }, 60_000);

  afterAll(async () => {
    if (hidden) closeSync(hidden.fd);
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const mine = () => new Set([...Object.values(ns).map((n) => n.inode), ...(hidden ? [hidden.inode] : [])]);
  const isMine = (r: Ref) => mine().has(r.netns) || (r.netns === hostInode && r.ifname.startsWith(lab.prefix));
  // The kernel often gives d's inode to e (made right after d died): the side says which one an inode means.
  // The hidden namespace f is new too: it may be the one that got d's inode.
  const key = (r: Ref, side: 'from' | 'to' = 'to') =>
    `${r.netns === hostInode ? 'host' : side === 'to' && r.netns === hidden?.inode ? 'f' : Object.keys(ns).find((s) => ns[s]!.inode === r.netns && s !== (side === 'from' ? 'e' : 'd'))}/${r.ifname}#${r.ifindex}`;

  it('reports the deleted namespace as removed and the new one as added, with their names and processes', () => {
    expect(diff.sameBoot).toBe(true);
    const pick = (list: NsSummary[]) => list.filter((n) => mine().has(n.netns));
    expect(pick(diff.namespaces.removed)).toEqual([{ netns: ns.d!.inode, host: false, names: [ns.d!.name], containers: [], pids: [ns.d!.pid] }]);
    const byNetns = (a: NsSummary, b: NsSummary) => a.netns - b.netns;
    expect(pick(diff.namespaces.added).sort(byNetns)).toEqual(
      [
        { netns: ns.e!.inode, host: false, names: [ns.e!.name], containers: [], pids: [ns.e!.pid] },
        // Found through the fd that holds it: no name, no process.
        { netns: hidden!.inode, host: false, names: [], containers: [], pids: [] },
      ].sort(byNetns),
    );
    expect(pick(diff.namespaces.changed)).toEqual([]);
    expect(pick(diff.namespaces.unknown)).toEqual([]);
  });

  it('reports exactly the interface changes made: removed, added, MTU, bridge port, rename', () => {
    expect(diff.interfaces.removed.filter(isMine).map((r) => key(r, 'from')).sort()).toEqual(['d/eth0#' + idx['d/eth0'], 'd/lo#1', `host/${lab.name('hd')}#${idx.hd}`].sort());
    expect(diff.interfaces.added.filter(isMine).map((r) => key(r)).sort()).toEqual(['e/eth0#' + idx['e/eth0'], 'e/lo#1', `host/${lab.name('he')}#${idx.he}`, `host/${lab.name('hf')}#${idx.hf}`, `f/eth0#${idx['f/eth0']}`, 'f/lo#1'].sort());
    const changed = diff.interfaces.changed.filter(isMine).map((c) => [key(c), c.changes]);
    expect(changed.sort((x, y) => String(x[0]).localeCompare(String(y[0])))).toEqual(
      [
        [`a/eth9#${idx['a/eth0']}`, { ifname: { from: 'eth0', to: 'eth9' } }],
        [`host/${lab.name('hb')}#${idx.hb}`, { mtu: { from: 1500, to: 9000 } }],
        [`host/${lab.name('hc')}#${idx.hc}`, { master: { from: br, to: null } }],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
  });

  it('reports the pair of the deleted namespace disconnected and the new one connected; a rename keeps its pair', () => {
    const pairKey = (p: { a: Ref; b: Ref }, side: 'from' | 'to') => [key(p.a, side), key(p.b, side)].sort().join(' ⇄ ');
    const touches = (p: { a: Ref; b: Ref }) => isMine(p.a) || isMine(p.b);
    expect(diff.pairs.removed.filter(touches).map((p) => pairKey(p, 'from'))).toEqual([[`host/${lab.name('hd')}#${idx.hd}`, `d/eth0#${idx['d/eth0']}`].sort().join(' ⇄ ')]);
    expect(diff.pairs.added.filter(touches).map((p) => pairKey(p, 'to')).sort()).toEqual(
      [[`host/${lab.name('he')}#${idx.he}`, `e/eth0#${idx['e/eth0']}`], [`host/${lab.name('hf')}#${idx.hf}`, `f/eth0#${idx['f/eth0']}`]].map((p) => p.sort().join(' ⇄ ')).sort(),
    );
  });

  it('prints the same changes for people, grouped by namespace with its names and processes', async () => {
    const r = await nsnap('diff', 'tag:phase=before', 'tag:phase=after', '--host', host);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const text = String(r.stdout);
    expect(text).toContain(`netns ${ns.a!.inode}, named ${ns.a!.name}, pid ${ns.a!.pid} sleep\n  ~ eth9 #${idx['a/eth0']}: renamed from eth0`);
    expect(text).toContain(`~ ${lab.name('hb')} #${idx.hb}: mtu 1500 → 9000`);
    expect(text).toContain(`~ ${lab.name('hc')} #${idx.hc}: master ${br} → -`);
    const d = ns.d!;
    const e = ns.e!;
    if (d.inode === e.inode) {
      // The inode was reused: the header names its new owner, the line the old one and why it is another namespace.
      expect(text).toContain(`netns ${e.inode}, named ${e.name}, pid ${e.pid} sleep\n  - namespace removed (it was: netns ${d.inode}, named ${d.name}, pid ${d.pid} sleep); the inode now holds a new one: named ${d.name} before, ${e.name} after\n  + namespace added`);
    } else if (d.inode === hidden?.inode) {
      // Reused by the hidden namespace, which has no owner to name: the devices say it is another one.
      expect(text).toContain(`netns ${d.inode}\n  - namespace removed (it was: netns ${d.inode}, named ${d.name}, pid ${d.pid} sleep); the inode now holds a new one: every device is new and ifindexes started again`);
    } else {
      expect(text).toContain(`netns ${d.inode}, named ${d.name}, pid ${d.pid} sleep\n  - namespace removed`);
    }
  });

  it('whois at a time between the snapshots answers from the first one, with its age', async () => {
    const mid = new Date((Date.parse(takenAt[0]!) + Date.parse(takenAt[1]!)) / 2).toISOString();
    const r = await nsnap('whois', lab.name('hd'), '--at', mid, '--host', host, '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const w = JSON.parse(String(r.stdout));
    expect(w.snapshot).toMatchObject({ id: diff.from.id, takenAt: takenAt[0] });
    expect(w.snapshot.ageSeconds).toBe(Math.round((Date.parse(mid) - Date.parse(takenAt[0]!)) / 1000));
    expect(w.matches).toHaveLength(1);
    expect(w.matches[0]).toMatchObject({ netns: hostInode, host: true, ifname: lab.name('hd'), ifindex: idx.hd, master: br });
    expect(w.matches[0].peer).toMatchObject({ netns: ns.d!.inode, ifname: 'eth0', ifindex: idx['d/eth0'], names: [ns.d!.name] });
    expect(w.matches[0].peer.pids).toContain(ns.d!.pid);
    const now = await nsnap('whois', lab.name('hd'), '--host', host);
    expect(now.exitCode).toBe(1);
    expect(String(now.stdout)).toContain('nothing matches');
    const byPid = JSON.parse(String((await nsnap('whois', String(ns.e!.pid), '--host', host, '--json')).stdout));
    expect(byPid.matches[0]).toMatchObject({ matchedBy: 'pid', netns: ns.e!.inode, names: [ns.e!.name] });
  });

  it('check finds the MTU mismatches (veth pair, bridge port), and no dangling veth: the namespace held only by a file descriptor is found', async () => {
    const r = await nsnap('check', 'latest', '--host', host, '--json');
    expect(r.exitCode).toBe(1);
    const findings = (JSON.parse(String(r.stdout)) as { findings: { kind: string; ifname: string | null; netns: number | null; detail: string }[] }).findings;
    const ours = findings.filter((f) => f.ifname !== null && f.ifname.startsWith(lab.prefix));
    // hb at 9000 disagrees with its peer and with its bridge, which the other ports keep at 1500.
    expect(ours.map((f) => `${f.kind}:${f.ifname}`).sort()).toEqual([`bridge-mtu-mismatch:${lab.name('hb')}`, `veth-mtu-mismatch:${lab.name('hb')}`]);
    const before = JSON.parse(String((await nsnap('check', 'tag:phase=before', '--host', host, '--json')).stdout)) as { findings: { ifname: string | null }[] };
    expect(before.findings.filter((f) => f.ifname?.startsWith(lab.prefix))).toEqual([]);
  });
});
