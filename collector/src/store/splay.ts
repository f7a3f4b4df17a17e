import { setTimeout as sleepMs } from 'node:timers/promises';

export interface SplayOptions {
  /** The clock seam: tests pass a fixed random and a recording sleep. */
  random?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * Sleeps a random time in [0, seconds): a fleet started by the same cron minute then
 * reaches the store spread out instead of all at once. Returns the milliseconds slept.
 */
export async function splay(seconds: number, options: SplayOptions = {}): Promise<number> {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`splay must be a non-negative number of seconds, got ${seconds}`);
  const ms = Math.floor((options.random ?? Math.random)() * seconds * 1000);
  if (ms > 0) await (options.sleep ?? sleepMs)(ms);
  return ms;
}
