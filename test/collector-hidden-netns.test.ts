import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, parseCapture, type Bundle, type HolderKind } from '@nsnap/shared';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();
const LABELS = ['fd of an unmounted name', 'fd of a process link', 'thread', 'mount in another mount namespace'];

/**
 * A thread that enters a namespace and keeps it while its process stays in
 * the host's. Node's worker threads cannot setns, and Debian 12's Python
 * (3.11) has no os.setns (3.12+): ctypes calls libc's setns, which every
 * Python 3 has. The fd is closed after the setns, so only the thread holds
 * the namespace.
 */
const THREAD_HOLDER = `
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
entered = threading.Event()
def hold():
    if libc.setns(fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), 'setns')
    os.close(fd)
    entered.set()
    while True:
        time.sleep(3600)
threading.Thread(target=hold, daemon=True).start()
entered.wait()
print('held', flush=True)
while True:
    time.sleep(3600)
`;

interface Case {
  label: string;
  kind: HolderKind;
  netns: { name: string; inode: number };
  pid: number;
  hostEnd: string;
  /** The handle the collector is expected to open. */
  path: string;
}

/**
 * Namespaces no process, /run/netns name or mount of the collector's own
 * shows, each with a veth to the host: one held only by an open fd, one only
 * by a thread, one only by a bind mount in another mount namespace. The
 * collector must find each, capture it through the handle it found, say which
 * kind, and `nsnap peers` must pair its veth with the host's end.
 */
