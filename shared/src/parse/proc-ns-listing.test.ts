import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseProcNsListing } from './proc-ns-listing.js';

// `ls -l /proc/*/ns/net 2>&1` on this project's test machine (pid 1 is denied even to root here).
const LISTING = `ls: cannot read symbolic link '/proc/1/ns/net': Permission denied
lrwxrwxrwx 1 root root 0 Nov 29 03:38 /proc/1/ns/net
lrwxrwxrwx 1 root root 0 Nov 29 03:41 /proc/10/ns/net -> net:[4026531833]
lrwxrwxrwx 1 root root 0 Nov 29 03:58 /proc/10963/ns/net -> net:[4026532701]
ls: cannot access '/proc/99999/ns/net': No such file or directory
lrwxrwxrwx 1 root root 0 Nov 29 04:08 /proc/self/task/28587/ns/net -> net:[4026531833]
lrwxrwxrwx 1 root root 0 Nov 29 04:08 /proc/28587/task/28588/ns/net -> net:[4026531833]
`;

describe('parseProcNsListing', () => {
  it('maps pids and threads to inodes and keeps unreadable links with their reason', () => {
    const r = parseProcNsListing(LISTING);
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.value.map((e) => [e.pid, e.tid, e.inode, e.error])).toEqual([
      [1, null, null, 'denied'],
      [10, null, 4026531833, null],
      [10963, null, 4026532701, null],
      [28587, 28588, 4026531833, null],
      [99999, null, null, 'vanished'],
    ]);
    expect(r.issues.map((i) => i.line)).toEqual([6]);
  });

  it('takes the reason whichever order stdout and stderr were interleaved in', () => {
    const r = parseProcNsListing("lrwxrwxrwx 1 root root 0 Nov 29 03:38 /proc/1/ns/net\nls: cannot read symbolic link /proc/1/ns/net: Permission denied\n");
    expect(r).toMatchObject({ status: 'parsed', value: [{ pid: 1, inode: null, error: 'denied' }] });
    const bare = parseProcNsListing('lrwxrwxrwx 1 root root 0 Nov 29 03:38 /proc/1/ns/net\n');
    expect(bare).toMatchObject({ status: 'parsed', value: [{ pid: 1, inode: null, error: 'failed' }] });
  });

  it('reads ls -l /proc/PID/ns/ directory listings, net entries only', () => {
    const r = parseProcNsListing(
      '/proc/812/ns:\ntotal 0\nlrwxrwxrwx 1 root root 0 Nov 29 04:00 mnt -> mnt:[4026531841]\nlrwxrwxrwx 1 root root 0 Nov 29 04:00 net -> net:[4026532701]\n',
    );
    expect(r).toMatchObject({ status: 'parsed', value: [{ path: '/proc/812/ns/net', pid: 812, inode: 4026532701 }], issues: [] });
  });

  it('tells the three outcomes apart', () => {
    expect(parseProcNsListing('').status).toBe('empty');
    expect(parseProcNsListing('ls: cannot access \'/proc/*/ns/net\': Permission denied\nbash: foo\n').status).toBe('unusable');
    expect(parseProcNsListing('net:[4026531833]\n').status).toBe('unusable');
  });
});

// Real pastes (fixtures/SOURCES.md): with and without the ls columns, one entry per line or all on one line.
const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../../../fixtures/proc-ns', name), 'utf8');
const facts = (text: string) => {
  const r = parseProcNsListing(text);
  if (r.status !== 'parsed') throw new Error(`${r.status}: ${r.status === 'unusable' ? r.reason : ''}`);
  return { entries: r.value.map((e) => [e.pid, e.tid, e.inode, e.error]), skipped: r.issues.map((i) => i.line) };
};

describe('parseProcNsListing on pasted listings', () => {
  it('reads bare "/proc/PID/ns/net -> net:[N]" lines between a tutorial\'s prompts and outputs', () => {
    expect(facts(fixture('docker-net-modes-no-columns.txt'))).toEqual({
      entries: [[65571, null, 4026532355, null], [66156, null, 4026532355, null]],
      // The prompts, the container id and the pids docker inspect printed: skipped and counted.
      skipped: [1, 2, 3, 4, 5, 6, 7, 8, 10],
    });
  });

  it('reads the permissions column without owner and date, also glued to the path', () => {
    expect(facts(fixture('setns-note-permissions-only.txt')).entries).toEqual([[25686, null, 4026532281, null], [28499, null, 4026532281, null]]);
  });

  it('reads full columns as published, skipping /proc/self', () => {
    expect(facts(fixture('runc-lesson-full-columns.txt'))).toEqual({ entries: [[62, null, 4026532571, null]], skipped: [2] });
  });

  it('reads a listing whose newlines a paste lost, bare or with columns and ls errors', () => {
    expect(facts(fixture('docker-net-modes-collapsed.txt'))).toEqual({
      entries: [[1, null, 4026531957, null], [22865, null, 4026531957, null], [65571, null, 4026532355, null], [66156, null, 4026532355, null]],
      skipped: [],
    });
    expect(facts(fixture('this-machine-collapsed.txt'))).toEqual({
      entries: [[1, null, null, 'denied'], [10, null, 4026531833, null], [10963, null, 4026532701, null], [28587, 28588, 4026531833, null], [99999, null, null, 'vanished']],
      skipped: [],
    });
    // The same facts as the machine's listing one entry per line (above), but for its /proc/self line, which the collapsed copy left out.
    const lines = facts(LISTING).entries;
    expect(facts(fixture('this-machine-collapsed.txt')).entries).toEqual(lines);
  });

  it('splits a collapsed listing in linear time (a long run of spaces, many entries)', () => {
    const spaces = ' '.repeat(1 << 20);
    expect(facts(`/proc/1/ns/net -> net:[4026531833]${spaces}/proc/2/ns/net -> net:[4026531833]`).entries).toHaveLength(2);
    expect(facts(`lrwxrwxrwx /proc/1/ns/net -> net:[4026531833]${spaces}lrwxrwxrwx /proc/2/ns/net -> net:[4026531833]${spaces}`).entries).toHaveLength(2);
    const many = Array.from({ length: 20_000 }, (_, i) => `/proc/${i + 1}/ns/net -> net:[4026532${String(i % 1000).padStart(3, '0')}]`).join(' ');
    expect(facts(many).entries).toHaveLength(20_000);
  });
});
