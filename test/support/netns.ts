import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { parseIpBatchJson } from '@nsnap/shared';
import { execa } from 'execa';

/**
 * Real network namespaces for tests. Everything made through a Lab carries its
 * prefix and is removed by `cleanup()` (call it in afterAll; it never throws),
 * also when the test failed half-way through building.
 */
export class Lab {
  readonly prefix: string;
  private readonly netns: string[] = [];
  private readonly hostLinks: string[] = [];
  private readonly pids: number[] = [];

  constructor() {
    // Interface names are limited to 15 characters: a short random prefix leaves room for suffixes.
    this.prefix = `t${randomBytes(3).toString('hex')}`;
  }

  name(suffix: string): string {
    const n = `${this.prefix}${suffix}`;
    if (n.length > 15) throw new Error(`name too long for an interface: ${n}`);
    return n;
  }

  async ip(...args: string[]): Promise<string> {
    const r = await execa('ip', args, { reject: false });
    if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** `ip netns add`; returns the namespace's inode. */
  async addNetns(suffix: string): Promise<{ name: string; inode: number }> {
    const name = this.name(suffix);
    await this.ip('netns', 'add', name);
    this.netns.push(name);
    return { name, inode: statSync(`/run/netns/${name}`).ino };
  }

  /**
   * A docker-like container: a named namespace `<prefix><suffix>` with a
   * sleeping process and `eth0`, whose veth peer `<prefix>h<suffix>` is a
   * port of `bridge` in the host.
   */
  async addContainer(suffix: string, bridge: string): Promise<{ name: string; inode: number; pid: number; hostEnd: string }> {
    const ns = await this.addNetns(suffix);
    const hostEnd = this.ownHostLink(this.name(`h${suffix}`));
    await this.ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name);
    await this.ip('link', 'set', hostEnd, 'master', bridge);
    return { ...ns, pid: await this.sleepIn(ns.name), hostEnd };
  }

  /** Remembers a host device to delete (deleting a veth end deletes its peer). */
  ownHostLink(name: string): string {
    this.hostLinks.push(name);
    return name;
  }

  /** A sleeping process inside a named namespace (`ip netns exec`). */
  async sleepIn(netnsName: string): Promise<number> {
    return this.spawnSleeper(['ip', 'netns', 'exec', netnsName, 'sleep', '100000']);
  }

  /** A sleeping process in a fresh unnamed namespace (`unshare --net`); returns its pid and namespace inode. */
  async sleepInNewNetns(): Promise<{ pid: number; inode: number }> {
    const pid = await this.spawnSleeper(['unshare', '--net', 'sleep', '100000']);
    // unshare execs sleep after setns: wait until the pid's namespace differs from ours.
    const own = await readlink('/proc/self/ns/net');
    for (let i = 0; i < 200; i++) {
      const link = await readlink(`/proc/${pid}/ns/net`).catch(() => own);
      const comm = await import('node:fs/promises').then((fs) => fs.readFile(`/proc/${pid}/comm`, 'utf8')).catch(() => '');
      if (link !== own && comm.trim() === 'sleep') return { pid, inode: Number(/\[(\d+)\]/.exec(link)![1]) };
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`unshare --net (pid ${pid}) never entered a new namespace`);
  }

  private async spawnSleeper(argv: string[]): Promise<number> {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
    this.pids.push(child.pid);
    // `ip netns exec` / `unshare` exec into sleep: wait until the pid runs sleep.
    for (let i = 0; i < 200; i++) {
      const comm = await import('node:fs/promises').then((fs) => fs.readFile(`/proc/${child.pid}/comm`, 'utf8')).catch(() => '');
      if (comm.trim() === 'sleep') return child.pid;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${argv.join(' ')} did not start sleeping`);
  }

  trackPid(pid: number): void {
    this.pids.push(pid);
  }

  forgetNetns(name: string): void {
    const i = this.netns.indexOf(name);
    if (i >= 0) this.netns.splice(i, 1);
  }

  async cleanup(): Promise<void> {
    for (const pid of this.pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const link of this.hostLinks.splice(0)) await execa('ip', ['link', 'del', link], { reject: false });
    for (const name of this.netns.splice(0)) await execa('ip', ['netns', 'del', name], { reject: false });
    // Names a test made some other way (`ip netns attach`) carry the prefix too.
    const named = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
    for (const name of named) if (name.startsWith(this.prefix)) await execa('ip', ['netns', 'del', name], { reject: false });
    // Anything else carrying the prefix (a device a failed step left behind).
    // Read as nsnap reads it: another test's hostile alias must not make our leftovers unreadable.
    const left = await execa('ip', ['-j', 'link', 'show'], { reject: false });
    const parsed = parseIpBatchJson(left.stdout);
    for (const l of parsed.status === 'parsed' ? parsed.value.links : []) {
      if (l.ifname.startsWith(this.prefix)) await execa('ip', ['link', 'del', l.ifname], { reject: false });
    }
  }
}

/**
 * Why namespace tests cannot run here, or null when they can. Under CI they
 * must run: callers turn a reason into a failure when `process.env.CI` is set.
 */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root: creating network namespaces needs CAP_SYS_ADMIN';
  try {
    statSync('/proc/self/ns/net');
  } catch {
    return '/proc/self/ns/net is not readable';
  }
  return null;
}

/** Skip (with the reason) on a machine that cannot run namespace tests; fail instead under CI. */
export function netnsSkipReason(): string | null {
  const reason = netnsUnavailable();
  if (reason && process.env.CI) throw new Error(`network namespace tests must run in CI, but cannot: ${reason}`);
  if (reason) console.warn(`skipping network namespace tests: ${reason}`);
  return reason;
}
