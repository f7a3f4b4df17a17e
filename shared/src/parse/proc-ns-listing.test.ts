import { describe, expect, it } from 'vitest';
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
