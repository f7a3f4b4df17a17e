import { statSync } from 'node:fs';
import path from 'node:path';
import { LIMITS, liveBinding, type FailureReason, type Gap, type Holder, type Process } from '@nsnap/shared/core';
import { parseNsLink, reasonOf } from './errno.js';
import { openFirst } from './namespace-links.js';
import { nsfsMounts } from './netns-handles.js';
import { realProcFs, type ProcFs } from './proc-scan.js';
import type { Probe, ProbeContext } from './probe.js';

/**
 * Handles kept per hidden namespace: enough to try others if some vanish,
 * without one per mount namespace that a mount propagated into.
 */
const MAX_HOLDERS_PER_NAMESPACE = 8;
/** fds of namespace files of unknown type entered to learn it, at most, per run: an exec each. */
const MAX_TYPE_CHECKS = 32;
/** Longer mount points are not used (the bundle bounds every path); a gap says so. */
const MAX_PATH_CHARS = 1024;

export interface HolderScan {
  holders: Holder[];
  /**
   * fds of hidden namespace files whose type the link does not say: a bind
   * mount of one, unmounted since (`ip netns delete` while the fd stays open),
   * reads "/". Network namespaces only once entered (the probe tries).
   */
  untyped: Holder[];
  gaps: Gap[];
  /** fd, thread and mount-table entries read, against the limit. */
  entriesRead: number;
}

/**
 * Finds namespaces that no process, name or mount of our own shows (issue 13):
 * held by a process's open fd (`/proc/PID/fd/N` → `net:[N]`: LXC, nspawn and
 * CNI plugins hold them so), by a thread in another namespace than its process
 * (`/proc/PID/task/TID/ns/net`), or by an nsfs mount in another mount
 * namespace (`/proc/PID/mountinfo`, read once per mount namespace, told apart
 * by `/proc/PID/ns/mnt`). Only namespaces not in `known` are recorded, each
 * with the handle the capture will open.
 *
 * Entries read — fds, threads, then mount-table lines — are bounded by
 * `maxEntries`; what was left unread is a gap. fds and threads come first
 * (a readlink each, and few per process), mount tables after: a line costs
 * the kernel ~2.5 µs to print, and a mount namespace made by `ip netns exec`
 * copies every mount of the host, its hundreds of named namespaces included.
 * Mount namespaces of processes in the host's network namespace are read
 * first: a daemon's private mounts, or a process kept only to hold a bind
 * mount, live there, while a container's or an `ip netns exec` child's sit
 * beside namespaces of their own.
 */
