import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '@nsnap/shared';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

interface End {
  netns: number;
  ifname: string;
  ifindex: number;
}
interface Peers {
  pairs: { a: End; b: End; method: string }[];
  unpaired: (End & { reason: string; detail: string; candidates: End[] })[];
  lowers: { end: End & { kind: string | null }; target: End | null; method: string | null; detail: string | null }[];
}
interface Finding {
  kind: string;
  ifname: string | null;
  netns: number | null;
  detail: string;
}

/**
 * Holds each namespace given as a path by a socket made inside it, then goes
 * back to its own namespace and closes every namespace fd: nothing under
 * /proc (ns links, fds — a socket shows as `socket:[N]` —, threads, mounts)
 * leads to those namespaces any more, yet the kernel keeps them alive.
 * Written in Perl because perl-base is essential on Debian (python3 is not,
 * and Python 3.11 has no os.setns); Perl's `syscall` calls setns(2) by number.
 */
const HOLDER = `
my ($nr, @paths) = @ARGV;
open(my $home, "<", "/proc/self/ns/net") or die "home: $!";
my @held;
for my $p (@paths) {
  open(my $fh, "<", $p) or die "$p: $!";
  syscall($nr, fileno($fh), 0x40000000) == 0 or die "setns $p: $!";
  socket(my $s, 2, 2, 0) or die "socket: $!";
  push @held, $s;
  close($fh);
}
syscall($nr, fileno($home), 0x40000000) == 0 or die "setns back: $!";
close($home);
$| = 1;
print "ready\n";
sleep;
`;
/** setns(2)'s number on the architectures CI and developers run. */
const SETNS: Partial<Record<string, number>> = { x64: 308, arm64: 268 };

async function holdBySocketsOnly(paths: string[]): Promise<ChildProcess> {
  const nr = SETNS[process.arch];
  if (nr === undefined) throw new Error(`no setns(2) number known for ${process.arch}`);
  const child = spawn('perl', ['-e', HOLDER, String(nr), ...paths], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => (String(d).includes('ready') ? resolve() : undefined));
    child.on('exit', (code) => reject(new Error(`perl holder exited ${code}: ${err}`)));
    child.on('error', (e) => reject(new Error(`perl is needed to hold a namespace by a socket only: ${e.message}`)));
  });
  return child;
}

const inodeOf = async (link: string) => Number(/\[(\d+)\]/.exec(await readlink(link))![1]);

async function collectAndIngest(dir: string, host: string, wrap: string[] = []): Promise<{ stderr: string }> {
  const bundles = path.join(dir, 'bundles');
  const argv = [...wrap, process.execPath, COLLECTOR_BIN, '--out', bundles, '--host', host, '--enter', 'nsenter', '--quiet'];
  const collected = await execa(argv[0]!, argv.slice(1), { reject: false });
  expect([0, 1], String(collected.stderr)).toContain(collected.exitCode);
  expect(readdirSync(bundles, { recursive: true }).length).toBeGreaterThan(0);
  const ingested = await runCli(ANALYZER_BIN, ['ingest', bundles, '--db', path.join(dir, 'nsnap.db')]);
  expect(ingested.exitCode, String(ingested.stderr)).toBe(0);
  return { stderr: String(collected.stderr) };
}

async function nsnapJson<T>(dir: string, host: string, ...args: string[]): Promise<T> {
  const r = await runCli(ANALYZER_BIN, [...args, '--json', '--host', host, '--db', path.join(dir, 'nsnap.db')]);
  expect([0, 1], String(r.stderr)).toContain(r.exitCode);
  return JSON.parse(String(r.stdout)) as T;
}

/**
 * Issue 13 §2: two veths whose real peers sit in namespaces no scan can find
 * look exactly like each other's peers (a #3 → link 2, b #2 → link 3, both
 * nsid 0), and so do two with identical signatures (c and d: #2 → link 2,
 * nsid 0). Link data among the captured namespaces would pair them; the
 * namespaces' own maps show nsid 0 is neither, so each is reported with its
 * peer out of sight, and `check` flags them.
 */
