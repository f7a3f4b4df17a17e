import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Holder } from '@nsnap/shared/core';
import { scanHolders } from './netns-holders.js';
import { realProcFs, scanNetnsLinks, type ProcFs } from './proc-scan.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../../fixtures/proc-tree');
const { processes } = scanNetnsLinks(FIXTURE);
/** What the other probes found in the fixture: every process's namespace, the host's, and the nsfs mounts of pid 812 (self). */
const KNOWN = new Set([4026531840, ...processes.flatMap((p) => (p.netns === null ? [] : [p.netns])), 4026532178, 4026532179, 4026532181]);

const LIMITS = { maxEntries: 1000, hostNetns: 4026531840, nsfsDev: null };
const byPath = (hs: Holder[]) => [...hs].sort((a, b) => a.path.localeCompare(b.path));

const denied = () => Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
const gone = () => Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });

describe('scanHolders over a fake /proc tree', () => {
  it('finds namespaces held only by an fd, a thread or a mount in another mount namespace, with the handle to open', () => {
    const { holders, gaps, entriesRead } = scanHolders(FIXTURE, processes, KNOWN, LIMITS);
    expect(byPath(holders)).toEqual(
      byPath([
        { kind: 'foreign-mount', path: `${FIXTURE}/1557/root/tmp/held/ns`, pid: 1557, inode: 4026533102 },
        { kind: 'foreign-mount', path: `${FIXTURE}/1557/root/tmp/a b/odd\nname`, pid: 1557, inode: 4026533103 },
        { kind: 'thread', path: `${FIXTURE}/1557/task/1560/ns/net`, pid: 1557, inode: 4026533101 },
        { kind: 'fd', path: `${FIXTURE}/1557/fd/3`, pid: 1557, inode: 4026533100 },
        { kind: 'fd', path: `${FIXTURE}/3000/fd/9`, pid: 3000, inode: 4026533100 },
      ]),
    );
    // Pids without fd or task entries in the fixture count as gone: no gap.
    expect(gaps).toEqual([]);
    // fds of 812 (2), 1557 (5) and 3000 (2); threads other than the leader of 1557 and 3000; the 5 + 2 lines of two mount tables.
    expect(entriesRead).toBe(18);
  });

  it('skips a thread in a namespace that a process shows, and fds of known namespaces', () => {
    const { holders } = scanHolders(FIXTURE, processes, KNOWN, LIMITS);
    expect(holders.map((h) => h.path)).not.toContain(`${FIXTURE}/3000/task/3002/ns/net`);
    expect(holders.map((h) => h.path)).not.toContain(`${FIXTURE}/1557/fd/4`);
    expect(holders.map((h) => h.path)).not.toContain(`${FIXTURE}/812/fd/5`);
  });

  it('reads each other mount namespace once, and never its own', () => {
    const read: string[] = [];
    const counting: ProcFs = {
      ...realProcFs,
      readWholeFile: (file) => {
        read.push(path.relative(FIXTURE, file));
        return realProcFs.readWholeFile(file);
      },
    };
    scanHolders(FIXTURE, processes, KNOWN, LIMITS, counting);
    expect(read).toEqual(['1557/mountinfo', '3000/mountinfo']);
  });

  it('stops at the limit and records the pids it did not walk and the mount tables it did not read as gaps', () => {
    const { holders, gaps, entriesRead } = scanHolders(FIXTURE, processes, KNOWN, { ...LIMITS, maxEntries: 4 });
    expect(entriesRead).toBe(4);
    expect(gaps).toHaveLength(2);
    expect(gaps[0]).toMatchObject({ probe: 'netns-holders', subject: '6 pids', reason: 'failed' });
    expect(gaps[0]!.detail).toContain('limit of 4 entries (--max-scan)');
    expect(gaps[0]!.detail).toContain('pid 1557, 2001, 2002, 2003, 3000, 3001');
    expect(gaps[1]).toMatchObject({ probe: 'netns-holders', subject: '2 mount namespaces', reason: 'failed' });
    expect(gaps[1]!.detail).toContain('mount namespace of pid 1557, 3000 may be missing');
    expect(holders.map((h) => h.kind)).not.toContain('foreign-mount');
    expect(holders.map((h) => h.path)).not.toContain(`${FIXTURE}/3000/fd/9`);
  });

  it('reads mount tables until the limit, those of processes in the host namespace first', () => {
    // 11 fds and threads, then room for one table: 1557's (5 lines) comes first by pid.
    const first = scanHolders(FIXTURE, processes, KNOWN, { ...LIMITS, maxEntries: 16 });
    expect(first.holders.filter((h) => h.kind === 'foreign-mount').map((h) => h.pid)).toEqual([1557, 1557]);
    expect(first.gaps).toEqual([expect.objectContaining({ subject: '1 mount namespace' })]);
    expect(first.gaps[0]!.detail).toContain('mount namespace of pid 3000 may be missing');
    // With 3000's namespace as the host's, its table (2 lines) is read first and 1557's is left.
    const hostFirst = scanHolders(FIXTURE, processes, KNOWN, { maxEntries: 13, hostNetns: 4026532901, nsfsDev: null });
    expect(hostFirst.holders.some((h) => h.kind === 'foreign-mount')).toBe(false);
    expect(hostFirst.gaps).toEqual([expect.objectContaining({ subject: '1 mount namespace' })]);
    expect(hostFirst.gaps[0]!.detail).toContain('mount namespace of pid 1557 may be missing');
  });

  it('records a denied fd table or mount table as a gap and reads the mount namespace through another pid', () => {
    const denying: ProcFs = {
      ...realProcFs,
      readdirUpTo: (dir, max) => {
        if (dir === `${FIXTURE}/3000/fd`) throw denied();
        return realProcFs.readdirUpTo(dir, max);
      },
      readWholeFile: (file) => {
        if (file === `${FIXTURE}/1557/mountinfo`) throw denied();
        return realProcFs.readWholeFile(file);
      },
    };
    const { holders, gaps } = scanHolders(FIXTURE, processes, KNOWN, LIMITS, denying);
    expect(gaps).toEqual([
      { probe: 'netns-holders', subject: '1 pid', reason: 'denied', detail: '/proc/PID/fd unreadable for pid 3000: a namespace held only there may be missing' },
      { probe: 'netns-holders', subject: '1 pid', reason: 'denied', detail: '/proc/PID/mountinfo unreadable for pid 1557: a namespace held only there may be missing' },
    ]);
    expect(holders.filter((h) => h.kind === 'foreign-mount').map((h) => h.pid)).toEqual([2001, 2001]);
    expect(holders.map((h) => h.path)).not.toContain(`${FIXTURE}/3000/fd/9`);
  });

  it('takes a process or fd gone mid-scan as holding nothing, without a gap', () => {
    const vanishing: ProcFs = {
      ...realProcFs,
      readlink: (file) => {
        if (file === `${FIXTURE}/1557/fd/3` || file === `${FIXTURE}/1557/ns/mnt`) throw gone();
        return realProcFs.readlink(file);
      },
    };
    const { holders, gaps } = scanHolders(FIXTURE, processes, KNOWN, LIMITS, vanishing);
    expect(gaps).toEqual([]);
    expect(holders.map((h) => h.path)).not.toContain(`${FIXTURE}/1557/fd/3`);
    // The mount namespace of 1557 is read through 2001, the next pid in it.
    expect(holders.filter((h) => h.kind === 'foreign-mount').map((h) => h.pid)).toEqual([2001, 2001]);
  });

  it('does not use a mount point too long for the bundle, and says so', () => {
    const long = `/tmp/${'x'.repeat(2000)}`;
    const hostile: ProcFs = {
      ...realProcFs,
      readWholeFile: (file) => (file === `${FIXTURE}/1557/mountinfo` ? `1 1 0:4 net:[4026533200] ${long} rw - nsfs nsfs rw\n` : realProcFs.readWholeFile(file)),
    };
    const { holders, gaps } = scanHolders(FIXTURE, processes, KNOWN, LIMITS, hostile);
    expect(holders.some((h) => h.inode === 4026533200)).toBe(false);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ probe: 'netns-holders', reason: 'failed' });
    expect(gaps[0]!.detail).toContain('namespace 4026533200');
    expect(gaps[0]!.subject.length).toBeLessThan(300);
  });

  it('stats only fds that read "/" and keeps those leading to a hidden namespace file apart, its type unknown', () => {
    const stated: string[] = [];
    const detached: ProcFs = {
      ...realProcFs,
      readlink: (file) => (file === `${FIXTURE}/3000/fd/0` || file === `${FIXTURE}/812/fd/0` ? '/' : realProcFs.readlink(file)),
      stat: (file) => {
        stated.push(path.relative(FIXTURE, file));
        return file === `${FIXTURE}/3000/fd/0` ? { dev: 4, ino: 4026533400 } : { dev: 2049, ino: 2 };
      },
    };
    const { holders, untyped } = scanHolders(FIXTURE, processes, KNOWN, { ...LIMITS, nsfsDev: 4 }, detached);
    expect(stated.sort()).toEqual(['3000/fd/0', '812/fd/0']);
    expect(untyped).toEqual([{ kind: 'fd', path: `${FIXTURE}/3000/fd/0`, pid: 3000, inode: 4026533400 }]);
    expect(holders.some((h) => h.inode === 4026533400)).toBe(false);
    // Without the nsfs device nothing is stat'ed.
    stated.length = 0;
    expect(scanHolders(FIXTURE, processes, KNOWN, LIMITS, detached).untyped).toEqual([]);
    expect(stated).toEqual([]);
  });

  it('keeps at most 8 handles of one namespace (a mount copied into many mount namespaces)', () => {
    const many = Array.from({ length: 20 }, (_, i) => `${i + 1} 1 0:4 net:[4026533300] /run/netns/copy${i} rw - nsfs nsfs rw`).join('\n');
    const copies: ProcFs = { ...realProcFs, readWholeFile: (file) => (file === `${FIXTURE}/1557/mountinfo` ? many : realProcFs.readWholeFile(file)) };
    const { holders } = scanHolders(FIXTURE, processes, KNOWN, LIMITS, copies);
    expect(holders.filter((h) => h.inode === 4026533300)).toHaveLength(8);
  });
});