export function scanHolders(procRoot: string, processes: readonly Process[], known: ReadonlySet<number>, limits: { maxEntries: number; hostNetns: number | null; nsfsDev: number | null }, procFs: ProcFs = realProcFs): HolderScan {
  const holders: Holder[] = [];
  const untyped: Holder[] = [];
  const perNamespace = new Map<number, number>();
  let overflow = 0;
  const add = (h: Holder) => {
    const n = perNamespace.get(h.inode) ?? 0;
    if (n >= MAX_HOLDERS_PER_NAMESPACE) return;
    // Past the bundle's bound every reader would refuse the whole bundle.
    if (holders.length + untyped.length >= LIMITS.handles) {
      overflow++;
      return;
    }
    perNamespace.set(h.inode, n + 1);
    holders.push(h);
  };
  const hidden = (inode: number | null): inode is number => inode !== null && !known.has(inode);
  const failures = new Failures();
  const gaps: Gap[] = [];
  const { maxEntries } = limits;
  let left = maxEntries;

  // fds and threads, until the limit: the pids from the one cut short on are a gap.
  const ownMnt = readlinkOrNull(procFs, `${procRoot}/self/ns/mnt`);
  const mountNamespaces = new Map<string, { pids: Process[]; hostSide: boolean }>();
  let stoppedAt = -1;
  for (let i = 0; i < processes.length; i++) {
    const p = processes[i] as Process;
    const dir = `${procRoot}/${p.pid}`;
    try {
      const mnt = procFs.readlink(`${dir}/ns/mnt`);
      if (mnt !== ownMnt) {
        const ns = mountNamespaces.get(mnt) ?? { pids: [], hostSide: false };
        ns.pids.push(p);
        ns.hostSide ||= p.netns !== null && p.netns === limits.hostNetns;
        mountNamespaces.set(mnt, ns);
      }
    } catch (error) {
      failures.note('/proc/PID/ns/mnt', p.pid, reasonOf(error));
    }
    if (stoppedAt >= 0) continue;
    let cut = false;
    // Most processes have one thread: its count (a stat) spares them listing their tasks.
    const tasks = threadCount(procFs, `${dir}/task`, failures, p.pid) > 1 ? readNames(procFs, `${dir}/task`, left + 1, failures, p.pid) : { names: [], more: false };
    for (const tid of tasks.names) {
      if (tid === String(p.pid)) continue;
      if (left === 0) {
        cut = true;
        break;
      }
      left--;
      const target = readLink(procFs, `${dir}/task/${tid}/ns/net`, failures, p.pid);
      if (target === DENIED) break;
      const inode = target === null ? null : parseNsLink(target);
      // The process's own namespace is known: a hidden one differs from it.
      if (hidden(inode)) add({ kind: 'thread', path: `${dir}/task/${tid}/ns/net`, pid: p.pid, inode });
    }
    const fds = cut ? { names: [], more: false } : readNames(procFs, `${dir}/fd`, left, failures, p.pid);
    for (const fd of fds.names) {
      left--;
      const file = `${dir}/fd/${fd}`;
      const target = readLink(procFs, file, failures, p.pid);
      if (target === DENIED) break;
      const inode = target === null ? null : parseNsLink(target);
      if (hidden(inode)) add({ kind: 'fd', path: file, pid: p.pid, inode });
      else if (target === '/' && limits.nsfsDev !== null) {
        // Only "/" is stat'ed: a stat can wait on a dead network filesystem, a readlink never.
        const st = statOrNull(procFs, file);
        if (st !== null && st.dev === limits.nsfsDev && hidden(st.ino)) {
          if (holders.length + untyped.length < LIMITS.handles) untyped.push({ kind: 'fd', path: file, pid: p.pid, inode: st.ino });
          else overflow++;
        }
      }
    }
    if (cut || tasks.more || fds.more) stoppedAt = i;
  }
  if (stoppedAt >= 0) {
    // The first of them was walked in part.
    const unwalked = processes.slice(stoppedAt).map((p) => p.pid);
    gaps.push({
      probe: 'netns-holders',
      subject: `${unwalked.length} pid${unwalked.length === 1 ? '' : 's'}`,
      reason: 'failed',
      detail: `fds and threads not walked past the limit of ${maxEntries} entries (--max-scan): a namespace held only by an fd or a thread of pid ${listed(unwalked)} may be missing`,
    });
  }

  // Other mount namespaces' nsfs mounts, each read through the first of its pids that answers.
  const order = [...mountNamespaces.values()].sort((a, b) => Number(b.hostSide) - Number(a.hostSide));
  const unread: number[] = [];
  for (const ns of order) {
    if (left <= 0) {
      unread.push((ns.pids[0] as Process).pid);
      continue;
    }
    for (const p of ns.pids) {
      let text: string;
      try {
        text = procFs.readWholeFile(`${procRoot}/${p.pid}/mountinfo`);
      } catch (error) {
        failures.note('/proc/PID/mountinfo', p.pid, reasonOf(error));
        continue;
      }
      left -= lineCount(text);
      for (const m of nsfsMounts(text, hidden)) {
        const file = `${procRoot}/${p.pid}/root${m.path}`;
        if (file.length > MAX_PATH_CHARS) {
          gaps.push({ probe: 'netns-holders', subject: `${file.slice(0, 200)}…`, reason: 'failed', detail: `an nsfs mount of namespace ${m.inode} in the mount namespace of pid ${p.pid} whose path is longer than ${MAX_PATH_CHARS} characters: not used` });
          continue;
        }
        add({ kind: 'foreign-mount', path: file, pid: p.pid, inode: m.inode });
      }
      break;
    }
  }
  if (overflow > 0) {
    gaps.push({ probe: 'netns-holders', subject: `${overflow} holders`, reason: 'failed', detail: `not recorded: the bundle holds at most ${LIMITS.handles}` });
  }
  if (unread.length > 0) {
    gaps.push({
      probe: 'netns-holders',
      subject: `${unread.length} mount namespace${unread.length === 1 ? '' : 's'}`,
      reason: 'failed',
      detail: `mount tables not read past the limit of ${maxEntries} entries (--max-scan): a namespace held only by a mount in the mount namespace of pid ${listed(unread)} may be missing`,
    });
  }
  return { holders, untyped, gaps: [...gaps, ...failures.gaps()], entriesRead: maxEntries - Math.max(left, 0) };
}

function listed(pids: number[]): string {
  return `${pids.slice(0, 20).join(', ')}${pids.length > 20 ? ', …' : ''}`;
}