describe.skipIf(skip)('veths whose peers are in namespaces nsnap cannot see', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-hidden-'));
  const host = `hidden-${lab.prefix}`;
  let holder: ChildProcess | undefined;
  let a: { name: string; inode: number };
  let b: { name: string; inode: number };
  let c: { name: string; inode: number };
  let d: { name: string; inode: number };
  let u1: { pid: number; inode: number };
  let u2: { pid: number; inode: number };
  let peers: Peers;
  let findings: Finding[];

  beforeAll(async () => {
    a = await lab.addNetns('a');
    b = await lab.addNetns('b');
    // Processes in A and B: lsns run inside either names the other, or says it has no nsid for it.
    await lab.sleepIn(a.name);
    await lab.sleepIn(b.name);
    const z1 = await lab.addNetns('z1');
    const z2 = await lab.addNetns('z2');
    await lab.ip('-n', z1.name, 'link', 'add', 'name', 'a', 'index', '3', 'type', 'veth', 'peer', 'name', 'za', 'index', '2');
    await lab.ip('-n', z1.name, 'link', 'set', 'dev', 'a', 'netns', a.name);
    await lab.ip('-n', z2.name, 'link', 'add', 'name', 'b', 'index', '2', 'type', 'veth', 'peer', 'name', 'zb', 'index', '3');
    await lab.ip('-n', z2.name, 'link', 'set', 'dev', 'b', 'netns', b.name);
    // And two with identical signatures: c #2 → link 2 and d #2 → link 2, both nsid 0.
    c = await lab.addNetns('c');
    d = await lab.addNetns('d');
    await lab.sleepIn(c.name);
    await lab.sleepIn(d.name);
    const z3 = await lab.addNetns('z3');
    const z4 = await lab.addNetns('z4');
    await lab.ip('-n', c.name, 'link', 'add', 'name', 'c', 'index', '2', 'type', 'veth', 'peer', 'name', 'zc', 'netns', z3.name, 'index', '2');
    await lab.ip('-n', d.name, 'link', 'add', 'name', 'd', 'index', '2', 'type', 'veth', 'peer', 'name', 'zd', 'netns', z4.name, 'index', '2');
    holder = await holdBySocketsOnly([z1, z2, z3, z4].map((z) => `/run/netns/${z.name}`));
    lab.trackPid(holder.pid!);
    for (const z of [z1, z2, z3, z4]) {
      await lab.ip('netns', 'delete', z.name);
      lab.forgetNetns(z.name);
    }
    // The holder's own link leads to our namespace, and the hidden ones are still alive behind the veths.
    expect(await inodeOf(`/proc/${holder.pid}/ns/net`)).toBe(await inodeOf('/proc/self/ns/net'));
    const seen = JSON.parse((await execa('ip', ['-n', a.name, '-j', 'link', 'show', 'a'])).stdout) as { ifindex: number; link_index: number; link_netnsid: number }[];
    expect(seen[0]).toMatchObject({ ifindex: 3, link_index: 2, link_netnsid: 0 });

    // A real pair between two unnamed namespaces: link data alone would only infer it; their own maps confirm it.
    u1 = await lab.sleepInNewNetns();
    u2 = await lab.sleepInNewNetns();
    await lab.ip('link', 'add', 'u1', 'netns', String(u1.pid), 'type', 'veth', 'peer', 'name', 'u2', 'netns', String(u2.pid));

    await collectAndIngest(dir, host);
    peers = await nsnapJson<Peers>(dir, host, 'peers');
    findings = (await nsnapJson<{ findings: Finding[] }>(dir, host, 'check')).findings;
  }, 60_000);

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const ours = (e: End) => [a, b, c, d].some((n) => n.inode === e.netns);

  it('confirms a real pair between two unnamed namespaces through their own maps: nsid-map, not a guess', () => {
    const pair = peers.pairs.filter((p) => [p.a.netns, p.b.netns].includes(u1.inode));
    expect(pair.map((p) => [[`${p.a.netns}/${p.a.ifname}`, `${p.b.netns}/${p.b.ifname}`].sort(), p.method])).toEqual([[[`${u1.inode}/u1`, `${u2.inode}/u2`].sort(), 'nsid-map']]);
  });

  it('never pairs them with each other', () => {
    expect(peers.pairs.filter((p) => ours(p.a) || ours(p.b))).toEqual([]);
  });

  it('reports each unpaired, its peer in a namespace nsnap could not see', () => {
    const unpaired = peers.unpaired.filter(ours).sort((x, y) => x.ifname.localeCompare(y.ifname));
    expect(unpaired.map((u) => [u.netns, u.ifname, u.reason, u.candidates])).toEqual([
      [a.inode, 'a', 'unseen-peer', []],
      [b.inode, 'b', 'unseen-peer', []],
      [c.inode, 'c', 'unseen-peer', []],
      [d.inode, 'd', 'unseen-peer', []],
    ]);
    for (const u of unpaired) expect(u.detail).toMatch(/^peer in a namespace nsnap could not see: nsid 0 names no captured namespace/);
  });

  it('check flags them all', () => {
    const flagged = findings.filter((f) => [a, b, c, d].some((n) => n.inode === f.netns)).map((f) => `${f.kind}:${f.ifname}`);
    expect(flagged.sort()).toEqual(['veth-peer-unseen:a', 'veth-peer-unseen:b', 'veth-peer-unseen:c', 'veth-peer-unseen:d']);
  });
});

