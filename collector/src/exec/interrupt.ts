import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { EXIT } from '../exit-codes.js';

/**
 * What a SIGTERM or SIGINT (cron's timeout, systemd stop, Ctrl-C) must undo
 * before the run ends: the capture's child processes and its temp
 * directories. Children spawned as their own process group (the bulk find
 * workers) are killed with everything they started.
 */
const children = new Map<ChildProcess, { group: boolean }>();
const tempDirs = new Set<string>();
let stoppedBy: NodeJS.Signals | null = null;

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** 128 + the signal's number, as a shell reports a process the signal ended. */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: EXIT.interruptedInt, SIGTERM: EXIT.interruptedTerm };

function kill(child: ChildProcess, group: boolean): void {
  try {
    if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Follows a child until it closes; one spawned after a stop is killed at once. */
export function trackChild(child: ChildProcess, options: { group: boolean }): void {
  if (stoppedBy !== null) {
    kill(child, options.group);
    return;
  }
  children.set(child, options);
  child.once('close', () => children.delete(child));
  child.once('error', () => children.delete(child));
}

/** Follows a temp directory until `release` is called (after its owner removed it); one made after a stop is removed at once. */
export function trackTempDir(dir: string): { release: () => void } {
  if (stoppedBy !== null) {
    rmSync(dir, { recursive: true, force: true });
    return { release: () => {} };
  }
  tempDirs.add(dir);
  return { release: () => tempDirs.delete(dir) };
}

/** Kills every tracked child and removes every tracked temp directory, synchronously. */
export function stopEverything(signal: NodeJS.Signals): void {
  stoppedBy ??= signal;
  for (const [child, { group }] of children) kill(child, group);
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * Resolves with the first SIGTERM or SIGINT, once the capture's children and
 * temp directories are gone. Listening replaces Node's default of dying at
 * once, so the caller can release its lock and spool what it has.
 */
export function untilInterrupted(): { signal: Promise<StopSignal>; dispose: () => void } {
  let onSignal: (signal: StopSignal) => void = () => {};
  const signal = new Promise<StopSignal>((resolve) => {
    onSignal = (s) => {
      stopEverything(s);
      resolve(s);
    };
  });
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    signal,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
