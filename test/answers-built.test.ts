import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@nsnap/analyzer';
import { ADDRESS_SQL } from '../analyzer/src/query/whois-address.js';
import { CAPTURE_SQL } from '../analyzer/src/query/capture.js';
import { HOLDS_SQL, UNREADABLE_LIVE_SQL } from '../analyzer/src/query/leak-facts.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { dockerNode, NS, POD_CONTAINER, POD_UID, WEB_CONTAINER } from './support/docker-node.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { assertNoFullScan, planOf } from './support/query-plan.js';

interface Command { on: string; via: string; device: { netns: number; ifname: string }; shell: string | null; verify: { pid: number; startTime: number | null; checks: { shell: string; expect: string }[] } | null }
interface Capture { status: string; reason: string | null; device: { netns: number; ifname: string } | null; commands: Command[]; candidates: { netns: number; ifname: string }[] }

/**
 * capture, whois ADDRESS and check on hand-built snapshots: what a real
 * kernel here cannot show (containers named by their cgroups, a pod's pause
 * process, a host where every process was readable).
 */
describe('capture, whois ADDRESS and check on a hand-built container node', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-answers-built-'));
  const db = path.join(dir, 'nsnap.db');
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const json = async <T>(...args: string[]) => {
    const r = await nsnap(...args, '--json');
    return { exitCode: r.exitCode, body: JSON.parse(String(r.stdout)) as T, stderr: String(r.stderr) };
  };

  beforeAll(async () => {
    writeBundle(path.join(dir, 'b'), dockerNode({ host: 'node-1' }).build());
    // A node where every process was read: a namespace kept by a name only, holding a pod IP.
    const tidy = new BundleBuilder({ host: 'node-2' })
      .namespace({ inode: NS.host, host: true, links: [{ ifindex: 5, ifname: 'vethleak', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
      .namespace({ inode: NS.web, names: ['cni-gone'], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 5, linkNetnsid: 0, addrs: [{ family: 'inet', local: '10.244.1.7', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] }] })
      .process({ pid: 2, netns: NS.host, comm: 'kthreadd' })
      .process({ pid: 900, netns: null, comm: 'gone', netnsError: 'vanished' })
      .lsns(NS.host, [{ inode: NS.host, nsid: null, pid: 2 }, { inode: NS.web, nsid: 0 }]);
    writeBundle(path.join(dir, 'b'), tidy.build());
    // node-3: one address over six snapshots: held, not captured (a gap), held, given up, held again, held after a reboot.
    const times = ['10:00', '10:10', '10:20', '10:30', '10:40', '10:50'];
    times.forEach((t, n) => {
      const held = n !== 3;
      const web = n === 1
        ? { inode: NS.web, failure: { reason: 'timeout' as const, detail: 'ip did not answer' } }
        : { inode: NS.web, links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 5, linkNetnsid: 0, addrs: held ? [{ family: 'inet' as const, local: '10.5.5.5', prefixlen: 24 }] : [] }] };
      const b = new BundleBuilder({ host: 'node-3', takenAt: `2026-11-29T${t}:00.000Z`, ...(n === 5 ? { bootId: '0b0b0b0b-aaf3-499b-97a5-298c8b4a3794' } : {}) })
        .namespace({ inode: NS.host, host: true, links: [{ ifindex: 5, ifname: 'vethweb', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
        .namespace(web)
        .process({ pid: 2, netns: NS.host, comm: 'kthreadd' })
        .process({ pid: 1557, netns: NS.web, comm: 'sleep' })
        .lsns(NS.host, [{ inode: NS.host, nsid: null, pid: 2 }, { inode: NS.web, nsid: 0, pid: 1557 }]);
      writeBundle(path.join(dir, 'b'), b.build());
    });
    const r = await runCli(ANALYZER_BIN, ['ingest', path.join(dir, 'b'), '--db', db]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('captures in a pod\'s namespace through its pause process, with the checks of its pid, and on the host-side veth', async () => {
    for (const what of [POD_UID, `pod:${POD_UID.toUpperCase()}`, POD_CONTAINER.slice(0, 12)]) {
      const r = await json<Capture>('capture', what, '--host', 'node-1');
      expect(r.exitCode, `${what}: ${r.stderr}`).toBe(0);
      expect(r.body.commands.map((c) => [c.on, c.via, c.shell]), what).toEqual([
        ['device', 'pid', 'nsenter --net=/proc/2001/ns/net tcpdump -i eth0 -nn'],
        ['peer', 'host', 'tcpdump -i vethpod1 -nn'],
      ]);
      expect(r.body.commands[0]!.verify).toMatchObject({ pid: 2001, startTime: 3001 });
      expect(r.body.commands[0]!.verify!.checks.map((c) => c.expect)).toEqual([`net:[${NS.pod}]`, '3001', '77d9ea14-aaf3-499b-97a5-298c8b4a3794']);
    }
    const text = await nsnap('capture', POD_UID, '--host', 'node-1');
    expect(String(text.stdout)).toContain('pid 2001 (pause) was the namespace\'s oldest process at the snapshot, started 3001 ticks after boot;');
    expect(String(text.stdout)).toContain('    readlink /proc/2001/ns/net    prints net:[4026532702]');
  });

  it('enters through the oldest of several processes', async () => {
    const r = await json<Capture>('capture', 'eth0', '--netns', String(NS.web), '--host', 'node-1');
    expect(r.body.commands[0]).toMatchObject({ via: 'pid', shell: 'nsenter --net=/proc/1557/ns/net tcpdump -i eth0 -nn' });
  });

  it('calls a container with two devices besides lo ambiguous, listing both', async () => {
    const r = await json<Capture>('capture', `container:${WEB_CONTAINER.slice(0, 8)}`, '--host', 'node-1');
    expect([r.exitCode, r.body.status]).toEqual([1, 'ambiguous']);
    expect(r.body.candidates.map((c) => [c.netns, c.ifname])).toEqual([[NS.web, 'eth0'], [NS.web, 'mv0']]);
  });

  it('gives no peer command where the peer is not proven (dangling, ambiguous)', async () => {
    const dead = await json<Capture>('capture', 'vethdead', '--netns', 'host', '--host', 'node-1');
    expect(dead.body.commands.map((c) => [c.on, c.shell])).toEqual([['device', 'tcpdump -i vethdead -nn']]);
    const va = await json<Capture>('capture', 'va', '--host', 'node-1');
    expect([va.exitCode, va.body.status, va.body.candidates.map((c) => c.netns)]).toEqual([1, 'ambiguous', [NS.m1, NS.n1]]);
    const m1 = await json<Capture>('capture', 'va', '--netns', 'm1', '--host', 'node-1');
    expect(m1.body.commands.map((c) => [c.on, c.via, c.shell])).toEqual([['device', 'named-netns', 'ip netns exec m1 tcpdump -i va -nn']]);
  });

  it('says why a name or namespace cannot be used', async () => {
    const none = await nsnap('capture', 'eth0', '--netns', 'nosuch', '--host', 'node-1');
    expect([none.exitCode, String(none.stderr)]).toEqual([2, expect.stringContaining('--netns "nosuch": no namespace of that inode or name')]);
    const bad = await nsnap('capture', 'a b', '--host', 'node-1');
    expect([bad.exitCode, String(bad.stderr)]).toEqual([2, expect.stringContaining('capture "a b": expected an interface name')]);
  });

  it('whois finds an address in the host and in a container', async () => {
    const r = await json<{ matches: { netns: number; ifname: string; address: string }[] }>('whois', '172.17.0.2', '--host', 'node-1');
    expect(r.body.matches.map((m) => [m.netns, m.ifname, m.address])).toEqual([[NS.web, 'eth0', '172.17.0.2/16']]);
    const h = await json<{ matches: { host: boolean; ifname: string }[] }>('whois', '172.17.0.1/16', '--host', 'node-1');
    expect(h.body.matches.map((m) => [m.host, m.ifname])).toEqual([[true, 'docker0']]);
  });

  it('whois ADDRESS --all: a period goes on over a snapshot that could not capture the namespace, ends where the address is gone, and at a reboot', async () => {
    const r = await json<{ periods: { first: { takenAt: string }; last: { takenAt: string }; snapshots: number; gaps: number; netns: number; match: { address: string; peer: { ifname: string } | null } }[] }>('whois', '10.5.5.5', '--all', '--host', 'node-3');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.body.periods.map((p) => [p.first.takenAt.slice(11, 16), p.last.takenAt.slice(11, 16), p.snapshots, p.gaps, p.match.address, p.match.peer?.ifname])).toEqual([
      ['10:00', '10:20', 2, 1, '10.5.5.5/24', 'vethweb'],
      ['10:40', '10:40', 1, 0, '10.5.5.5/24', 'vethweb'],
      ['10:50', '10:50', 1, 0, '10.5.5.5/24', 'vethweb'],
    ]);
    const text = String((await nsnap('whois', '10.5.5.5', '--all', '--host', 'node-3')).stdout);
    expect(text).toContain('10.5.5.5 on host node-3: 3 periods');
    expect(text).toContain('over 1 snapshot that could not capture it');
    const none = await json<{ periods: unknown[] }>('whois', '10.5.5.6', '--all', '--host', 'node-3');
    expect([none.exitCode, none.body.periods]).toEqual([1, []]);
  });

  it('check: a leaked pod IP where every process was read (one that exited mid-scan lives nowhere), none where every namespace with an address has a process', async () => {
    const tidy = await json<{ findings: { kind: string; netns: number; addresses?: string[]; detail: string }[] }>('check', '--host', 'node-2');
    expect(tidy.body.findings.filter((f) => f.kind.startsWith('leaked')).map((f) => [f.kind, f.netns, f.addresses, f.detail])).toEqual([
      ['leaked-address', NS.web, ['10.244.1.7/24 on eth0'], 'holds 10.244.1.7/24 on eth0 with no process in it; kept alive by /run/netns/cni-gone'],
    ]);
    // node-1: m1…n2 hold no address, the pod and the container have processes: nothing leaked to report.
    const node1 = await json<{ findings: { kind: string }[] }>('check', '--host', 'node-1');
    expect(node1.body.findings.filter((f) => f.kind.startsWith('leaked'))).toEqual([]);
  });
});

describe('query plans of the answers\' lookups', () => {
  const db = openDatabase(':memory:', { mustExist: false });
  db.exec('ANALYZE');
  afterAll(() => db.close());
  const indexed = (sql: string, params: unknown[] | Record<string, unknown>) => {
    const details = planOf(db, sql, params);
    assertNoFullScan(details);
    return details.join(' | ');
  };

  it('walks one snapshot by its indexes: addresses, pods, named namespaces, holds, unreadable processes', () => {
    // The per-snapshot tables are views over span tables (docs/schema.md): each lookup ranges over the spans held at the snapshot.
    expect(indexed(ADDRESS_SQL.withAddresses, [1])).toMatch(/SEARCH interface_spans USING INDEX interface_spans_/);
    expect(indexed(ADDRESS_SQL.row, [1, 1])).toMatch(/SEARCH interface_spans USING INDEX interface_spans_/);
    expect(indexed(ADDRESS_SQL.isHost, [1, 2])).toMatch(/SEARCH namespace_spans USING INDEX namespace_spans_/);
    expect(indexed(CAPTURE_SQL.podNetns, [1, 'x'])).toMatch(/SEARCH container_spans USING INDEX container_spans_/);
    expect(indexed(CAPTURE_SQL.namedNetns, [1, 'x'])).toMatch(/SEARCH handle_spans USING INDEX handle_spans_/);
    indexed(CAPTURE_SQL.hostNetns, [1]);
    indexed(HOLDS_SQL, [1]);
    expect(indexed(UNREADABLE_LIVE_SQL, [1])).toMatch(/SEARCH process_spans USING INDEX process_spans_/);
  });
});