/**
 * The peer's namespace known but unreadable: the collector runs as root
 * without CAP_SYS_ADMIN (setpriv drops it from the bounding set), so it can
 * list namespaces and the host's nsid map names them, but entering any fails.
 */
describe.skipIf(skip)('a veth whose peer namespace is known but could not be read', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-unreadable-'));
  const host = `unreadable-${lab.prefix}`;
  let c: { name: string; inode: number; hostEnd: string };
  let peers: Peers;
  let findings: Finding[];

  beforeAll(async () => {
    const br = lab.ownHostLink(lab.name('br'));
    await lab.ip('link', 'add', br, 'type', 'bridge');
    c = await lab.addContainer('c', br);
    await collectAndIngest(dir, host, ['setpriv', '--bounding-set=-sys_admin', '--']);
    peers = await nsnapJson<Peers>(dir, host, 'peers');
    findings = (await nsnapJson<{ findings: Finding[] }>(dir, host, 'check')).findings;
  }, 60_000);

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the host end unreadable-peer, naming the namespace and why — not dangling, not paired', () => {
    const end = peers.unpaired.find((u) => u.ifname === c.hostEnd);
    expect(end).toMatchObject({ reason: 'unreadable-peer' });
    expect(end!.detail).toMatch(new RegExp(`^peer in namespace ${c.inode} \\(nsid \\d+\\), which nsnap could not read: `));
    expect(peers.pairs.filter((p) => p.a.ifname === c.hostEnd || p.b.ifname === c.hostEnd)).toEqual([]);
  });

  it('check flags it as unreadable', () => {
    expect(findings.filter((f) => f.ifname === c.hostEnd).map((f) => f.kind)).toEqual(['veth-peer-unreadable']);
  });
});

/**
 * Issue 13 §4: a macvlan and a vxlan moved into a namespace with no veth, so
 * no pair reveals that namespace's nsid for the host: their lowers are found
 * through the namespace's own map, which the collector reads because a lower
 * needs it. A macvlan and a vxlan on a host device are lowers too, in the
 * same namespace: in `peers --json`, as graph edges and in `whois`.
 */