describe.skipIf(skip)('nsnap-collect finds namespaces held only by an fd, a thread or another mount namespace', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-hidden-'));
  const host = `e2e-${lab.prefix}`;
  const cases: Case[] = [];
  let bundle: Bundle;
  let peers: { pairs: { a: { netns: number; ifname: string }; b: { netns: number; ifname: string }; method: string }[] };
  let hostInode: number;

  /** A namespace `<prefix><suffix>` with eth0, whose veth peer `<prefix>h<suffix>` is in the host. */
  const withVeth = async (suffix: string) => {
    const ns = await lab.addNetns(suffix);
    const hostEnd = lab.ownHostLink(lab.name(`h${suffix}`));
    await lab.ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name);
    await lab.ip('link', 'set', hostEnd, 'up');
    return { ns, hostEnd };
  };

  /** Deletes the name: from then on only the holder keeps the namespace. */
  const dropName = async (name: string) => {
    await lab.ip('netns', 'delete', name);
    lab.forgetNetns(name);
  };

  const spawnHolder = (argv: string[]): { pid: number; stdout: NodeJS.ReadableStream } => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
    lab.trackPid(child.pid);
    return { pid: child.pid, stdout: child.stdout! };
  };

  const until = async (what: string, done: () => boolean) => {
    for (let i = 0; i < 500; i++) {
      if (done()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const inodeOr = (file: string) => {
    try {
      return statSync(file).ino;
    } catch {
      return 0;
    }
  };
  const readlinkOr = (file: string) => {
    try {
      return readlinkSync(file);
    } catch {
      return '';
    }
  };
  const firstLine = (stream: NodeJS.ReadableStream) =>
    new Promise<string>((resolve, reject) => {
      let text = '';
      stream.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text.split('\n')[0]!);
      });
      stream.on('end', () => reject(new Error(`holder exited before it was ready: ${text}`)));
    });

  beforeAll(async () => {
    hostInode = Number(/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))![1]);

    // (a) An open fd: bash opens the namespace as fd 3 and execs sleep, which keeps it.
    // Opened through its /run/netns mount, the fd reads "/" once the name is deleted.
    {
      const { ns, hostEnd } = await withVeth('f');
      const { pid } = spawnHolder(['bash', '-c', 'exec 3<"$1"; exec sleep 100000', 'holder', `/run/netns/${ns.name}`]);
      await until('the fd holder to sleep', () => inodeOr(`/proc/${pid}/fd/3`) === ns.inode && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
      await dropName(ns.name);
      expect(readlinkSync(`/proc/${pid}/fd/3`)).toBe('/');
      cases.push({ label: 'fd of an unmounted name', kind: 'fd', netns: ns, pid, hostEnd, path: `/proc/${pid}/fd/3` });
    }
    // Opened through a process's /proc/PID/ns/net (LXC's and nspawn's way), it reads "net:[N]"; the process then exits.
    {
      const { ns, hostEnd } = await withVeth('g');
      const inside = await lab.sleepIn(ns.name);
      const { pid } = spawnHolder(['bash', '-c', 'exec 3<"$1"; exec sleep 100000', 'holder', `/proc/${inside}/ns/net`]);
      await until('the fd holder to sleep', () => readlinkOr(`/proc/${pid}/fd/3`) === `net:[${ns.inode}]` && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
      process.kill(inside, 'SIGKILL');
      await until('the process inside to exit', () => readlinkOr(`/proc/${inside}/ns/net`) === '');
      await dropName(ns.name);
      cases.push({ label: 'fd of a process link', kind: 'fd', netns: ns, pid, hostEnd, path: `/proc/${pid}/fd/3` });
    }

    // (b) A thread: the process stays in the host's namespace.
    {
      const { ns, hostEnd } = await withVeth('t');
      const holder = spawnHolder(['python3', '-c', THREAD_HOLDER, `/run/netns/${ns.name}`]);
      expect(await firstLine(holder.stdout)).toBe('held');
      const tids = readdirSync(`/proc/${holder.pid}/task`).filter((tid) => readlinkOr(`/proc/${holder.pid}/task/${tid}/ns/net`) === `net:[${ns.inode}]`);
      expect(tids).toHaveLength(1);
      expect(readlinkSync(`/proc/${holder.pid}/ns/net`)).toBe(`net:[${hostInode}]`);
      await dropName(ns.name);
      cases.push({ label: 'thread', kind: 'thread', netns: ns, pid: holder.pid, hostEnd, path: `/proc/${holder.pid}/task/${tids[0]}/ns/net` });
    }

    // (c) A bind mount in a private mount namespace of a process in the host's network namespace.
    {
      const { ns, hostEnd } = await withVeth('m');
      const target = path.join(dir, 'held-ns');
      writeFileSync(target, '');
      const own = readlinkSync('/proc/self/ns/mnt');
      const { pid } = spawnHolder(['unshare', '--mount', '--propagation', 'private', 'bash', '-c', 'mount --bind "$1" "$2" && exec sleep 100000', 'holder', `/run/netns/${ns.name}`, target]);
      await until('the mount holder to sleep', () => readlinkOr(`/proc/${pid}/ns/mnt`) !== own && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
      expect(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).toContain(`net:[${ns.inode}] ${target} `);
      await dropName(ns.name);
      cases.push({ label: 'mount in another mount namespace', kind: 'foreign-mount', netns: ns, pid, hostEnd, path: `/proc/${pid}/root${target}` });
    }

    // None of them is visible the ordinary ways any more.
    for (const c of cases) {
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`net:[${c.netns.inode}]`);
    }

    // The host is shared with other tests' processes and fds: no limit may hide ours.
    const collected = await runCli(COLLECTOR_BIN, ['--out', path.join(dir, 'bundles'), '--host', host, '--quiet', '--max-scan', '100000000', '--ipv6-rules']);
    expect([0, 1], String(collected.stderr)).toContain(collected.exitCode);
    bundle = decodeBundle(readFileSync(String(collected.stdout).trim().split('\n').at(-1)!));
    const db = path.join(dir, 'nsnap.db');
    const ingested = await runCli(ANALYZER_BIN, ['ingest', path.join(dir, 'bundles'), '--db', db]);
    expect(ingested.exitCode, String(ingested.stderr)).toBe(0);
    const p = await runCli(ANALYZER_BIN, ['peers', '--json', '--host', host, '--db', db]);
    expect(p.exitCode, String(p.stderr)).toBe(0);
    peers = JSON.parse(String(p.stdout));
  });

  afterAll(async () => {
    // Killing the holders frees their namespaces; the mount dies with its mount namespace.
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(LABELS)('records the %s that holds its namespace', (label) => {
    const c = cases.find((x) => x.label === label)!;
    const kind = c.kind;
    expect(bundle.processes.some((p) => p.netns === c.netns.inode)).toBe(false);
    expect(bundle.handles.some((h) => h.inode === c.netns.inode)).toBe(false);
    expect(bundle.holders).toContainEqual({ kind, path: c.path, pid: c.pid, inode: c.netns.inode });
  });

  it.each(LABELS)('captures the namespace held by a %s through that handle', (label) => {
    const c = cases.find((x) => x.label === label)!;
    const kind = c.kind;
    const ns = bundle.namespaces.find((n) => n.inode === c.netns.inode);
    expect(ns, `namespace ${c.netns.inode} in the bundle`).toBeDefined();
    expect(ns!.failure).toBeNull();
    expect(ns!.entered).toMatchObject({ via: 'pid', pid: c.pid, holder: kind });
    expect(bundle.holders).toContainEqual({ kind, path: ns!.entered!.path, pid: c.pid, inode: c.netns.inode });
    const parsed = parseCapture(ns!.captures[0]!);
    if (parsed.status !== 'parsed') throw new Error(`namespace ${c.netns.inode}: ${parsed.status}`);
    expect(parsed.value.links.map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
    // --ipv6-rules reaches these too, through the same handle.
    expect(ns!.captures[1]).toMatchObject({ argv: ['nsenter', '--net=/proc/self/fd/3', 'ip', '-6', '-d', '-j', '-force', '-batch', '-'], stdin: 'rule show\n', failure: null });
    expect(ns!.captures[1]!.stdout).toContain('"priority":32766');
  });

  it.each(LABELS)('pairs the host end with eth0 in the namespace held by a %s', (label) => {
    const c = cases.find((x) => x.label === label)!;
    const pair = peers.pairs.find((p) => [p.a, p.b].some((e) => e.netns === hostInode && e.ifname === c.hostEnd));
    expect(pair, `a pair for ${c.hostEnd}`).toBeDefined();
    const other = pair!.a.ifname === c.hostEnd ? pair!.b : pair!.a;
    expect(other).toMatchObject({ netns: c.netns.inode, ifname: 'eth0' });
  });

  it('read every fd, thread and mount table under a limit that large', () => {
    expect(bundle.gaps.filter((g) => g.probe === 'netns-holders' && g.detail.includes('--max-scan'))).toEqual([]);
  });
});
