import { describe, expect, it } from 'vitest';
import { parseLsnsJson } from './lsns-json.js';
import { parseLsnsTable } from './lsns-table.js';

// `lsns -t net` (util-linux 2.38): an empty NSFS cell, a multi-word COMMAND.
const DEFAULT_COLUMNS = `        NS TYPE NPROCS   PID USER     NETNSID NSFS            COMMAND
4026531833 net      74     2 root  unassigned                 kthreadd
4026532701 net       1  3793 root           0 /run/netns/zq1a sleep 100000
4026532810 net       2 10963 root           1                 /pause
`;

describe('parseLsnsTable', () => {
  it('gives each value to the heading it lies under, empty cells included', () => {
    const r = parseLsnsTable(DEFAULT_COLUMNS);
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.value.namespaces).toEqual([
      { inode: 4026531833, pid: 2, nsid: null, nsfs: null },
      { inode: 4026532701, pid: 3793, nsid: 0, nsfs: '/run/netns/zq1a' },
      { inode: 4026532810, pid: 10963, nsid: 1, nsfs: null },
    ]);
    expect(r.value.nsids).toEqual([
      { nsid: 0, inode: 4026532701, name: null },
      { nsid: 1, inode: 4026532810, name: null },
    ]);
  });

  it('reads chosen columns and agrees with the -J form', () => {
    const table = parseLsnsTable('        NS   PID    NETNSID NSFS\n4026531833     2 unassigned \n4026532701  3793          0 /run/netns/zq1a\n');
    const json = parseLsnsJson(
      '{"namespaces": [{"ns": 4026531833, "pid": 2, "netnsid": "unassigned", "nsfs": null}, {"ns": 4026532701, "pid": 3793, "netnsid": "0", "nsfs": "/run/netns/zq1a"}]}',
    );
    expect(table).toEqual(json);
    expect(parseLsnsTable('{"namespaces": []}')).toEqual(parseLsnsJson('{"namespaces": []}'));
  });

  it('reads old util-linux without NETNSID as nsid null', () => {
    const r = parseLsnsTable('        NS TYPE NPROCS PID USER COMMAND\n4026531957 net     112   1 root /sbin/init\n');
    expect(r).toMatchObject({ status: 'parsed', value: { namespaces: [{ inode: 4026531957, pid: 1, nsid: null }], nsids: [] } });
  });

  it('tells the three outcomes apart and reports rows it cannot read', () => {
    expect(parseLsnsTable('').status).toBe('empty');
    expect(parseLsnsTable('lsns: unknown column: FOO\n').status).toBe('unusable');
    const r = parseLsnsTable('        NS PID\nnot-a-number 5\n4026531833 2\n');
    expect(r).toMatchObject({ status: 'parsed', value: { namespaces: [{ inode: 4026531833, pid: 2 }] } });
    expect(r.issues).toHaveLength(1);
  });
});
