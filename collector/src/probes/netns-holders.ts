import type { FailureReason, Gap, Holder, Process } from '@nsnap/shared/core';
import { parseNsLink, reasonOf } from './errno.js';
import { nsfsMounts } from './netns-handles.js';
import { realProcFs, type ProcFs } from './proc-scan.js';
import type { Probe } from './probe.js';

/**
 * Handles kept per hidden namespace: enough to try others if some vanish,
 * without one per mount namespace that a mount propagated into.
 */
const MAX_HOLDERS_PER_NAMESPACE = 8;
/** Longer mount points are not used (the bundle bounds every path); a gap says so. */
const MAX_PATH_CHARS = 1024;

export interface HolderScan {
  holders: Holder[];
  gaps: Gap[];
  /** fd and thread entries read, against the limit. */
  entriesRead: number;
}

/**
 * Finds namespaces that no process, name or mount of our own shows (issue 13):
 * held by a process's open fd (`/proc/PID/fd/N` → `net:[N]`: LXC, nspawn and
 * CNI plugins hold them so), by a thread in another namespace than its process
 * (`/proc/PID/task/TID/ns/net`), or by an nsfs mount in another mount
 * namespace (`/proc/PID/mountinfo`, read once per mount namespace, told apart
 * by `/proc/PID/ns/mnt`). Only namespaces not in `known` are recorded, each
 * with the handle the capture will open. fd and thread entries read are
 * bounded by `maxEntries`: the processes left unwalked are a gap.
 */
export function scanHolders(procRoot: string, processes: readonly Process[], known: ReadonlySet<number>, maxEntries: number, procFs: ProcFs = realProcFs): HolderScan {
  const holders: Holder[] = [];
  const perNamespace = new Map<number, number>();
  const add = (h: Holder) => {
    const n = perNamespace.get(h.inode) ?? 0;
    if (n >= MAX_HOLDERS_PER_NAMESPACE) return;
    perNamespace.set(h.inode, n + 1);
    holders.push(h);
  };
  const hidden = (inode: number | null): inode is number => inode !== null && !known.has(inode);
  const failures = new Failures();
  const gaps: Gap[] = [];

  const ownMnt = readlinkOrNull(procFs, `${procRoot}/self/ns/mnt`);
  const mountNamespacesRead = new Set<string>();
  let left = maxEntries;
  let stoppedAt = -1;

  for (let i = 0; i < processes.length; i++) {
    const p = processes[i] as Process;
    const dir = `${procRoot}/${p.pid}`;

    // Another mount namespace: its nsfs mounts, read through the first of its pids that answers.
    let mnt: string | null = null;
    try {
      mnt = procFs.readlink(`${dir}/ns/mnt`);
    } catch (error) {
      failures.note('/proc/PID/ns/mnt', p.pid, reasonOf(error));
    }
    if (mnt !== null && mnt !== ownMnt && !mountNamespacesRead.has(mnt)) {
      try {
        const mounts = nsfsMounts(procFs.readWholeFile(`${dir}/mountinfo`));
        mountNamespacesRead.add(mnt);
        for (const m of mounts) {
          if (!hidden(m.inode)) continue;
          const file = `${dir}/root${m.path}`;
          if (file.length > MAX_PATH_CHARS) {
            gaps.push({ probe: 'netns-holders', subject: `${file.slice(0, 200)}…`, reason: 'failed', detail: `an nsfs mount of namespace ${m.inode} in the mount namespace of pid ${p.pid} whose path is longer than ${MAX_PATH_CHARS} characters: not used` });
            continue;
          }
          add({ kind: 'foreign-mount', path: file, pid: p.pid, inode: m.inode });
        }
      } catch (error) {
        failures.note('/proc/PID/mountinfo', p.pid, reasonOf(error));
      }
    }

    // fds and threads, until the limit: the pids from the one cut short on are a gap.
    if (stoppedAt >= 0) continue;
    let cut = false;
    const tasks = readNames(procFs, `${dir}/task`, left + 1, failures, p.pid);
    for (const tid of tasks.names) {
      if (tid === String(p.pid)) continue;
      if (left === 0) {
        cut = true;
        break;
      }
      left--;
      const inode = readNsLink(procFs, `${dir}/task/${tid}/ns/net`, failures, p.pid);
      if (inode !== p.netns && hidden(inode)) add({ kind: 'thread', path: `${dir}/task/${tid}/ns/net`, pid: p.pid, inode });
    }
    const fds = cut ? { names: [], more: false } : readNames(procFs, `${dir}/fd`, left, failures, p.pid);
    for (const fd of fds.names) {
      left--;
      const inode = readNsLink(procFs, `${dir}/fd/${fd}`, failures, p.pid);
      if (hidden(inode)) add({ kind: 'fd', path: `${dir}/fd/${fd}`, pid: p.pid, inode });
    }
    if (cut || tasks.more || fds.more) stoppedAt = i;
  }

  if (stoppedAt >= 0) {
    const unwalked = processes.slice(stoppedAt).map((p) => p.pid);
    // The first of them was walked in part.
    gaps.push({
      probe: 'netns-holders',
      subject: `${unwalked.length} pid${unwalked.length === 1 ? '' : 's'}`,
      reason: 'failed',
      detail:
        `fds and threads not walked past the limit of ${maxEntries} entries (--max-scan): a namespace held only by an fd or a thread of ` +
        `pid ${unwalked.slice(0, 20).join(', ')}${unwalked.length > 20 ? ', …' : ''} may be missing`,
    });
  }
  return { holders, gaps: [...gaps, ...failures.gaps()], entriesRead: maxEntries - left };
}

function readNames(procFs: ProcFs, dir: string, max: number, failures: Failures, pid: number): { names: string[]; more: boolean } {
  try {
    return procFs.readdirUpTo(dir, max);
  } catch (error) {
    failures.note(dir.slice(dir.lastIndexOf('/') + 1) === 'fd' ? '/proc/PID/fd' : '/proc/PID/task', pid, reasonOf(error));
    return { names: [], more: false };
  }
}

/** The namespace an fd or a thread's link leads to; null for any other file, and for one gone since. */
function readNsLink(procFs: ProcFs, file: string, failures: Failures, pid: number): number | null {
  try {
    return parseNsLink(procFs.readlink(file));
  } catch (error) {
    failures.note(file.includes('/task/') ? '/proc/PID/task/TID/ns/net' : '/proc/PID/fd/N', pid, reasonOf(error));
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
        detail: `${what} unreadable for pid ${list.slice(0, 20).join(', ')}${list.length > 20 ? ', …' : ''}: a namespace held only there may be missing`,
      };
    });
  }
}

export const netnsHolders: Probe = {
  name: 'netns-holders',
  async run(ctx, draft) {
    const known = new Set<number>();
    if (draft.hostNetns.inode !== null) known.add(draft.hostNetns.inode);
    for (const p of draft.processes) if (p.netns !== null) known.add(p.netns);
    for (const h of draft.handles) if (h.inode !== null) known.add(h.inode);
    const scan = scanHolders(ctx.procRoot, draft.processes, known, ctx.maxScan);
    draft.holders = scan.holders;
    draft.gaps.push(...scan.gaps);
  },
};
