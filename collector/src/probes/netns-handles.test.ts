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
