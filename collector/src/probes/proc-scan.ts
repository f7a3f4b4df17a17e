import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LIMITS, type Gap, type Process } from '@nsnap/shared';
import { mapPool } from '../exec/pool.js';
import { detailOf, parseNsLink, reasonOf } from './errno.js';
import type { Probe } from './probe.js';

/** The filesystem calls the scan makes: the seam where tests make a pid vanish or a link unreadable. */
export interface ProcFs {
  readdir(dir: string): Promise<string[]>;
  readlink(file: string): Promise<string>;
  readFile(file: string): Promise<string>;
}

export const realProcFs: ProcFs = {
  readdir: (dir) => fs.readdir(dir),
  readlink: (file) => fs.readlink(file),
  readFile: (file) => fs.readFile(file, 'utf8'),
};

const SCAN_CONCURRENCY = 32;

/**
 * Reads every /proc/PID: its netns link (`net:[N]`), comm, raw cgroup and
 * start time. Never the environment or the command line. A pid that goes away
 * mid-scan or whose link is unreadable is recorded with the reason.
 */
export async function scanProc(procRoot: string, procFs: ProcFs = realProcFs): Promise<{ processes: Process[]; gaps: Gap[] }> {
  const names = await procFs.readdir(procRoot);
  const pids = names.filter((n) => /^[1-9]\d{0,9}$/.test(n)).map(Number).sort((a, b) => a - b);
  const processes = await mapPool(pids, SCAN_CONCURRENCY, (pid) => readProcess(procRoot, pid, procFs));
  return { processes, gaps: summarizeGaps(processes) };
}

async function readProcess(procRoot: string, pid: number, procFs: ProcFs): Promise<Process> {
  const dir = path.join(procRoot, String(pid));
  let netns: number | null = null;
  let netnsError: Process['netnsError'] = null;
  try {
    const target = await procFs.readlink(path.join(dir, 'ns/net'));
    netns = parseNsLink(target);
    if (netns === null) netnsError = 'failed';
  } catch (error) {
    netnsError = reasonOf(error);
  }
  const [comm, cgroup, stat] = await Promise.all([
    readOptional(procFs, path.join(dir, 'comm')),
    readOptional(procFs, path.join(dir, 'cgroup')),
    readOptional(procFs, path.join(dir, 'stat')),
  ]);
  return {
    pid,
    netns,
    netnsError,
    comm: comm === null ? null : comm.replace(/\n$/, '').slice(0, 256),
    cgroup: cgroup === null ? null : cgroup.slice(0, LIMITS.cgroupChars),
    startTime: stat === null ? null : parseStartTime(stat),
  };
}

async function readOptional(procFs: ProcFs, file: string): Promise<string | null> {
  try {
    return await procFs.readFile(file);
  } catch {
    return null;
  }
}

/**
 * Field 22 of /proc/PID/stat. The comm (field 2) is in parentheses and may
 * itself hold spaces and ')', so fields are counted from the last ')'.
 */
export function parseStartTime(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(' ');
  const value = fields[19];
  if (value === undefined || !/^\d{1,20}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** One gap per failure reason, not per pid: a non-root run has hundreds of unreadable links. */
function summarizeGaps(processes: Process[]): Gap[] {
  const byReason = new Map<string, number[]>();
  for (const p of processes) {
    if (p.netnsError === null) continue;
    const list = byReason.get(p.netnsError) ?? [];
    list.push(p.pid);
    byReason.set(p.netnsError, list);
  }
  return [...byReason].map(([reason, pids]) => ({
    probe: 'proc-scan',
    subject: `${pids.length} pid${pids.length === 1 ? '' : 's'}`,
    reason: reason as Gap['reason'],
    detail: `/proc/PID/ns/net unreadable for pid ${pids.slice(0, 20).join(', ')}${pids.length > 20 ? ', …' : ''}`,
  }));
}

export const procScan: Probe = {
  name: 'proc-scan',
  async run(ctx, draft) {
    try {
      const target = await fs.readlink(path.join(ctx.procRoot, 'self/ns/net'));
      draft.hostNetns = { inode: parseNsLink(target), error: parseNsLink(target) === null ? 'failed' : null };
    } catch (error) {
      draft.hostNetns = { inode: null, error: reasonOf(error) };
      draft.gaps.push({ probe: this.name, subject: 'self', reason: reasonOf(error), detail: detailOf(error) });
    }
    const { processes, gaps } = await scanProc(ctx.procRoot);
    draft.processes = processes;
    draft.gaps.push(...gaps);
  },
};
