import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore, StoreError } from '@nsnap/shared';
import { S3Store } from '../../../shared/src/store/s3.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../../../test/support/s3rver.js';
import { backoffDelay, isTransient, withRetries, type RetryPolicy } from './retry.js';

let s3: S3rverHandle;
let tmp: string;

beforeAll(async () => {
  s3 = await startS3rver();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nsnap-retry-'));
});

afterAll(async () => {
  await s3?.dispose();
  await rm(tmp, { recursive: true, force: true });
});

function s3Store(credentials = S3RVER_CREDENTIALS): S3Store {
  return new S3Store({ bucket: s3.bucket, prefix: 'retry', endpoint: s3.endpoint, credentials, maxAttempts: 1 });
}

/** A policy whose sleeps are recorded (and may run an action, like restarting the server) instead of waited. */
function recording(attempts: number, onSleep: (ms: number) => Promise<void> = async () => undefined) {
  const sleeps: number[] = [];
  const policy: RetryPolicy = {
    attempts,
    baseDelayMs: 100,
    maxDelayMs: 250,
    random: () => 0.999,
    sleep: async (ms) => {
      sleeps.push(ms);
      await onSleep(ms);
    },
  };
  return { policy, sleeps };
}

const PUT = { contentType: 'text/plain' } as const;

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to the maximum, and jitters below it', () => {
    const p = { baseDelayMs: 500, maxDelayMs: 3000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, p, () => 0.999999))).toEqual([499, 999, 1999, 2999, 2999]);
    expect(backoffDelay(3, p, () => 0)).toBe(0);
    expect(backoffDelay(2, p, () => 0.5)).toBe(500);
  });
});

describe('withRetries against real stores', () => {
  it('retries an unreachable endpoint with backoff, then gives up with the last error', async () => {
    await s3.stop();
    try {
      const { policy, sleeps } = recording(3);
      let calls = 0;
      const error = await withRetries(() => {
        calls++;
        return s3Store().put('k1', Buffer.from('x'), PUT);
      }, policy).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/cannot reach S3 endpoint .*ECONNREFUSED/);
      expect(calls).toBe(3);
      expect(sleeps).toEqual([99, 199]);
    } finally {
      await s3.start();
    }
  });

  it('succeeds on a later attempt when the server comes back during the backoff', async () => {
    await s3.stop();
    const { policy, sleeps } = recording(3, () => s3.start());
    const retried: string[] = [];
    await withRetries(() => s3Store().put('k2', Buffer.from('back'), PUT), { ...policy, onRetry: ({ error }) => retried.push(error.message) });
    expect(sleeps).toHaveLength(1);
    expect(retried).toEqual([expect.stringMatching(/ECONNREFUSED/)]);
    expect(Buffer.from(await s3Store().get('k2')).toString()).toBe('back');
  });

  it('does not retry a refusal: unknown access key, a store root that is a file', async () => {
    const { policy, sleeps } = recording(3);
    let calls = 0;
    const denied = await withRetries(() => {
      calls++;
      return s3Store({ accessKeyId: 'NOBODY', secretAccessKey: 'x' }).put('k3', Buffer.from('x'), PUT);
    }, policy).catch((e: unknown) => e);
    expect((denied as Error).message).toMatch(/access denied .*InvalidAccessKeyId/);
    expect(isTransient(denied)).toBe(false);

    const file = path.join(tmp, 'not-a-dir');
    await writeFile(file, 'x');
    const local = await withRetries(() => {
      calls++;
      return new LocalStore(file).put('a/b', Buffer.from('x'), PUT);
    }, policy).catch((e: unknown) => e);
    expect(local).toBeInstanceOf(StoreError);
    expect(isTransient(local)).toBe(false);
    expect(calls).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('never retries what is not a store failure (a bad key is a bug)', async () => {
    const { policy } = recording(3);
    let calls = 0;
    await expect(
      withRetries(() => {
        calls++;
        return s3Store().put('../k', Buffer.from('x'), PUT);
      }, policy),
    ).rejects.toThrow(/invalid key/);
    expect(calls).toBe(1);
  });

  it('classifies throttling and server errors as transient', () => {
    const withStatus = (httpStatusCode: number) => new StoreError('x', 'k', Object.assign(new Error('x'), { $metadata: { httpStatusCode } }));
    expect([500, 503, 429, 408, 404, 403, 400].map((s) => isTransient(withStatus(s)))).toEqual([true, true, true, true, false, false, false]);
    expect(isTransient(new StoreError('refused by the store itself', 'k'))).toBe(false);
  });
});
