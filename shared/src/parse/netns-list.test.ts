import { describe, expect, it } from 'vitest';
import { parseNetnsList, parseNetnsListId } from './netns-list.js';

describe('parseNetnsListId', () => {
  it('reads named and unnamed nsids (ip netns list-id, iproute2 6.1)', () => {
    expect(parseNetnsListId('nsid 0 (iproute2 netns name: zq1a)\nnsid 1\n')).toEqual({
      status: 'parsed',
      value: [
        { nsid: 0, inode: null, name: 'zq1a' },
        { nsid: 1, inode: null, name: null },
      ],
      issues: [],
    });
  });

  it('reports lines that are not nsids and tells the outcomes apart', () => {
    const r = parseNetnsListId('nsid 0\ngarbage\n');
    expect(r).toMatchObject({ status: 'parsed', value: [{ nsid: 0 }], issues: [{ line: 2 }] });
    expect(parseNetnsListId('').status).toBe('empty');
    expect(parseNetnsListId('Object "netns" is unknown, try "ip help".\n').status).toBe('unusable');
    expect(parseNetnsListId('zq1a (id: 0)\n').status).toBe('unusable');
  });
});

describe('parseNetnsList', () => {
  it('reads names with and without an assigned nsid (ip netns list)', () => {
    expect(parseNetnsList('zq1b\nzq1a (id: 0)\n')).toEqual({
      status: 'parsed',
      value: [
        { name: 'zq1b', nsid: null },
        { name: 'zq1a', nsid: 0 },
      ],
      issues: [],
    });
  });

  it('refuses what cannot be a netns name', () => {
    const r = parseNetnsList('zq1a\n/run/netns/x\nthree words here\n');
    expect(r).toMatchObject({ status: 'parsed', value: [{ name: 'zq1a' }] });
    expect(r.issues.map((i) => i.line)).toEqual([2, 3]);
    expect(parseNetnsList('').status).toBe('empty');
  });
});
