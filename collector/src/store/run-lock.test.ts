import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStartTime } from '../probes/proc-scan.js';
import { acquireRunLock, LockHeldError, type LockOwner } from './run-lock.js';

let dir: string;
let lockPath: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nsnap-lock-'));
  lockPath = path.join(dir, 'state', 'nsnap-collect.lock');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function startTicks(pid: number): Promise<number> {
  const ticks = parseStartTime(await readFile(`/proc/${pid}/stat`, 'utf8'));
  if (ticks === null) throw new Error(`no start time for ${pid}`);
  return ticks;
}

async function bootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
}

async function plant(owner: Partial<LockOwner> & { pid: number }): Promise<string> {
  const text = `${JSON.stringify({ startTicks: null, bootId: await bootId(), startedAt: '2024-05-01T10:00:00.000Z', ...owner })}\n`;
  await rm(lockPath, { force: true });
  await mkdir(path.dirname(lockPath), { recursive: true });
  await writeFile(lockPath, text);
  return text;
}

async function expectTakenOver(): Promise<void> {
  const lock = await acquireRunLock(lockPath);
  expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(lock.owner);
  expect(lock.owner.pid).toBe(process.pid);
  await lock.release();
}

describe('acquireRunLock', () => {
  it('writes pid, start time and boot id, refuses a second run, and is free again after release', async () => {
    const lock = await acquireRunLock(lockPath, { now: () => new Date('2024-05-01T10:00:00Z') });
    expect(lock.owner).toEqual({ pid: process.pid, startTicks: await startTicks(process.pid), bootId: await bootId(), startedAt: '2024-05-01T10:00:00.000Z' });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(lock.owner);

    const error = await acquireRunLock(lockPath).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as Error).message).toBe(`another nsnap-collect run (pid ${process.pid}, started 2024-05-01T10:00:00.000Z) holds ${lockPath}`);

    await lock.release();
    await expect(readFile(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expectTakenOver();
  });

  it('reports a live holder that is another process', async () => {
    const sleeper = execa('sleep', ['30']);
    try {
      const pid = sleeper.pid!;
      await plant({ pid, startTicks: await startTicks(pid) });
      await expect(acquireRunLock(lockPath)).rejects.toThrow(`another nsnap-collect run (pid ${pid}, started 2024-05-01T10:00:00.000Z) holds ${lockPath}`);
    } finally {
      sleeper.kill('SIGKILL');
      await sleeper.catch(() => undefined);
    }
  });

  it('takes over a lock whose process is gone', async () => {
    const done = execa('true');
    await done;
    await plant({ pid: done.pid!, startTicks: 12345 });
    await expectTakenOver();
  });

  it('takes over a lock whose pid now belongs to a process with another start time', async () => {
    await plant({ pid: process.pid, startTicks: (await startTicks(process.pid)) + 1 });
    await expectTakenOver();
  });

  it('takes over a lock from another boot even if the pid and start time match', async () => {
    await plant({ pid: process.pid, startTicks: await startTicks(process.pid), bootId: '00000000-0000-0000-0000-000000000000' });
    await expectTakenOver();
  });

  it('takes over an empty or unparsable lock file (a run that died between create and write)', async () => {
    await plant({ pid: 1 });
    await writeFile(lockPath, '');
    await expectTakenOver();
    await plant({ pid: 1 });
    await writeFile(lockPath, '{"pid":');
    await expectTakenOver();
  });

  it('lets exactly one of many simultaneous takeovers of a stale lock win', async () => {
    await plant({ pid: process.pid, startTicks: 1 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireRunLock(lockPath)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as Error).name)).toEqual(Array(7).fill('LockHeldError'));
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual((won[0] as PromiseFulfilledResult<{ owner: LockOwner }>).value.owner);
    await expect(readFile(`${lockPath}.takeover`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('does not remove a lock that is no longer its own on release', async () => {
    const lock = await acquireRunLock(lockPath);
    const other = await plant({ pid: process.pid, startTicks: 7 });
    await lock.release();
    expect(await readFile(lockPath, 'utf8')).toBe(other);
  });
});