describe.skipIf(skip)('lower devices everywhere', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-lowers-'));
  const host = `lowers-${lab.prefix}`;
  const n = (s: string) => lab.name(s);
  const index: Record<string, number> = {};
  let c: { name: string; inode: number };
  let hostInode: number;
  let peers: Peers;

  const ifindexOf = async (name: string, netns?: string) =>
    (JSON.parse((await execa('ip', [...(netns ? ['-n', netns] : []), '-j', 'link', 'show', 'dev', name])).stdout) as { ifindex: number }[])[0]!.ifindex;

  beforeAll(async () => {
    hostInode = await inodeOf('/proc/self/ns/net');
    // No dummy driver on every kernel: a veth pair with both ends in the host serves as the lower devices.
    await lab.ip('link', 'add', lab.ownHostLink(n('l1')), 'type', 'veth', 'peer', 'name', n('l2'));
    c = await lab.addNetns('c');
    await lab.sleepIn(c.name);
    await lab.ip('link', 'add', n('m'), 'link', n('l1'), 'type', 'macvlan', 'mode', 'bridge');
    await lab.ip('link', 'add', n('x'), 'type', 'vxlan', 'id', '4242', 'dev', n('l1'), 'dstport', '4789');
    for (const d of ['m', 'x']) await lab.ip('link', 'set', 'dev', n(d), 'netns', c.name);
    await lab.ip('link', 'add', lab.ownHostLink(n('hm')), 'link', n('l2'), 'type', 'macvlan', 'mode', 'bridge');
    await lab.ip('link', 'add', lab.ownHostLink(n('hx')), 'type', 'vxlan', 'id', '4243', 'dev', n('l2'), 'dstport', '4790');
    for (const d of ['l1', 'l2', 'hm', 'hx']) index[d] = await ifindexOf(n(d));
    for (const d of ['m', 'x']) index[d] = await ifindexOf(n(d), c.name);
    await collectAndIngest(dir, host);
    peers = await nsnapJson<Peers>(dir, host, 'peers');
  }, 60_000);

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const lowerOf = (netns: number, name: string) => peers.lowers.find((l) => l.end.netns === netns && l.end.ifname === name);

  it('resolves a macvlan and a vxlan in a namespace without veths to their lower in the host, through that namespace’s own map', () => {
    expect(lowerOf(c.inode, n('m'))).toMatchObject({ end: { ifindex: index.m, kind: 'macvlan' }, target: { netns: hostInode, ifname: n('l1'), ifindex: index.l1 }, method: 'nsid-map' });
    expect(lowerOf(c.inode, n('x'))).toMatchObject({ end: { ifindex: index.x, kind: 'vxlan' }, target: { netns: hostInode, ifname: n('l1'), ifindex: index.l1 }, method: 'nsid-map' });
    const bundles = path.join(dir, 'bundles');
    const file = readdirSync(bundles, { recursive: true }).map(String).find((f) => f.endsWith('.json.gz'))!;
    const bundle = decodeBundle(readFileSync(path.join(bundles, file)));
    expect(bundle.nsidMaps.some((m) => m.observer === c.inode && m.capture.failure === null)).toBe(true);
  });

  it('lists lowers in the same namespace in peers --json', () => {
    expect(lowerOf(hostInode, n('hm'))).toMatchObject({ end: { kind: 'macvlan' }, target: { netns: hostInode, ifname: n('l2'), ifindex: index.l2 }, method: 'same-netns' });
    expect(lowerOf(hostInode, n('hx'))).toMatchObject({ end: { kind: 'vxlan' }, target: { netns: hostInode, ifname: n('l2'), ifindex: index.l2 }, method: 'same-netns' });
  });

  it('draws every lower as a graph edge, in the same namespace or across', async () => {
    const r = await runCli(ANALYZER_BIN, ['graph', '--host', host, '--db', path.join(dir, 'nsnap.db')]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const dot = String(r.stdout);
    const edge = (from: [number, number], to: [number, number]) => `"if_${from[0]}_${from[1]}" -- "if_${to[0]}_${to[1]}" [style=dotted, dir=forward`;
    expect(dot).toContain(edge([hostInode, index.hm!], [hostInode, index.l2!]));
    expect(dot).toContain(edge([hostInode, index.hx!], [hostInode, index.l2!]));
    expect(dot).toContain(edge([c.inode, index.m!], [hostInode, index.l1!]));
    expect(dot).toContain(edge([c.inode, index.x!], [hostInode, index.l1!]));
  });

  it('whois names the lower of a macvlan, in text and JSON', async () => {
    const text = await runCli(ANALYZER_BIN, ['whois', n('hm'), '--host', host, '--db', path.join(dir, 'nsnap.db')]);
    expect(text.exitCode, String(text.stderr)).toBe(0);
    expect(String(text.stdout)).toContain(`→ lower ${n('l2')} #${index.l2} (host)`);
    const json = await nsnapJson<{ matches: { lower: { device: End | null; method: string | null } | null }[] }>(dir, host, 'whois', n('m'));
    expect(json.matches[0]!.lower).toMatchObject({ device: { netns: hostInode, ifname: n('l1'), ifindex: index.l1 }, method: 'nsid-map' });
  });
});
