import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BundleSchema, correlateBundle, UNKNOWN_HOST_NETNS } from '@nsnap/shared';
import { UsageError } from '../exit-codes.js';
import { assembleImport, NOT_IMPORTED, type ImportInput } from './assemble.js';
import { parseNetnsArg } from './netns-target.js';
import type { SourceFile } from './read-source.js';

// Real outputs (iproute2 6.1, util-linux 2.38, Debian 12, root in a sandbox that denies /proc/1/ns/net):
// named namespace zqa with a sleeper (pid 25512) and a veth from the host; pid 300 in an unnamed namespace.
const HOST_LINKS = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
1690: zqha@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether ca:0c:52:08:be:e9 brd ff:ff:ff:ff:ff:ff link-netns zqa
`;
const ZQA_LINKS = `1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: eth0@if1690: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether 4a:04:81:a9:c4:f8 brd ff:ff:ff:ff:ff:ff link-netnsid 1
`;
const PROC_NS = `ls: cannot read symbolic link '/proc/1/ns/net': Permission denied
ls: cannot access '/proc/25050/ns/net': No such file or directory
lrwxrwxrwx 1 root root 0 Nov 29 03:38 /proc/1/ns/net
lrwxrwxrwx 1 root root 0 Nov 29 03:41 /proc/2/ns/net -> net:[4026531833]
lrwxrwxrwx 1 root root 0 Nov 29 03:41 /proc/78/ns/net -> net:[4026531833]
lrwxrwxrwx 1 root root 0 Nov 29 03:41 /proc/300/ns/net -> net:[4026532301]
lrwxrwxrwx 1 root root 0 Nov 29 03:41 /proc/25512/ns/net -> net:[4026532177]
`;
const LSNS = `        NS TYPE NPROCS   PID USER    NETNSID NSFS           COMMAND
4026531833 net      74     2 root unassigned                kthreadd
4026532177 net       1 25512 root          0 /run/netns/zqa sleep 300
4026532301 net       1   300 root unassigned                sleep 100000
`;
const HOST = 4026531833;
const ZQA = 4026532177;
const UNNAMED = 4026532301;

function source(role: string, flag: string, text: string, name = `${role.replace(/:/g, '-')}.txt`): SourceFile {
  return { role, flag, name, text, sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
}

function netns(arg: string, text: string): ImportInput['netns'][number] {
  const { target } = parseNetnsArg(`${arg}=x`);
  return { target, file: source(`netns:${arg}`, `--netns ${arg}=…`, text) };
}

function input(over: Partial<ImportInput> = {}): ImportInput {
  return {
    host: 'web-3',
    takenAt: '2025-11-29T03:41:00.000Z',
    tags: {},
    bootId: null,
    hostNetns: null,
    ipLink: source('ip-link', '--ip-link', HOST_LINKS),
    procNs: source('proc-ns', '--proc-ns', PROC_NS),
    lsns: source('lsns', '--lsns', LSNS),
    netnsListId: null,
    netns: [netns('25512', ZQA_LINKS)],
    ...over,
  };
}

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('assembleImport', () => {
  it('builds a schema-valid imported bundle whose veth pairs the analyzer code finds', () => {
    const { bundle } = assembleImport(input());
    expect(BundleSchema.parse(bundle)).toEqual(bundle);
    expect(bundle.collector).toMatchObject({ mode: 'import', sources: [{ role: 'ip-link', name: 'ip-link.txt', bytes: Buffer.byteLength(HOST_LINKS) }, { role: 'proc-ns' }, { role: 'lsns' }, { role: 'netns:25512' }] });
    expect(bundle.takenAt).toEqual({ start: '2025-11-29T03:41:00.000Z', end: '2025-11-29T03:41:00.000Z' });
    expect(bundle.handles).toEqual([{ kind: 'named', path: '/run/netns/zqa', name: 'zqa', inode: ZQA, error: null }]);
    expect(bundle.nsidMaps).toEqual([expect.objectContaining({ observer: HOST, capture: expect.objectContaining({ spec: 'lsns_net_text', argv: ['lsns', '-t', 'net'], stdout: LSNS }) })]);
    const zqa = bundle.namespaces.find((n) => n.inode === ZQA)!;
    expect(zqa.entered).toEqual({ via: 'pid', path: '/proc/25512/ns/net', pid: 25512 });
    expect(zqa.captures[0]).toMatchObject({ spec: 'ip_link_text', argv: ['nsenter', '--net=/proc/25512/ns/net', 'ip', '-d', 'link', 'show'], stdout: ZQA_LINKS, exitCode: null });
    const pairs = correlateBundle(bundle).correlation.pairs.map((p) => [p.a, p.b].map((e) => `${e.netns}/${e.ifname}`).sort().join(' ⇄ '));
    expect(pairs).toEqual([`${HOST}/zqha ⇄ ${ZQA}/eth0`]);
  });

  it('takes the host namespace from pid 2 when pid 1 is denied, and keeps the denied pid as data', () => {
    const { bundle } = assembleImport(input());
    expect(bundle.hostNetns).toEqual({ inode: HOST, error: null });
    expect(bundle.namespaces[0]).toMatchObject({ inode: HOST, isHost: true, entered: { via: 'self' } });
    expect(bundle.processes.find((p) => p.pid === 1)).toEqual({ pid: 1, netns: null, netnsError: 'denied', comm: null, cgroup: null, startTime: null });
    expect(bundle.processes.find((p) => p.pid === 25050)).toMatchObject({ netns: null, netnsError: 'vanished' });
    expect(bundle.gaps).toContainEqual(expect.objectContaining({ probe: 'import', reason: 'denied', subject: '1 pid' }));
  });

  it('records a namespace the listings mention but no file covers as not captured, with a gap', () => {
    const { bundle } = assembleImport(input());
    expect(bundle.namespaces.map((n) => n.inode)).toEqual([HOST, ZQA, UNNAMED]);
    expect(bundle.namespaces[2]).toEqual({ inode: UNNAMED, isHost: false, entered: null, attempts: [], captures: [], failure: { reason: 'failed', detail: NOT_IMPORTED } });
    expect(bundle.gaps).toContainEqual({ probe: 'import', subject: `netns ${UNNAMED}`, reason: 'failed', detail: NOT_IMPORTED });
    expect(correlateBundle(bundle).view.input.missing.get(UNNAMED)).toMatch(NOT_IMPORTED);
  });

  it('finds a namespace by its /run/netns name (lsns NSFS) or by its inode', () => {
    const byName = assembleImport(input({ netns: [netns('name:zqa', ZQA_LINKS)] })).bundle.namespaces.find((n) => n.inode === ZQA)!;
    expect(byName.entered).toEqual({ via: 'file', path: '/run/netns/zqa', pid: null });
    expect(byName.captures[0]!.argv).toEqual(['ip', 'netns', 'exec', 'zqa', 'ip', '-d', 'link', 'show']);
    const byInode = assembleImport(input({ netns: [netns(String(ZQA), ZQA_LINKS)] })).bundle.namespaces.find((n) => n.inode === ZQA)!;
    expect(byInode).toMatchObject({ entered: null, failure: null, captures: [{ argv: ['ip', '-d', 'link', 'show'] }] });
  });

  it('without a /proc listing, takes the host and pids from lsns', () => {
    const { bundle } = assembleImport(input({ procNs: null }));
    expect(bundle.hostNetns.inode).toBe(HOST);
    expect(bundle.namespaces.find((n) => n.inode === ZQA)?.failure).toBeNull();
    expect(bundle.processes).toEqual([]);
  });

  it('records the host namespace of a lone ip link paste as unknown, never guessed', () => {
    const lone = assembleImport(input({ procNs: null, lsns: null, netns: [] }));
    expect(lone.bundle.hostNetns).toEqual({ inode: null, error: null });
    expect(lone.bundle.namespaces).toEqual([expect.objectContaining({ inode: UNKNOWN_HOST_NETNS, isHost: true, failure: null })]);
    expect(lone.bundle.gaps).toEqual([{ probe: 'import', subject: 'host netns', reason: 'failed', detail: expect.stringContaining('inode unknown') }]);
    expect(lone.notes.join('\n')).toMatch(/inode is unknown .* --ip-link "ip-link.txt" is its capture/);
    // The key is above any 32-bit kernel inode, so it never names a real namespace.
    expect(UNKNOWN_HOST_NETNS).toBeGreaterThan(0xffff_ffff);
  });

  it('refuses to guess the host namespace among listed ones, and says which flag settles it', () => {
    const denied = usageError(() => assembleImport(input({ procNs: source('proc-ns', '--proc-ns', PROC_NS.split('\n').filter((l) => !l.includes('/proc/2/')).join('\n')), lsns: null, netns: [] })));
    expect(denied).toMatch(/neither pid 1 nor pid 2 is readable in --proc-ns "proc-ns.txt"/);
    const stated = assembleImport(input({ procNs: null, lsns: null, netns: [], hostNetns: 4026531999 })).bundle;
    expect(stated.hostNetns.inode).toBe(4026531999);
  });

  it('names the pid, the name or the files that do not fit together', () => {
    expect(usageError(() => assembleImport(input({ netns: [netns('4242', ZQA_LINKS)] })))).toMatch(/--netns pid:4242: pid 4242 is not in the --proc-ns listing "proc-ns.txt" nor in the --lsns listing/);
    expect(usageError(() => assembleImport(input({ netns: [netns('1', ZQA_LINKS)] })))).toMatch(/--netns pid:1: .* has pid 1 but not its namespace \(denied\)/);
    expect(usageError(() => assembleImport(input({ procNs: null, lsns: null, hostNetns: HOST, netns: [netns('25512', ZQA_LINKS)] })))).toMatch(/needs --proc-ns FILE/);
    expect(usageError(() => assembleImport(input({ netns: [netns('name:zqb', ZQA_LINKS)] })))).toMatch(/--netns name:zqb: no \/run\/netns\/zqb in --lsns "lsns.txt"/);
    expect(usageError(() => assembleImport(input({ netns: [netns('2', ZQA_LINKS)] })))).toMatch(/--netns 2=… and --ip-link are both for namespace 4026531833 \(the host/);
    expect(usageError(() => assembleImport(input({ netns: [netns('25512', ZQA_LINKS), netns(`inode:${ZQA}`, ZQA_LINKS)] })))).toMatch(/both for namespace 4026532177/);
  });

  it('refuses a file that is not what its flag says, and keeps a pasted error message as a failed capture', () => {
    expect(usageError(() => assembleImport(input({ ipLink: source('ip-link', '--ip-link', LSNS) })))).toMatch(/^--ip-link "ip-link.txt": not an `ip link show` output/);
    expect(usageError(() => assembleImport(input({ ipLink: source('ip-link', '--ip-link', '') })))).toMatch(/the file is empty/);
    expect(usageError(() => assembleImport(input({ procNs: source('proc-ns', '--proc-ns', HOST_LINKS) })))).toMatch(/^--proc-ns "proc-ns.txt": not an `ls -l \/proc\/\*\/ns\/net` listing/);
    expect(usageError(() => assembleImport(input({ lsns: source('lsns', '--lsns', PROC_NS) })))).toMatch(/^--lsns "lsns.txt": not an `lsns -t net` listing/);
    const pasted = 'nsenter: cannot open /proc/25512/ns/net: No such file or directory\n';
    const { bundle, notes } = assembleImport(input({ netns: [netns('25512', pasted)] }));
    const zqa = bundle.namespaces.find((n) => n.inode === ZQA)!;
    expect(zqa.captures[0]!.stdout).toBe(pasted);
    expect(zqa.failure).toMatchObject({ reason: 'vanished' });
    expect(bundle.gaps).toContainEqual(expect.objectContaining({ subject: `netns ${ZQA}`, reason: 'vanished' }));
    expect(notes.join('\n')).toMatch(/holds an error message/);
  });

  it('tells `ip -j` JSON from text by content, and JSON/text map files by their first character', () => {
    const json = JSON.stringify([{ ifindex: 1, ifname: 'lo', flags: ['LOOPBACK'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback' }]);
    const { bundle } = assembleImport(input({
      ipLink: source('ip-link', '--ip-link', json),
      lsns: source('lsns', '--lsns', JSON.stringify({ namespaces: [{ ns: HOST, pid: 2, netnsid: 'unassigned', nsfs: null }, { ns: ZQA, pid: 25512, netnsid: '0', nsfs: '/run/netns/zqa' }] })),
      netnsListId: source('netns-list-id', '--netns-list-id', 'nsid 0 (iproute2 netns name: zqa)\n'),
    }));
    expect(bundle.namespaces[0]!.captures[0]).toMatchObject({ spec: 'ip_link_json', argv: ['ip', '-d', '-j', 'link', 'show'] });
    expect(bundle.nsidMaps.map((m) => [m.capture.spec, m.capture.argv.join(' ')])).toEqual([['lsns_net_json', 'lsns -J -t net'], ['ip_netns_list_id_text', 'ip netns list-id']]);
    expect(correlateBundle(bundle).correlation.nsidMaps).toContainEqual(expect.objectContaining({ observer: HOST, nsid: 0, target: ZQA, method: 'nsid-map' }));
  });

  it('says how many lines of a file it skipped, and which first', () => {
    const { notes } = assembleImport(input({ procNs: source('proc-ns', '--proc-ns', `${PROC_NS}lrwxrwxrwx 1 root root 0 Nov 29 03:41 /proc/self/ns/net -> net:[4026531833]\n`) }));
    expect(notes).toEqual([expect.stringMatching(/^--proc-ns "proc-ns.txt": 1 line not understood and skipped \(first: line 8: /)]);
  });

  it('gives the same files the same snapshot id, and other files another', () => {
    const a = assembleImport(input()).bundle;
    expect(assembleImport(input()).bundle).toEqual(a);
    expect(a.snapshotId.replace(/-/g, '').slice(0, 12)).toBe(Date.parse(a.takenAt.start).toString(16).padStart(12, '0'));
    expect(assembleImport(input({ netns: [netns('25512', `${ZQA_LINKS}\n`)] })).bundle.snapshotId).not.toBe(a.snapshotId);
    expect(assembleImport(input({ tags: { phase: 'post' } })).bundle.snapshotId).not.toBe(a.snapshotId);
  });

  it('never fails with anything but a usage error, whatever the files hold', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 400 }), fc.string({ maxLength: 400 }), (links, listing, lsns) => {
        try {
          const { bundle } = assembleImport(input({ ipLink: source('ip-link', '--ip-link', links), procNs: source('proc-ns', '--proc-ns', listing), lsns: source('lsns', '--lsns', lsns), netns: [] }));
          expect(bundle.collector.mode).toBe('import');
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseNetnsArg', () => {
  it('tells a pid from an inode by the largest pid, 2^22: the fixed initial inode of Linux 6.x is below 0xF0000000', () => {
    expect(parseNetnsArg('3793=a.txt')).toEqual({ target: { by: 'pid', pid: 3793 }, file: 'a.txt' });
    expect(parseNetnsArg('4194304=a.txt')).toEqual({ target: { by: 'pid', pid: 4194304 }, file: 'a.txt' });
    expect(parseNetnsArg('4194305=a.txt')).toEqual({ target: { by: 'inode', inode: 4194305 }, file: 'a.txt' });
    expect(parseNetnsArg('4026531833=a.txt')).toEqual({ target: { by: 'inode', inode: 4026531833 }, file: 'a.txt' });
    expect(parseNetnsArg('4026531840=b=c.txt')).toEqual({ target: { by: 'inode', inode: 4026531840 }, file: 'b=c.txt' });
    expect(parseNetnsArg('inode:12=x')).toEqual({ target: { by: 'inode', inode: 12 }, file: 'x' });
    expect(parseNetnsArg('pid:7=x')).toEqual({ target: { by: 'pid', pid: 7 }, file: 'x' });
    expect(parseNetnsArg('web=x')).toEqual({ target: { by: 'name', name: 'web' }, file: 'x' });
    expect(parseNetnsArg('name:42=x')).toEqual({ target: { by: 'name', name: '42' }, file: 'x' });
  });

  it('names the bad argument', () => {
    expect(() => parseNetnsArg('3793')).toThrow(/--netns "3793": expected KEY=FILE/);
    expect(() => parseNetnsArg('3793=')).toThrow(/expected KEY=FILE/);
    expect(() => parseNetnsArg('pid:0=x')).toThrow(/"0" is not a pid/);
    expect(() => parseNetnsArg('pid:4194305=x')).toThrow(/"4194305" is not a pid \(1 to 4194304\)/);
    expect(() => parseNetnsArg('name:../x=y')).toThrow(/is not a namespace name/);
  });

  it('keeps an `ip netns` listing verbatim as the host\'s map, bytes that are not UTF-8 included', () => {
    // A name is any bytes but / and NUL: \udcff stands for the byte 0xff, as decodeUtf8b gives it.
    const listed = 'zqa (id: 0)\nzq\udcff\n';
    const { bundle } = assembleImport(input({ netnsList: { ...source('ip-netns', '--sos', listed), command: ['ip', 'netns'] } }));
    expect(BundleSchema.parse(bundle).nsidMaps.map((m) => [m.observer, m.capture.spec, m.capture.argv, m.capture.stdout, m.capture.encoding])).toContainEqual([HOST, 'ip_netns_text', ['ip', 'netns'], listed, 'utf-8b']);
    expect(bundle.collector.sources.map((s) => s.role)).toContain('ip-netns');
  });
});
