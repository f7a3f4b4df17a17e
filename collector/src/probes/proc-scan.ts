import { closeSync, promises as fs, openSync, readFileSync, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { LIMITS, type Bundle, type Gap, type Process } from '@nsnap/shared/core';
import { detailOf, parseNsLink, reasonOf } from './errno.js';
import type { Probe } from './probe.js';

/**
 * The filesystem calls the scan makes: the seam where tests make a pid vanish
 * or a link unreadable. Synchronous on purpose: /proc reads are served from
 * memory in microseconds, and a promise per read cost more than the read
 * (measured: ~150 ms of a 1.1 s run at 100 namespaces).
 */
export interface ProcFs {
  readdir(dir: string): string[];
  /** At most `max` names of a directory, and whether more were left. */
  readdirUpTo(dir: string, max: number): { names: string[]; more: boolean };
  /** The link count of a directory: for /proc/PID/task, 2 + the number of threads. */
  linkCount(dir: string): number;
  readlink(file: string): string;
  readFile(file: string): string;
  /** A file of any size (a mountinfo with thousands of mounts): not cut at 64 KiB. */
  readWholeFile(file: string): string;
  /** Device and inode of what a path leads to (links followed). */
  stat(file: string): { dev: number; ino: number };
}

export const realProcFs: ProcFs = {
  readdir: (dir) => readdirSync(dir),
  readdirUpTo,
  linkCount: (dir) => statSync(dir).nlink,
  readlink: (file) => readlinkSync(file),
  readFile: readSmallFile,
  readWholeFile: (file) => readFileSync(file, 'utf8'),
  stat: (file) => statSync(file),
};

/**
 * The whole listing, then cut: `opendir` could stop reading early, but cost
 * ~65 µs a directory against ~20 µs (measured over 490 /proc/PID/fd). What
 * costs is reading each entry (a readlink), and that is bounded.
 */
function readdirUpTo(dir: string, max: number): { names: string[]; more: boolean } {
  const names = readdirSync(dir);
  return names.length > max ? { names: names.slice(0, max), more: true } : { names, more: false };
}

/** One buffer for every /proc read: the files are small and read one at a time. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * A small file's text, up to 64 KiB: open, read until end or full, close.
 * `readFileSync` also stats the file and allocates per call — for /proc files,
 * which report size 0, that was half the time of the ~1,000 reads of a scan.
 */
function readSmallFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, READ_BUFFER, length, READ_BUFFER.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === READ_BUFFER.length) break;
    }
    return READ_BUFFER.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads every /proc/PID: its netns link (`net:[N]`), comm, raw cgroup and
 * start time. Never the environment or the command line. A pid that goes away
 * mid-scan or whose link is unreadable is recorded with the reason.
 */
export function scanProc(procRoot: string, procFs: ProcFs = realProcFs): { processes: Process[]; gaps: Gap[] } {
  const scanned = scanNetnsLinks(procRoot, procFs);
  readProcDetails(procRoot, scanned.processes, procFs);
  return scanned;
}

/** The first half of the scan, all the capture needs: every pid and its netns link. */
export function scanNetnsLinks(procRoot: string, procFs: ProcFs = realProcFs): { processes: Process[]; gaps: Gap[] } {
  const names = procFs.readdir(procRoot);
  const pids = names.filter((n) => /^[1-9]\d{0,9}$/.test(n)).map(Number).sort((a, b) => a - b);
  const processes = pids.map((pid): Process => {
    let netns: number | null = null;
    let netnsError: Process['netnsError'] = null;
    try {
      netns = parseNsLink(procFs.readlink(`${procRoot}/${pid}/ns/net`));
      if (netns === null) netnsError = 'failed';
    } catch (error) {
      netnsError = reasonOf(error);
    }
    return { pid, netns, netnsError, comm: null, cgroup: null, startTime: null };
  });
  return { processes, gaps: unreadableGaps(processes, 'proc-scan', '/proc/PID/ns/net unreadable') };
}

