import { randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

interface Match { matchedBy: string; netns: number; ifname: string; address?: string; names: string[]; peer: { ifname: string; host: boolean } | null }
interface Command { on: string; via: string; device: { netns: number; ifname: string; ifindex: number }; argv: string[] | null; shell: string | null; refused: string | null; verify: { pid: number; checks: { shell: string; expect: string }[] } | null }
interface Capture { status: string; reason: string | null; commands: Command[]; candidates: { netns: number; ifname: string }[] }
interface Finding { kind: string; netns: number | null; ifname: string | null; detail: string; addresses?: string[] }

/**
 * The answers issue 19 asks of facts nsnap already captures, on a real
 * kernel: who held an address (two namespaces at once, IPv6 in any spelling,
 * over time), the command that captures on a device (run for real through a
 * shell, with hostile names), and the MTU and leaked-address checks.
 */
describe.skipIf(skip)('whois ADDRESS, capture and the new check rules on a real topology', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-answers-e2e-'));
  const db = path.join(dir, 'nsnap.db');
  const bundles = path.join(dir, 'bundles');
  const host = `ans-${lab.prefix}`;
  const net = `10.${randomInt(1, 255)}.${randomInt(0, 256)}`;
  const v6 = `fd00:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}`;
  const canary = path.join(dir, 'pwned');
  /** A quotable namespace name that would run `touch` (in `dir`, where printed lines run) if it were pasted unquoted. */
  const quotedName = `${lab.prefix}q';touch pwned;'x`;
  /** A name no pasted command can carry: a newline. */
  const newlineName = `${lab.prefix}n\nx`;
  const br = lab.name('br');
  let a: { name: string; inode: number; pid: number; hostEnd: string };
  let b: typeof a;
  let leak: { name: string; inode: number };
  let quoted: number;
  let newline: { inode: number; pid: number };
  let firstAt: string;
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const json = async <T>(...args: string[]): Promise<{ exitCode: number; body: T; stderr: string }> => {
    const r = await nsnap(...args, '--json');
    return { exitCode: r.exitCode ?? -1, body: JSON.parse(String(r.stdout)) as T, stderr: String(r.stderr) };
  };
  const collect = async () => {
    const c = await runCli(COLLECTOR_BIN, ['--out', bundles, '--host', host, '--quiet']);
    expect([0, 1], String(c.stderr)).toContain(c.exitCode);
    const i = await runCli(ANALYZER_BIN, ['ingest', bundles, '--db', db]);
    expect(i.exitCode, String(i.stderr)).toBe(0);
  };
  /** A stand-in for tcpdump on PATH: says which namespace it runs in and which device it was given. */
  const bin = path.join(dir, 'bin');
  const runPrinted = (shell: string) => execa('sh', ['-c', shell], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}` }, reject: false });

  beforeAll(async () => {
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'tcpdump'), '#!/bin/sh\n[ "$1" = -i ] && [ "$3" = -nn ] || exit 3\nreadlink /proc/self/ns/net\nexec ip -j link show dev "$2"\n');
    chmodSync(path.join(bin, 'tcpdump'), 0o755);

    await lab.ip('link', 'add', lab.ownHostLink(br), 'type', 'bridge');
    await lab.ip('link', 'set', br, 'up');
    a = await lab.addContainer('a', br);
    b = await lab.addContainer('b', br);
    for (const c of [a, b]) {
      await lab.ip('-n', c.name, 'addr', 'add', `${net}.5/24`, 'dev', 'eth0');
      await lab.ip('-n', c.name, 'link', 'set', 'eth0', 'up');
      await lab.ip('link', 'set', c.hostEnd, 'up');
    }
    await lab.ip('-n', a.name, 'addr', 'add', `${v6}::5/64`, 'dev', 'eth0', 'nodad');
    await lab.ip('link', 'set', a.hostEnd, 'mtu', '1400');
    // The kernel lowers a bridge to its smallest port's MTU until the MTU is set by hand: set back, it stays.
    await lab.ip('link', 'set', br, 'mtu', '1500');

    leak = await lab.addNetns('l');
    const hl = lab.ownHostLink(lab.name('hl'));
    await lab.ip('link', 'add', hl, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', leak.name);
    await lab.ip('-n', leak.name, 'addr', 'add', `${net}.9/24`, 'dev', 'eth0');

    await lab.ip('netns', 'add', quotedName);
    quoted = statSync(`/run/netns/${quotedName}`).ino;
    await lab.ip('-n', quotedName, 'link', 'add', "a'b", 'type', 'veth', 'peer', 'name', 'a;id');
    await lab.ip('-n', quotedName, 'link', 'add', '$(id)', 'type', 'veth', 'peer', 'name', 'f`id`');
    // Bytes that are not UTF-8 cannot be argv of a node child: iproute2's batch reads them raw.
    await execa('ip', ['-n', quotedName, '-batch', '-'], { input: Buffer.concat([Buffer.from('link add name x'), Buffer.of(0xff), Buffer.from(' type veth peer name y'), Buffer.of(0xfe), Buffer.from('\n')]) });

    await lab.ip('netns', 'add', newlineName);
    const hn = lab.ownHostLink(lab.name('hn'));
    await lab.ip('link', 'add', hn, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', newlineName);
    newline = { inode: statSync(`/run/netns/${newlineName}`).ino, pid: await lab.sleepIn(newlineName) };

    await collect();
    const snaps = await json<{ snapshots: { takenAt: string }[] }>('snapshots', '--host', host);
    firstAt = snaps.body.snapshots[0]!.takenAt;
    // The second snapshot: b gave the address up, a kept it.
    await lab.ip('-n', b.name, 'addr', 'del', `${net}.5/24`, 'dev', 'eth0');
    await collect();
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('whois ADDRESS', () => {
    it('names every holder of an address held in two namespaces at once, with the peer of each', async () => {
      const r = await json<{ matches: Match[] }>('whois', `${net}.5`, '--at', firstAt, '--host', host);
      expect(r.exitCode, r.stderr).toBe(0);
      const got = r.body.matches.filter((m) => m.matchedBy === 'address').map((m) => [m.netns, m.ifname, m.address, m.names, m.peer?.ifname, m.peer?.host]);
      expect(got.sort()).toEqual(
        [
          [a.inode, 'eth0', `${net}.5/24`, [a.name], a.hostEnd, true],
          [b.inode, 'eth0', `${net}.5/24`, [b.name], b.hostEnd, true],
        ].sort(),
      );
      const text = await nsnap('whois', `${net}.5`, '--at', firstAt, '--host', host);
      expect(String(text.stdout)).toContain('2 interfaces hold the address at once:');
    });

    it('answers from the snapshot in force: later, only the namespace that kept it', async () => {
      const r = await json<{ matches: Match[] }>('whois', `${net}.5`, '--host', host);
      expect(r.body.matches.filter((m) => m.matchedBy === 'address').map((m) => m.netns)).toEqual([a.inode]);
    });

    it('reads IPv6 in any spelling and the prefix length when given', async () => {
      const [x, y] = v6.split(':').slice(1);
      for (const spelled of [`${v6}::5`, `FD00:${x}:${y}:0:0:0:0:5`, `fd00:${x}:${y}:0::0005/64`]) {
        const r = await json<{ matches: Match[] }>('whois', spelled, '--host', host);
        expect(r.exitCode, spelled).toBe(0);
        expect(r.body.matches.map((m) => [m.netns, m.address]), spelled).toEqual([[a.inode, `${v6}::5/64`]]);
      }
      const other = await json<{ matches: Match[] }>('whois', `${v6}::5/63`, '--host', host);
      expect([other.exitCode, other.body.matches]).toEqual([1, []]);
    });

    it('refuses what is no address, naming it', async () => {
      for (const bad of ['10.0.0.300', 'fe80::g1', `${net}.5/33`]) {
        const r = await nsnap('whois', bad, '--host', host);
        expect(r.exitCode, bad).toBe(2);
        expect(String(r.stderr), bad).toContain(`"${bad}"`);
      }
    });

    it('--all lists each holder\'s period over the snapshots', async () => {
      const r = await json<{ periods: { snapshots: number; netns: number; match: Match }[] }>('whois', `${net}.5`, '--all', '--host', host);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.body.periods.map((p) => [p.netns, p.snapshots, p.match.address]).sort()).toEqual(
        [
          [a.inode, 2, `${net}.5/24`],
          [b.inode, 1, `${net}.5/24`],
        ].sort(),
      );
    });
  });

  describe('capture', () => {
    /** Runs a printed command through a real shell with the stand-in tcpdump: the namespace and device it reached. */
    const reached = async (shell: string) => {
      const r = await runPrinted(shell);
      expect(r.exitCode, `${shell}: ${r.stderr}`).toBe(0);
      const [link, ...rest] = String(r.stdout).split('\n');
      const dev = (JSON.parse(rest.join('\n')) as { ifindex: number; ifname: string }[])[0]!;
      return { netns: Number(/\[(\d+)\]/.exec(link!)![1]), ifindex: dev.ifindex };
    };

    it('captures on a host veth in the host, and on its peer through ip netns exec', async () => {
      const r = await json<Capture>('capture', a.hostEnd, '--host', host);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.body.commands.map((c) => [c.on, c.via, c.shell])).toEqual([
        ['device', 'host', `tcpdump -i ${a.hostEnd} -nn`],
        ['peer', 'named-netns', `ip netns exec ${a.name} tcpdump -i eth0 -nn`],
      ]);
      const peer = r.body.commands[1]!;
      expect(await reached(peer.shell!)).toEqual({ netns: a.inode, ifindex: peer.device.ifindex });
    });

    it('calls a name held in many namespaces ambiguous, listing them, until --netns says which', async () => {
      const r = await json<Capture>('capture', 'eth0', '--host', host);
      expect([r.exitCode, r.body.status]).toEqual([1, 'ambiguous']);
      expect(r.body.candidates.map((c) => c.netns)).toEqual(expect.arrayContaining([a.inode, b.inode, leak.inode]));
      const one = await json<Capture>('capture', 'eth0', '--netns', b.name, '--host', host);
      expect(one.body.commands.map((c) => [c.via, c.shell])).toEqual([
        ['named-netns', `ip netns exec ${b.name} tcpdump -i eth0 -nn`],
        ['host', `tcpdump -i ${b.hostEnd} -nn`],
      ]);
    });

    it('says unknown, exit 1, for a name nothing holds', async () => {
      const r = await json<Capture>('capture', lab.name('zz'), '--host', host);
      expect([r.exitCode, r.body.status, r.body.commands]).toEqual([1, 'unknown', []]);
    });

    it('quotes hostile names so that the printed line reaches exactly the device and runs nothing else', async () => {
      for (const [name, peerName] of [["a'b", 'a;id'], ['$(id)', 'f`id`']] as const) {
        const r = await json<Capture>('capture', name, '--netns', String(quoted), '--host', host);
        expect(r.exitCode, `${name}: ${r.stderr}`).toBe(0);
        expect(r.body.commands.map((c) => [c.via, c.device.ifname, c.refused])).toEqual([
          ['named-netns', name, null],
          ['named-netns', peerName, null],
        ]);
        for (const c of r.body.commands) expect(await reached(c.shell!), c.shell!).toEqual({ netns: quoted, ifindex: c.device.ifindex });
      }
      const text = await nsnap('capture', "a'b", '--netns', String(quoted), '--host', host);
      expect(String(text.stdout)).toContain(`ip netns exec '${quotedName.replace(/'/g, `'\\''`)}' tcpdump -i 'a'\\''b' -nn`);
      expect(existsSync(canary)).toBe(false);
    });

    it('refuses a command whose device name is not UTF-8, and says why', async () => {
      const r = await json<Capture>('capture', 'x\\xff', '--netns', String(quoted), '--host', host);
      expect([r.exitCode, r.body.status]).toEqual([1, 'refused']);
      expect(r.body.commands.map((c) => [c.argv, c.shell])).toEqual([[null, null], [null, null]]);
      expect(r.body.reason).toContain('not UTF-8');
      const text = await nsnap('capture', 'x\\xff', '--netns', String(quoted), '--host', host);
      expect(String(text.stdout)).not.toMatch(/[\u0080-\u00ff\ufffd]/);
      expect(String(text.stdout)).toContain('refused: the device name: it holds bytes that are not UTF-8');
    });

    it('enters a namespace whose name cannot be pasted through its process, with the checks that its pid is still that process', async () => {
      const r = await json<Capture>('capture', lab.name('hn'), '--host', host);
      expect(r.exitCode, r.stderr).toBe(0);
      const peer = r.body.commands[1]!;
      expect([peer.via, peer.shell]).toEqual(['pid', `nsenter --net=/proc/${newline.pid}/ns/net tcpdump -i eth0 -nn`]);
      expect(await reached(peer.shell!)).toEqual({ netns: newline.inode, ifindex: peer.device.ifindex });
      expect(peer.verify!.checks.length).toBe(3);
      for (const c of peer.verify!.checks) {
        const out = await execa('sh', ['-c', c.shell]);
        expect(out.stdout.trim(), c.shell).toBe(c.expect);
      }
    });
  });

  describe('check', () => {
    let findings: Finding[];
    beforeAll(async () => {
      const r = await json<{ findings: Finding[] }>('check', '--host', host);
      expect(r.exitCode, r.stderr).toBe(1);
      findings = r.body.findings;
    });

    it('finds the MTU mismatch between the ends of the veth pair and between the bridge and its port', () => {
      const veth = findings.filter((f) => f.kind === 'veth-mtu-mismatch' && (f.ifname?.startsWith(lab.prefix) || [a.inode, b.inode].includes(f.netns ?? 0)));
      expect(veth.map((f) => [f.ifname, f.detail])).toEqual([[a.hostEnd, `MTU 1400 on ${a.hostEnd}, 1500 on eth0`]]);
      const bridge = findings.filter((f) => f.kind === 'bridge-mtu-mismatch' && f.ifname?.startsWith(lab.prefix));
      expect(bridge.map((f) => [f.ifname, f.detail])).toEqual([[a.hostEnd, `MTU 1400 on port ${a.hostEnd}, 1500 on bridge ${br}: frames the bridge takes are dropped on this port`]]);
    });

    it('reports the address of the namespace no process lives in as leaked, or uncertain exactly when a process could not be read', () => {
      const file = readdirSync(bundles, { recursive: true }).map(String).filter((f) => f.endsWith('.json.gz')).sort().map((f) => path.join(bundles, f));
      const bundle = JSON.parse(gunzipSync(readFileSync(file[file.length - 1]!)).toString('utf8')) as { processes: { netns: number | null; netnsError: string | null }[] };
      const unreadable = bundle.processes.filter((p) => p.netns === null && p.netnsError !== 'vanished').length;
      const mine = findings.filter((f) => f.kind.startsWith('leaked-address') && f.netns === leak.inode);
      expect(mine.map((f) => [f.kind, f.addresses])).toEqual([[unreadable === 0 ? 'leaked-address' : 'leaked-address-uncertain', [`${net}.9/24 on eth0`]]]);
      // The namespaces with a process, or a name and nothing but loopback, are not reported.
      expect(findings.filter((f) => f.kind.startsWith('leaked-address') && [a.inode, b.inode, newline.inode, quoted].includes(f.netns ?? 0))).toEqual([]);
    });
  });
});
