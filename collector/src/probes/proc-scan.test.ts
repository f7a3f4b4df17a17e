import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseStartTime, realProcFs, scanProc, type ProcFs } from './proc-scan.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../../fixtures/proc-tree');

describe('scanProc over a fake /proc tree', () => {
  let copy: string | null = null;
  afterEach(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
    copy = null;
  });

  it('reads pid, netns inode, comm, raw cgroup and start time of every process', async () => {
    const { processes } = scanProc(FIXTURE);
    expect(processes.map((p) => p.pid)).toEqual([1, 812, 1557, 2001, 2002, 2003, 3000, 3001]);
    expect(processes.find((p) => p.pid === 1557)).toEqual({
      pid: 1557,
      netns: 4026532701,
      netnsError: null,
      comm: 'sleep',
      cgroup: '0::/system.slice/docker-794e0b37a9c6a1b2c3d4e5f60718293a4b5c6d7e8f9012345678901234567890.scope\n',
      startTime: 88123,
    });
  });

  it('keeps odd comm names verbatim and still finds the start time after them', async () => {
    const { processes } = scanProc(FIXTURE);
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    expect(byPid.get(2001)).toMatchObject({ comm: 'a) b (c', startTime: 99001 });
    expect(byPid.get(2002)).toMatchObject({ comm: 'tab\there', startTime: 99002 });
    expect(byPid.get(2003)).toMatchObject({ comm: 'kworker/0:1', cgroup: '', startTime: 99003 });
  });

  it('records an unreadable link as denied and one gap for all such pids', async () => {
    const denying: ProcFs = {
      ...realProcFs,
      readlink: (file) => {
        if (file === path.join(FIXTURE, '3000/ns/net')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        return realProcFs.readlink(file);
      },
    };
    const { processes, gaps } = scanProc(FIXTURE, denying);
    expect(processes.find((p) => p.pid === 3000)).toMatchObject({ netns: null, netnsError: 'denied', comm: 'secret' });
    expect(gaps).toEqual([{ probe: 'proc-scan', subject: '1 pid', reason: 'denied', detail: '/proc/PID/ns/net unreadable for pid 3000' }]);
  });

  it('records a pid that vanished between readdir and readlink, and carries on', async () => {
    copy = mkdtempSync(path.join(os.tmpdir(), 'nsnap-proc-'));
    cpSync(FIXTURE, copy, { recursive: true, verbatimSymlinks: true });
    const root = copy;
    const vanishing: ProcFs = {
      ...realProcFs,
      readdir: (dir) => {
        const names = realProcFs.readdir(dir);
        rmSync(path.join(root, '3001'), { recursive: true });
        return names;
      },
    };
    const { processes, gaps } = scanProc(root, vanishing);
    expect(processes.find((p) => p.pid === 3001)).toEqual({ pid: 3001, netns: null, netnsError: 'vanished', comm: null, cgroup: null, startTime: null });
    expect(processes.find((p) => p.pid === 1557)?.netns).toBe(4026532701);
    expect(gaps.map((g) => g.reason)).toEqual(['vanished']);
  });
});

describe('parseStartTime', () => {
  it('counts fields from the last parenthesis', () => {
    const stat = '42 (evil) 1 2 3) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 777 1000 200\n';
    expect(parseStartTime(stat)).toBe(777);
  });
  it('returns null for garbage', () => {
    expect(parseStartTime('nonsense')).toBeNull();
    expect(parseStartTime('1 (x) S 1')).toBeNull();
  });
});