/**
 * The second half, read while the namespaces are being captured: comm, cgroup
 * and start time (null for a pid gone since). The comm is taken from `stat`,
 * which holds it in parentheses exactly as `comm` does: one read less per
 * process.
 */
export function readProcDetails(procRoot: string, processes: Process[], procFs: ProcFs = realProcFs): void {
  for (const p of processes) {
    const dir = `${procRoot}/${p.pid}`;
    const stat = readOptional(procFs, `${dir}/stat`);
    const cgroup = readOptional(procFs, `${dir}/cgroup`);
    p.comm = stat === null ? null : commOf(stat);
    p.cgroup = cgroup === null ? null : cgroup.slice(0, LIMITS.cgroupChars);
    p.startTime = stat === null ? null : parseStartTime(stat);
  }
}

/** Field 2 of /proc/PID/stat: between the first '(' and the last ')' (the name may hold both). */
export function commOf(stat: string): string | null {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  return open < 0 || close < open ? null : stat.slice(open + 1, close).slice(0, 256);
}

function readOptional(procFs: ProcFs, file: string): string | null {
  try {
    return procFs.readFile(file);
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
  // Field 3 starts 2 characters after the ')'; field 22 follows 19 more spaces.
  let from = close + 2;
  for (let field = 3; field < 22; field++) {
    const space = stat.indexOf(' ', from);
    if (space < 0) return null;
    from = space + 1;
  }
  let end = from;
  while (end < stat.length && end - from <= 20 && stat.charCodeAt(end) >= 48 && stat.charCodeAt(end) <= 57) end++;
  if (end === from || end - from > 20 || (end < stat.length && stat[end] !== ' ' && stat[end] !== '\n')) return null;
  const n = Number(stat.slice(from, end));
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * One gap per failure reason, not per pid: a non-root run (or a listing taken
 * without root) has hundreds of unreadable links. `what` says where they were
 * unreadable, e.g. "/proc/PID/ns/net unreadable".
 */
export function unreadableGaps(processes: Process[], probe: string, what: string): Gap[] {
  const byReason = new Map<Gap['reason'], number[]>();
  for (const p of processes) {
    if (p.netnsError === null) continue;
    const pids = byReason.get(p.netnsError);
    if (pids) pids.push(p.pid);
    else byReason.set(p.netnsError, [p.pid]);
  }
  return [...byReason].map(([reason, pids]) => ({
    probe,
    subject: `${pids.length} pid${pids.length === 1 ? '' : 's'}`,
    reason,
    detail: `${what} for pid ${pids.slice(0, 20).join(', ')}${pids.length > 20 ? ', …' : ''}`,
  }));
}

export const procScan: Probe = {
  name: 'proc-scan',
  async run(ctx) {
    let hostNetns: Bundle['hostNetns'];
    const gaps: Gap[] = [];
    try {
      const target = await fs.readlink(path.join(ctx.procRoot, 'self/ns/net'));
      hostNetns = { inode: parseNsLink(target), error: parseNsLink(target) === null ? 'failed' : null };
    } catch (error) {
      hostNetns = { inode: null, error: reasonOf(error) };
      gaps.push({ probe: this.name, subject: 'self', reason: reasonOf(error), detail: detailOf(error) });
    }
    const scan = scanNetnsLinks(ctx.procRoot);
    return { hostNetns, processes: scan.processes, gaps: [...gaps, ...scan.gaps] };
  },
};

/** comm, cgroup and start time of the processes proc-scan found: 1,600 reads (stat, cgroup) at 800 processes, done while the capture runs. */
export const procDetails: Probe = {
  name: 'proc-details',
  during: 'namespace-links',
  async run(ctx, found) {
    // Copies: what proc-scan returned stays as it was while other probes read it.
    const processes = found.processes.map((p) => ({ ...p }));
    readProcDetails(ctx.procRoot, processes);
    return { processes };
  },
};
