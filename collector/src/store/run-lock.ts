import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseStartTime } from '../probes/proc-scan.js';

/** Who holds the lock: enough to tell a live holder from a dead one whose pid was reused. */
export interface LockOwner {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): a pid reused later has another. */
  startTicks: number | null;
  bootId: string | null;
  startedAt: string;
}

export class LockHeldError extends Error {
  override name = 'LockHeldError';
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner,
  ) {
    super(`another nsnap-collect run (pid ${owner.pid}, started ${owner.startedAt}) holds ${lockPath}`);
  }
}

export interface RunLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Where /proc is; tests of a reused pid need nothing else than the real one. */
  procRoot?: string;
  now?: () => Date;
}

/** A takeover guard older than this was left by a run that died mid-takeover (it is held for microseconds). */
const STALE_GUARD_MS = 10_000;
const MAX_TRIES = 50;

/**
 * One nsnap-collect run at a time: the lock file is created with O_EXCL and holds the
 * owner's pid, start time and boot id. A lock whose owner is gone (no such pid, a pid
 * reused by a process with another start time, or another boot) is taken over; a live
 * owner is reported as LockHeldError. Taking over happens under a second O_EXCL file
 * (`LOCK.takeover`) so two runs that both find a stale lock cannot both delete it —
 * the second would otherwise delete the first one's fresh lock.
 */
export async function acquireRunLock(lockPath: string, options: LockOptions = {}): Promise<RunLock> {
  const procRoot = options.procRoot ?? '/proc';
  const now = options.now ?? (() => new Date());
  const owner: LockOwner = {
    pid: process.pid,
    startTicks: await startTicksOf(procRoot, process.pid),
    bootId: await bootIdOf(procRoot),
    startedAt: now().toISOString(),
  };
  const content = `${JSON.stringify(owner)}\n`;
  await fs.mkdir(path.dirname(lockPath), { recursive: true, mode: 0o755 });

  for (let tries = 0; tries < MAX_TRIES; tries++) {
    try {
      const handle = await fs.open(lockPath, 'wx', 0o644);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return { path: lockPath, owner, release: () => release(lockPath, content) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = await readLock(lockPath);
    if (seen === 'gone') continue;
    if (seen !== 'unreadable' && (await isAlive(procRoot, seen.owner, owner.bootId))) throw new LockHeldError(lockPath, seen.owner);
    if (seen === 'unreadable' && tries < 3) {
      // Between another run's open(O_EXCL) and its write the file is empty: look again first.
      await sleep(20);
      continue;
    }
    await takeOver(lockPath, seen === 'unreadable' ? null : seen.text, now);
  }
  throw new Error(`could not take ${lockPath} after ${MAX_TRIES} tries: other runs keep replacing it`);
}

async function takeOver(lockPath: string, staleText: string | null, now: () => Date): Promise<void> {
  const guard = `${lockPath}.takeover`;
  let handle;
  try {
    handle = await fs.open(guard, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const st = await fs.stat(guard).catch(() => null);
    if (st && now().getTime() - st.mtimeMs > STALE_GUARD_MS) await fs.rm(guard, { force: true });
    else await sleep(20);
    return;
  }
  try {
    // Only the very lock judged stale goes: if another run replaced it meanwhile, it stays.
    const current = await fs.readFile(lockPath, 'utf8').catch(() => null);
    if (current !== null && (staleText === null ? !parseOwner(current) : current === staleText)) await fs.rm(lockPath, { force: true });
  } finally {
    await handle.close();
    await fs.rm(guard, { force: true });
  }
}

async function release(lockPath: string, content: string): Promise<void> {
  const current = await fs.readFile(lockPath, 'utf8').catch(() => null);
  if (current === content) await fs.rm(lockPath, { force: true });
}

async function readLock(lockPath: string): Promise<{ text: string; owner: LockOwner } | 'unreadable' | 'gone'> {
  let text: string;
  try {
    text = await fs.readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const owner = parseOwner(text);
  return owner ? { text, owner } : 'unreadable';
}

function parseOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isSafeInteger(o.pid) || (o.pid as number) < 1 || typeof o.startedAt !== 'string') return null;
    return {
      pid: o.pid as number,
      startTicks: Number.isSafeInteger(o.startTicks) ? (o.startTicks as number) : null,
      bootId: typeof o.bootId === 'string' ? o.bootId : null,
      startedAt: o.startedAt.slice(0, 64),
    };
  } catch {
    return null;
  }
}

/** Alive means: this boot, the pid exists, and (when both are known) it started when the owner did. */
async function isAlive(procRoot: string, owner: LockOwner, bootId: string | null): Promise<boolean> {
  if (owner.bootId !== null && bootId !== null && owner.bootId !== bootId) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.startTicks === null) return true;
  const ticks = await startTicksOf(procRoot, owner.pid);
  return ticks === null || ticks === owner.startTicks;
}

async function startTicksOf(procRoot: string, pid: number): Promise<number | null> {
  const stat = await fs.readFile(path.join(procRoot, String(pid), 'stat'), 'utf8').catch(() => null);
  return stat === null ? null : parseStartTime(stat);
}

async function bootIdOf(procRoot: string): Promise<string | null> {
  const id = await fs.readFile(path.join(procRoot, 'sys/kernel/random/boot_id'), 'utf8').catch(() => null);
  return id === null ? null : id.trim() || null;
}