function lineCount(text: string): number {
  let n = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

function threadCount(procFs: ProcFs, dir: string, failures: Failures, pid: number): number {
  try {
    return procFs.linkCount(dir) - 2;
  } catch (error) {
    failures.note('/proc/PID/task', pid, reasonOf(error));
    return 0;
  }
}

function readNames(procFs: ProcFs, dir: string, max: number, failures: Failures, pid: number): { names: string[]; more: boolean } {
  try {
    return procFs.readdirUpTo(dir, max);
  } catch (error) {
    failures.note(dir.slice(dir.lastIndexOf('/') + 1) === 'fd' ? '/proc/PID/fd' : '/proc/PID/task', pid, reasonOf(error));
    return { names: [], more: false };
  }
}

/** A pid's other entries are not read once one was denied: they would be too (a throw costs ~40 µs). */
const DENIED = Symbol('denied');

/** An fd's or a thread's link; null for one gone since. */
function readLink(procFs: ProcFs, file: string, failures: Failures, pid: number): string | null | typeof DENIED {
  try {
    return procFs.readlink(file);
  } catch (error) {
    const reason = reasonOf(error);
    failures.note(file.includes('/task/') ? '/proc/PID/task/TID/ns/net' : '/proc/PID/fd/N', pid, reason);
    return reason === 'denied' ? DENIED : null;
  }
}

function statOrNull(procFs: ProcFs, file: string): { dev: number; ino: number } | null {
  try {
    return procFs.stat(file);
  } catch {
    return null;
  }
}

function readlinkOrNull(procFs: ProcFs, file: string): string | null {
  try {
    return procFs.readlink(file);
  } catch {
    return null;
  }
}

/**
 * Unreadable entries, one gap per place and reason (a run without root is
 * denied every other user's fds). A pid or an fd gone mid-scan is none: it
 * holds nothing any more.
 */
class Failures {
  private readonly byKey = new Map<string, { what: string; reason: FailureReason; pids: Set<number> }>();

  note(what: string, pid: number, reason: FailureReason): void {
    if (reason === 'vanished') return;
    const key = `${what}\0${reason}`;
    const entry = this.byKey.get(key) ?? { what, reason, pids: new Set<number>() };
    entry.pids.add(pid);
    this.byKey.set(key, entry);
  }

  gaps(): Gap[] {
    return [...this.byKey.values()].map(({ what, reason, pids }) => {
      const list = [...pids];
      return {
        probe: 'netns-holders',
        subject: `${list.length} pid${list.length === 1 ? '' : 's'}`,
        reason,
        detail: `${what} unreadable for pid ${listed(list)}: a namespace held only there may be missing`,
      };
    });
  }
}

/**
 * Runs while the capture's commands run (see Probe.during): at N=400 its walk
 * costs several times the /proc scan, and alone it would leave the second
 * core idle. What it finds is captured after the pass, by held-links.
 */
export const netnsHolders: Probe = {
  name: 'netns-holders',
  during: 'namespace-links',
  async run(ctx, found) {
    const gaps: Gap[] = [];
    const known = new Set<number>();
    if (found.hostNetns.inode !== null) known.add(found.hostNetns.inode);
    for (const p of found.processes) if (p.netns !== null) known.add(p.netns);
    for (const h of found.handles) if (h.inode !== null) known.add(h.inode);
    let nsfsDev: number | null = null;
    try {
      nsfsDev = statSync(path.join(ctx.procRoot, 'self/ns/net')).dev;
    } catch {
      nsfsDev = null;
    }
    const scan = scanHolders(ctx.procRoot, found.processes, known, { maxEntries: ctx.maxScan, hostNetns: found.hostNetns.inode, nsfsDev });
    gaps.push(...scan.gaps);
    const holders = scan.holders;
    const typed = new Map<number, number>();
    for (const h of holders) typed.set(h.inode, (typed.get(h.inode) ?? 0) + 1);
    const untyped = new Map<number, Holder[]>();
    for (const h of scan.untyped) {
      const list = untyped.get(h.inode);
      if (list) list.push(h);
      else untyped.set(h.inode, [h]);
    }
    let checks = 0;
    const unchecked: number[] = [];
    for (const [inode, list] of untyped) {
      const n = typed.get(inode) ?? 0;
      if (n === 0 && checks === MAX_TYPE_CHECKS) {
        unchecked.push(inode);
        continue;
      }
      if (n === 0) checks++;
      if (n > 0 || (await isNetns(ctx, inode, list, gaps))) holders.push(...list.slice(0, Math.max(0, MAX_HOLDERS_PER_NAMESPACE - n)));
    }
    if (unchecked.length > 0) {
      gaps.push({
        probe: this.name,
        subject: `${unchecked.length} namespace files`,
        reason: 'failed',
        detail: `held by fds that do not say their type, past ${MAX_TYPE_CHECKS} checked (an exec each): ${unchecked.slice(0, 20).join(', ')}${unchecked.length > 20 ? ', …' : ''} — a network namespace among them is missing`,
      });
    }
    return { holders, gaps };
  },
};

/**
 * Whether a namespace file held by fds, whose type no link says, is a
 * network namespace: setns through one of them (checked to lead to it) into
 * a network namespace succeeds only then. One exec, for a case rare enough.
 */
async function isNetns(ctx: ProbeContext, inode: number, fds: Holder[], gaps: Gap[]): Promise<boolean> {
  const tried = openFirst(inode, fds.map((h) => ({ via: 'pid', path: h.path, pid: h.pid })));
  if (!tried.opened) return false;
  try {
    // Not kept in the bundle: it only decides whether the fds are recorded.
    const r = await ctx.run([...liveBinding('tool_version', 'namespace').argv], { spec: 'tool_version', timeoutMs: ctx.timeoutMs, fd3: tried.opened.fd });
    if (r.exitCode === 0) return true;
    if (!/Invalid argument/.test(r.stderr)) {
      gaps.push({ probe: 'netns-holders', subject: `namespace file ${inode}`, reason: r.failure?.reason ?? 'failed', detail: `held by fd ${tried.candidate?.path}: cannot tell whether it is a network namespace: ${(r.failure?.detail ?? r.stderr).slice(0, 500)}` });
    }
    return false;
  } finally {
    tried.opened.close();
  }
}
