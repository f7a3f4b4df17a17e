import { setTimeout as sleepMs } from 'node:timers/promises';
import { StoreError } from '@nsnap/shared/core';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Upper bound of the first delay; each retry doubles it, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The clock seam: tests pass a recording sleep and a fixed random. */
  sleep?: (ms: number) => Promise<unknown>;
  random?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: StoreError }) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 8_000 };

/** Errors that repeating the same request cannot fix: the answer is already final. */
const PERMANENT_ERRNO = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP', 'EEXIST']);

/**
 * Whether a store failure may go away by itself: network errors, timeouts, throttling
 * and server errors may; a refusal (4xx, missing credentials, a read-only or full disk)
 * will not, and neither will a StoreError the store raised itself without a cause.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof StoreError) || error.cause === undefined) return false;
  const cause = error.cause as { $metadata?: { httpStatusCode?: number }; code?: unknown; name?: unknown };
  const status = cause?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 408 || status === 429;
  if (typeof cause?.code === 'string' && PERMANENT_ERRNO.has(cause.code)) return false;
  if (cause?.name === 'CredentialsProviderError') return false;
  if (/region is missing/i.test(String((cause as Error)?.message))) return false;
  return true;
}

/** "Full jitter": uniform in [0, min(max, base·2^(attempt-1))), so many hosts on one cron minute spread out. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Runs `op` until it succeeds, fails permanently, or the attempts are used up; the last error is thrown. */
export async function withRetries<T>(op: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new Error(`attempts must be a positive integer, got ${policy.attempts}`);
  const sleep = policy.sleep ?? sleepMs;
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error)) throw error;
      const delayMs = backoffDelay(attempt, policy, random);
      policy.onRetry?.({ attempt, delayMs, error: error as StoreError });
      await sleep(delayMs);
    }
  }
}
