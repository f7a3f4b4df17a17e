import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nsfsMounts } from './netns-handles.js';

describe('nsfsMounts', () => {
  it('finds network namespace mounts, unescapes paths and ignores other nsfs mounts', () => {
    const text = readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/proc-tree/812/mountinfo'), 'utf8');
    expect(nsfsMounts(text)).toEqual([
      { path: '/run/netns/nsb1', inode: 4026532178 },
      { path: '/run/docker/netns/1a2b3c4d5e6f', inode: 4026532179 },
      { path: '/run/odd name', inode: 4026532181 },
    ]);
  });
  it('reads this machine’s mountinfo without throwing', () => {
    expect(Array.isArray(nsfsMounts(readFileSync('/proc/self/mountinfo', 'utf8')))).toBe(true);
  });
});

describe('nsfsMounts with a filter', () => {
  it('unescapes only the wanted namespaces and skips lines cut short or of other namespace types', () => {
    const text = [
      '1 2 0:4 net:[4026532001] /run/netns/known rw - nsfs nsfs rw',
      '3 2 0:4 net:[4026532002] /tmp/a\\040b rw shared:5 - nsfs nsfs rw',
      '4 2 0:4 mnt:[4026532003] /tmp/mnt rw - nsfs nsfs rw',
      '5 2 0:4 net:[4026532004] - nsfs nsfs rw',
      '6 2 - nsfs nsfs rw',
      '7 2 0:4 net:[99999999999999999999] /tmp/huge rw - nsfs nsfs rw',
      '8 2 0:21 / /srv rw - ext4 /dev/vda rw',
    ].join('\n');
    expect(nsfsMounts(text, (inode) => inode !== 4026532001)).toEqual([{ path: '/tmp/a b', inode: 4026532002 }]);
  });
});
