import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSources, openDatabase } from '@nsnap/analyzer';
import { SELECT_SQL, RANGE_SQL, SelectionError, parseSelector, parseTime, selectSnapshot } from '../analyzer/src/query/select.js';
import { WHOIS_SQL, parseWhat } from '../analyzer/src/query/whois.js';
import { WHOIS_HISTORY_SQL } from '../analyzer/src/query/whois-history.js';
import { diffSelected } from '../analyzer/src/query/diff-snapshots.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { assertNoFullScan, planOf } from './support/query-plan.js';

const HOST_NS = 4026531840;
const cid = (c: string) => c.repeat(64).slice(0, 64);
/** A MAC address that stays the same across snapshots for the same device. */
const mac = (inode: number, ifindex: number) => `02:42:${((inode % 256) >>> 0).toString(16).padStart(2, '0')}:00:00:${ifindex.toString(16).padStart(2, '0')}`;
const cgroup = (id: string) => `0::/system.slice/docker-${id}.scope\n`;

interface Container {
  inode: number;
  id: string;
  pid: number;
  /** The host end of its veth. */
  veth: { ifindex: number; ifname: string; mtu?: number; alias?: string };
}

/** A docker host with the given containers, each paired with the host through docker0 (nsids from the host's lsns map). */
function dockerHost(o: { host?: string; takenAt: string; tags?: Record<string, string>; bootId?: string; containers: Container[] }): BundleBuilder {
  const b = new BundleBuilder({ host: o.host ?? 'web-1', takenAt: o.takenAt, tags: o.tags, bootId: o.bootId });
  b.namespace({
    inode: HOST_NS,
    host: true,
    links: [
      { ifindex: 2, ifname: 'eth0', address: mac(HOST_NS, 2) },
      { ifindex: 3, ifname: 'docker0', kind: 'bridge', address: mac(HOST_NS, 3) },
      ...o.containers.map((c, nsid) => ({ ...c.veth, kind: 'veth', linkIndex: 2, linkNetnsid: nsid, master: 'docker0', address: mac(HOST_NS, c.veth.ifindex) })),
    ],
  });
  for (const c of o.containers) {
    // A veth's MAC is random per creation: another container on a reused inode has another one.
    b.namespace({ inode: c.inode, links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: c.veth.ifindex, linkNetnsid: 0, address: mac(c.inode + parseInt(c.id.slice(0, 6), 16), 2) }] });
    b.process({ pid: c.pid, netns: c.inode, comm: 'nginx', cgroup: cgroup(c.id) });
  }
  b.process({ pid: 812, netns: HOST_NS, comm: 'dockerd' });
  b.lsns(HOST_NS, [{ inode: HOST_NS, nsid: null, pid: 812 }, ...o.containers.map((c, nsid) => ({ inode: c.inode, nsid, pid: c.pid }))]);
  return b;
}

const WEB: Container = { inode: 4026532701, id: cid('a1'), pid: 1557, veth: { ifindex: 21, ifname: 'vethweb' } };
const API: Container = { inode: 4026532702, id: cid('b2'), pid: 1600, veth: { ifindex: 22, ifname: 'vethapi' } };
/** A later container that got the name vethweb again, on a new device. */
const WEB2: Container = { inode: 4026532703, id: cid('c3'), pid: 1700, veth: { ifindex: 23, ifname: 'vethweb' } };

const s1 = dockerHost({ takenAt: '2026-11-29T10:00:00.000Z', tags: { phase: 'pre-deploy' }, containers: [WEB, API] }).build();
const s2 = dockerHost({ takenAt: '2026-11-29T10:10:00.000Z', containers: [API] }).build();
const s3 = dockerHost({ takenAt: '2026-11-29T10:20:00.000Z', tags: { phase: 'post-deploy' }, containers: [{ ...API, veth: { ...API.veth, mtu: 9000 } }, WEB2] }).build();
const other = dockerHost({ host: 'web-2', takenAt: '2026-11-29T10:05:00.000Z', tags: { phase: 'pre-deploy' }, containers: [] }).build();

describe('snapshot selectors', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-time-sel-'));
  const db = openDatabase(':memory:', { mustExist: false });
  beforeAll(() => {
    expect(ingestSources(db, [s1, s2, s3, other].map((b) => writeBundle(dir, b))).ingested).toBe(4);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sel = (snapshot: string, host: string | null = 'web-1') => selectSnapshot(db, { snapshot, host });

  it('latest and latest~N count back through one host\'s snapshots', () => {
    expect(sel('latest').id).toBe(s3.snapshotId);
    expect(sel('LATEST~0').id).toBe(s3.snapshotId);
    expect(sel('latest~1').id).toBe(s2.snapshotId);
    expect(sel('latest~2').id).toBe(s1.snapshotId);
    expect(() => sel('latest~3')).toThrow(/the host has only 3 snapshots \(latest~2 is the oldest\)/);
    expect(sel('latest', 'web-2').id).toBe(other.snapshotId);
  });

  it('@TIME is the snapshot in force then, and remembers the time asked', () => {
    expect(sel('@2026-11-29T10:15Z')).toMatchObject({ id: s2.snapshotId, asOf: '2026-11-29T10:15:00.000Z' });
    expect(sel('@2026-11-29T10:10:00.000Z').id).toBe(s2.snapshotId);
    expect(sel('@2026-11-29T10:09:59.999Z').id).toBe(s1.snapshotId);
    expect(sel('@2026-11-29T12:15+02:00').id).toBe(s2.snapshotId);
    expect(sel('@2026-11-30').id).toBe(s3.snapshotId);
    expect(() => sel('@2026-11-29T09:59Z')).toThrow(/no snapshot of host "web-1" was taken at or before 2026-11-29T09:59:00.000Z/);
  });

  it('tag:KEY=VALUE is the newest snapshot carrying the tag', () => {
    expect(sel('tag:phase=pre-deploy').id).toBe(s1.snapshotId);
    expect(sel('tag:phase=post-deploy', null).id).toBe(s3.snapshotId);
    expect(() => sel('tag:phase=nope', null)).toThrow(/no snapshot carries tag "phase=nope"/);
    expect(() => sel('tag:phase=nope')).toThrow(/no snapshot of host "web-1" carries tag "phase=nope"/);
  });

  it('refuses what several hosts answer without --host, naming the hosts', () => {
    for (const s of ['latest', 'latest~1', '@2026-11-29T10:07Z', 'tag:phase=pre-deploy']) {
      expect(() => sel(s, null)).toThrow(SelectionError);
      expect(() => sel(s, null)).toThrow(/is ambiguous: the database holds snapshots of 2 hosts \(web-1, web-2\); choose one with --host/);
    }
    // Only web-1 had a snapshot by 10:02: no ambiguity.
    expect(sel('@2026-11-29T10:02Z', null).id).toBe(s1.snapshotId);
    expect(sel(s2.snapshotId.slice(0, 20), null).id).toBe(s2.snapshotId);
    expect(() => sel(other.snapshotId)).toThrow(/no snapshot ".*" of host "web-1"/);
  });

  it('parses selectors and times strictly', () => {
    expect(parseSelector('latest~12')).toEqual({ kind: 'latest', back: 12 });
    expect(parseSelector('tag:ci/job=a=b')).toEqual({ kind: 'tag', key: 'ci/job', value: 'a=b' });
    expect(parseSelector('01A2B3C4')).toEqual({ kind: 'id', prefix: '01a2b3c4' });
    for (const bad of ['latest~', 'latest~-1', 'tag:=x', 'tag:phase', '../etc', '@yesterday', '@2026-02-30', '@2026-11-29T25:00Z']) {
      expect(() => parseSelector(bad), bad).toThrow(SelectionError);
    }
    expect(parseTime('2026-11-29 03:12', '--at')).toBe('2026-11-29T03:12:00.000Z');
    expect(parseTime('2026-11-29T03:12:05.25-0130', '--at')).toBe('2026-11-29T04:42:05.250Z');
    expect(parseTime('now', '--at', () => new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000Z');
    expect(() => parseTime('2026-13-01', '--since')).toThrow(/--since: "2026-13-01" is not a time/);
  });

  it('parses whois queries: pid, inode, container prefix, interface name', () => {
    expect(parseWhat('1557')).toEqual([{ kind: 'pid', pid: 1557 }]);
    expect(parseWhat('4026532701')).toEqual([{ kind: 'netns', inode: 4026532701 }]);
    expect(parseWhat('net:[4026532701]')).toEqual([{ kind: 'netns', inode: 4026532701 }]);
    expect(parseWhat('veth4a67fcf')).toEqual([{ kind: 'interface', name: 'veth4a67fcf' }]);
    expect(parseWhat('d0b3604b67ac')).toEqual([{ kind: 'interface', name: 'd0b3604b67ac' }, { kind: 'container', prefix: 'd0b3604b67ac' }]);
    expect(parseWhat('if:1557')).toEqual([{ kind: 'interface', name: '1557' }]);
    expect(() => parseWhat('a b')).toThrow(/expected an interface name/);
  });
});

describe('identity rules on ingested snapshots: reboot and inode reuse', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-time-id-'));
  const db = openDatabase(':memory:', { mustExist: false });
  const BOOT_A = '11111111-1111-4111-8111-111111111111';
  const BOOT_B = '22222222-2222-4222-8222-222222222222';
  const bare = (b: BundleBuilder, inode: number, pid: number) => b.namespace({ inode, links: [] }).process({ pid, netns: inode, comm: 'unshare' });
  const r1 = bare(dockerHost({ host: 'db-1', takenAt: '2026-11-29T10:00:00.000Z', bootId: BOOT_A, containers: [API] }), 4026532900, 3000).build();
  // After a reboot the kernel numbers namespaces afresh: the API container (restarted) got another inode.
  const r2 = bare(dockerHost({ host: 'db-1', takenAt: '2026-11-29T11:00:00.000Z', bootId: BOOT_B, containers: [{ ...API, inode: 4026532999, pid: 900 }] }), 4026532901, 950).build();
  // Same boot: the API container's inode was reused by another container.
  const r3 = dockerHost({ host: 'db-1', takenAt: '2026-11-29T11:10:00.000Z', bootId: BOOT_B, containers: [{ ...WEB, inode: 4026532999 }] }).build();
  beforeAll(() => {
    expect(ingestSources(db, [r1, r2, r3].map((b) => writeBundle(dir, b))).ingested).toBe(3);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const diffOf = (a: string, b: string) => diffSelected(db, selectSnapshot(db, { snapshot: a, host: 'db-1' }), selectSnapshot(db, { snapshot: b, host: 'db-1' })).diff;

  it('across a reboot, matches the container by id despite its new inode, and calls unlabelled namespaces not comparable', () => {
    const d = diffOf(r1.snapshotId, r2.snapshotId);
    expect(d.sameBoot).toBe(false);
    expect(d.namespaces.added).toEqual([]);
    expect(d.namespaces.removed).toEqual([]);
    expect(d.namespaces.changed).toEqual([{ netns: 4026532999, fromNetns: API.inode, host: false, names: [], containers: [API.id], pids: [900], changes: { processes: { from: ['1600 nginx'], to: ['900 nginx'] } } }]);
    expect(d.namespaces.notComparable).toEqual([{ side: 'to', netns: 4026532901, pids: [950] }, { side: 'from', netns: 4026532900, pids: [3000] }]);
    expect(d.pairs).toEqual({ added: [], removed: [] });
  });

  it('within a boot, an inode the kernel gave to another container is one namespace removed and one added', () => {
    const d = diffOf(r2.snapshotId, r3.snapshotId);
    expect(d.sameBoot).toBe(true);
    expect(d.namespaces.removed.map((n) => [n.netns, n.containers])).toEqual([[4026532901, []], [4026532999, [API.id]]]);
    expect(d.namespaces.added.map((n) => [n.netns, n.containers])).toEqual([[4026532999, [WEB.id]]]);
  });
});

describe('query plans of the time queries use indexes', () => {
  const db = openDatabase(':memory:', { mustExist: false });
  db.exec('ANALYZE');
  afterAll(() => db.close());
  const plan = (sql: string, params: unknown[] | Record<string, unknown>) => planOf(db, sql, params);
  /** `sorts`: the rows of one snapshot come from the spans that hold at it, not in their order: a sort of those few is fine. */
  const expectIndexed = (sql: string, params: unknown[] | Record<string, unknown>, sorts = false) => {
    const details = plan(sql, params);
    assertNoFullScan(details);
    if (!sorts) for (const d of details) expect(d, details.join(' | ')).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    return details.join(' | ');
  };

  it('selectors: (host, taken_at) for latest~N and @TIME, (key, value) for tags', () => {
    expect(expectIndexed(SELECT_SQL.nthOfHostAtOrBefore, { host: 1, time: '2026', back: 3 })).toContain('snapshots_host_taken_at');
    expect(expectIndexed(SELECT_SQL.hostsAtOrBefore, ['2026'])).toContain('snapshots_host_taken_at');
    expect(expectIndexed(SELECT_SQL.latestWithTag, { key: 'phase', value: 'x', host: 1 })).toMatch(/snapshot_tags_key_value|snapshots_host_taken_at/);
    expect(plan(SELECT_SQL.hostsWithTag, ['phase', 'x']).join(' ')).toContain('snapshot_tags_key_value');
    expect(expectIndexed(RANGE_SQL, { host: 1, since: '', until: '9999' })).toContain('snapshots_host_taken_at');
  });

  it('whois: (ifname, snapshot) for names, (snapshot, netns) for owners, links by end', () => {
    expect(expectIndexed(WHOIS_SQL.interfaceByName, ['eth0', 1])).toMatch(/interface_spans_(ifname|held)/);
    expect(expectIndexed(WHOIS_HISTORY_SQL.interfaces, ['eth0', 1])).toContain('interface_spans_ifname');
    expect(expectIndexed(WHOIS_HISTORY_SQL.namespaces, [1, 2])).toContain('namespace_spans_inode');
    expect(expectIndexed(WHOIS_HISTORY_SQL.containers, [1, 2])).toContain('container_spans_netns');
    expect(expectIndexed(WHOIS_HISTORY_SQL.names, [1, 2])).toContain('handle_spans_netns');
    // One interface's links by their ends, not every link the snapshot holds (whois --all runs this per period).
    expect(expectIndexed(WHOIS_SQL.vethOf, { id: 1, snapshot: 1 })).toMatch(/link_spans_a .*link_spans_b /);
    for (const sql of [WHOIS_SQL.processes, WHOIS_SQL.handles, WHOIS_SQL.containers, WHOIS_SQL.interfacesOfNetns, WHOIS_SQL.namespace, WHOIS_SQL.pid]) expectIndexed(sql, [1, 2], true);
    expect(expectIndexed(WHOIS_SQL.lowerOf, [1, 1])).toContain('link_spans_a');
    expectIndexed(WHOIS_SQL.containerPrefix, { snapshot: 1, lo: 'ab', hi: 'ac' }, true);
    expect(expectIndexed(WHOIS_SQL.seenElsewhere, { name: 'eth0', snapshot: 1 })).toContain('interface_spans_ifname');
    for (const sql of [WHOIS_SQL.devicesOfNetns, WHOIS_SQL.uncaptured]) expectIndexed(sql, [1, 2], true);
    expectIndexed(WHOIS_SQL.hiddenProcess, { at: 1, before: 2, netns: 3 });
  });
});

describe('nsnap diff, history, whois, check on hand-built snapshots', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-time-cli-'));
  const db = path.join(dir, 'nsnap.db');
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const node = dockerNode({ host: 'node-9', takenAt: '2026-11-29T09:00:00.000Z' }).build();

  beforeAll(async () => {
    for (const b of [s1, s2, s3, other, node]) writeBundle(path.join(dir, 'bundles'), b);
    const r = await nsnap('ingest', path.join(dir, 'bundles'));
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('diff --json between two tags: the container that went, the one that came, a replaced veth, an MTU change', async () => {
    const r = await nsnap('diff', 'tag:phase=pre-deploy', 'tag:phase=post-deploy', '--host', 'web-1', '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const d = JSON.parse(String(r.stdout));
    expect(d.from).toEqual({ id: s1.snapshotId, host: 'web-1', takenAt: s1.takenAt.start, bootId: s1.host.bootId });
    expect(d.to.id).toBe(s3.snapshotId);
    expect(d.namespaces.removed).toEqual([{ netns: WEB.inode, host: false, names: [], containers: [WEB.id], pids: [WEB.pid] }]);
    expect(d.namespaces.added).toEqual([{ netns: WEB2.inode, host: false, names: [], containers: [WEB2.id], pids: [WEB2.pid] }]);
    expect(d.namespaces.changed).toEqual([]);
    // vethweb kept its name on a new device: a replacement, not a removal plus an addition.
    expect(d.interfaces.changed).toEqual([
      { netns: HOST_NS, ifname: 'vethapi', ifindex: 22, changes: { mtu: { from: 1500, to: 9000 } } },
      { netns: HOST_NS, ifname: 'vethweb', ifindex: 23, changes: { ifindex: { from: 21, to: 23 }, address: { from: mac(HOST_NS, 21), to: mac(HOST_NS, 23) } } },
    ]);
    expect(d.interfaces.removed.map((i: { netns: number; ifname: string }) => [i.netns, i.ifname])).toEqual([[WEB.inode, 'lo'], [WEB.inode, 'eth0']]);
    expect(d.interfaces.added.map((i: { netns: number; ifname: string }) => [i.netns, i.ifname])).toEqual([[WEB2.inode, 'lo'], [WEB2.inode, 'eth0']]);
    expect(d.pairs.removed).toEqual([{ a: { netns: HOST_NS, ifname: 'vethweb', ifindex: 21 }, b: { netns: WEB.inode, ifname: 'eth0', ifindex: 2 } }]);
    expect(d.pairs.added).toEqual([{ a: { netns: HOST_NS, ifname: 'vethweb', ifindex: 23 }, b: { netns: WEB2.inode, ifname: 'eth0', ifindex: 2 } }]);
  });

  it('diff without --host takes the host from a selector that names it, and prints owners grouped by namespace', async () => {
    const r = await nsnap('diff', s1.snapshotId.slice(0, 24), 'latest');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const text = String(r.stdout);
    expect(text).toContain(`from snapshot ${s1.snapshotId} of web-1, taken 2026-11-29T10:00:00.000Z`);
    expect(text).toContain('20 min later');
    expect(text).toMatch(/netns 4026532701, pid 1557 nginx, container a1a1a1a1a1a1\n {2}- namespace removed/);
    expect(text).toMatch(/ {2}~ vethweb #23: replaced: a new device \(ifindex 21 → 23\)/);
    expect(text).toMatch(/~ vethapi #22: mtu 1500 → 9000/);
    expect(text).toMatch(/veth pairs:\n {2}- vethweb #21 \(host\) ⇄ eth0 #2 \(netns 4026532701, pid 1557 nginx, container a1a1a1a1a1a1\)\s+disconnected/);
    expect(text).toContain('+1 -1 namespaces');
  });

  it('diff of a snapshot with itself says there is nothing, exit 0; a bad selector exits 2', async () => {
    const same = await nsnap('diff', 'latest', 'latest', '--host', 'web-1');
    expect(same.exitCode).toBe(0);
    expect(String(same.stdout).trimEnd().endsWith('no changes')).toBe(true);
    const bad = await nsnap('diff', 'latest~7', 'latest', '--host', 'web-1');
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toContain('the host has only 3 snapshots');
    const hosts = await nsnap('diff', other.snapshotId, s1.snapshotId);
    expect(hosts.exitCode).toBe(2);
    expect(String(hosts.stderr)).toContain('diff compares two snapshots of one host');
    const ambiguous = await nsnap('diff', 'latest~1', 'latest');
    expect(ambiguous.exitCode).toBe(2);
    expect(String(ambiguous.stderr)).toContain('choose one with --host');
  });

  it('history: one line per step with counts, the changes with -v, steps in --json, bounded by --since/--until', async () => {
    const r = await nsnap('history', '--host', 'web-1');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const lines = String(r.stdout).trimEnd().split('\n');
    expect(lines[0]).toBe('history of web-1: 3 snapshots, each line what changed since the one above');
    expect(lines[1]).toBe(`2026-11-29T10:00:00.000Z  ${s1.snapshotId}  (first)`);
    expect(lines[2]).toBe(`2026-11-29T10:10:00.000Z  ${s2.snapshotId}  -1 namespaces, -3 interfaces, -1 veth pairs`);
    expect(lines[3]).toBe(`2026-11-29T10:20:00.000Z  ${s3.snapshotId}  +1 namespaces, +3 ~1 interfaces, +1 veth pairs`);
    const v = await nsnap('history', '--host', 'web-1', '-v', '--since', '2026-11-29T10:12Z');
    expect(String(v.stdout)).toContain(`2026-11-29T10:10:00.000Z  ${s2.snapshotId}  (first)`);
    expect(String(v.stdout)).not.toContain(s1.snapshotId);
    expect(String(v.stdout)).toMatch(/ {4}netns 4026532703, pid 1700 nginx, container c3c3c3c3c3c3\n {6}\+ namespace added/);
    const j = JSON.parse(String((await nsnap('history', '--host', 'web-1', '--json', '--until', '2026-11-29T10:10Z')).stdout));
    expect(j.snapshots).toBe(2);
    expect(j.steps).toEqual([
      {
        from: expect.objectContaining({ id: s1.snapshotId }),
        to: expect.objectContaining({ id: s2.snapshotId }),
        sameBoot: true,
        counts: { namespaces: { added: 0, removed: 1, changed: 0, uncertain: 0 }, interfaces: { added: 0, removed: 3, changed: 0 }, pairs: { added: 0, removed: 1 }, routing: { changed: 0 } },
      },
    ]);
  });

  it('whois at a time answers from the snapshot in force then, with its age; --all lists each owner of a name', async () => {
    const r = await nsnap('whois', 'vethweb', '--at', '2026-11-29T10:05Z', '--host', 'web-1', '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const w = JSON.parse(String(r.stdout));
    expect(w).toMatchObject({ query: 'vethweb', at: '2026-11-29T10:05:00.000Z', snapshot: { id: s1.snapshotId, ageSeconds: 300 } });
    expect(w.matches).toEqual([
      expect.objectContaining({
        matchedBy: 'interface', netns: HOST_NS, host: true, ifname: 'vethweb', ifindex: 21, master: 'docker0',
        peer: { netns: WEB.inode, ifname: 'eth0', ifindex: 2, host: false, names: [], pids: [WEB.pid], processes: [{ pid: WEB.pid, comm: 'nginx' }], containers: [{ runtime: 'docker', id: WEB.id, podUid: null }] },
      }),
    ]);
    const gone = await nsnap('whois', 'vethweb', '--at', '2026-11-29T10:15Z', '--host', 'web-1');
    expect(gone.exitCode).toBe(1);
    expect(String(gone.stdout)).toContain('5 min old at 2026-11-29T10:15:00.000Z');
    expect(String(gone.stdout)).toContain('nothing matches "vethweb" in this snapshot');
    const all = JSON.parse(String((await nsnap('whois', 'vethweb', '--all', '--host', 'web-1', '--json')).stdout));
    expect(all.periods.map((p: { first: { id: string }; last: { id: string }; snapshots: number; ifindex: number; match: { peer: { containers: { id: string }[] } } }) => [p.first.id, p.last.id, p.snapshots, p.ifindex, p.match.peer.containers[0]!.id])).toEqual([
      [s1.snapshotId, s1.snapshotId, 1, 21, WEB.id],
      [s3.snapshotId, s3.snapshotId, 1, 23, WEB2.id],
    ]);
    const text = String((await nsnap('whois', 'vethweb', '--all', '--host', 'web-1')).stdout);
    expect(text).toContain('vethweb on host web-1: 2 periods');
  });

  it('whois a pid, a container prefix and an inode gives the namespace with its interfaces and peers', async () => {
    const byPid = JSON.parse(String((await nsnap('whois', String(API.pid), '--host', 'web-1', '--json')).stdout));
    expect(byPid.matches).toHaveLength(1);
    expect(byPid.matches[0]).toMatchObject({ matchedBy: 'pid', netns: API.inode, containers: [{ id: API.id }] });
    expect(byPid.matches[0].interfaces.find((i: { ifname: string }) => i.ifname === 'eth0').peer).toMatchObject({ netns: HOST_NS, ifname: 'vethapi', host: true });
    const byContainer = JSON.parse(String((await nsnap('whois', 'container:c3c3c3', '--host', 'web-1', '--json')).stdout));
    expect(byContainer.matches.map((m: { netns: number }) => m.netns)).toEqual([WEB2.inode]);
    const byInode = await nsnap('whois', String(API.inode), '--host', 'web-1');
    expect(byInode.exitCode).toBe(0);
    expect(String(byInode.stdout)).toMatch(/netns → netns 4026532702, pid 1600 nginx, container b2b2b2b2b2b2\n {2}eth0 #2 veth ⇄ vethapi #22 \(host\)/);
  });

  it('check: exit 1 with the findings of a snapshot that has some, 0 with none', async () => {
    const bad = await nsnap('check', '--host', 'node-9', '--json');
    expect(bad.exitCode).toBe(1);
    const kinds = (JSON.parse(String(bad.stdout)) as { findings: { kind: string; ifname: string | null }[] }).findings.map((f) => `${f.kind}:${f.ifname ?? ''}`);
    expect(kinds).toContain('veth-peer-unreadable:vethdead');
    expect(kinds).toContain('ambiguous-veth:va');
    expect(kinds.filter((k) => k.startsWith('capture-failed'))).toHaveLength(2);
    const text = String((await nsnap('check', 'latest', '--host', 'node-9')).stdout);
    expect(text).toMatch(/veth-peer-unreadable \(1\): .*\n {2}vethdead #40 \(netns 4026531840\) \[host\]: /);
    expect(text.trimEnd()).toMatch(/\n\d+ findings$/);
    const mtu = JSON.parse(String((await nsnap('check', 'tag:phase=post-deploy', '--json')).stdout));
    expect(mtu.findings).toEqual([
      { kind: 'veth-mtu-mismatch', subject: `vethapi (netns ${HOST_NS}) ⇄ eth0 (netns ${API.inode})`, detail: 'MTU 9000 on vethapi, 1500 on eth0', netns: HOST_NS, ifname: 'vethapi' },
      // The port of docker0 too: its MTU is no longer the bridge's.
      { kind: 'bridge-mtu-mismatch', subject: 'vethapi in bridge docker0 (host)', detail: 'MTU 9000 on port vethapi, 1500 on bridge docker0', netns: HOST_NS, ifname: 'vethapi' },
    ]);
    const good = await nsnap('check', 'tag:phase=pre-deploy', '--host', 'web-1');
    expect(good.exitCode, String(good.stdout)).toBe(0);
    expect(String(good.stdout)).toContain('no findings');
  });

  it('escapes control characters of names and aliases from a host before printing them', async () => {
    const dirty = dockerHost({ host: 'esc-1', takenAt: '2026-11-29T10:00:00.000Z', containers: [{ ...API, veth: { ...API.veth, alias: 'evil\u001b[31mred' } }] }).build();
    const clean = dockerHost({ host: 'esc-1', takenAt: '2026-11-29T09:00:00.000Z', containers: [API] }).build();
    for (const b of [clean, dirty]) writeBundle(path.join(dir, 'esc'), b);
    expect((await nsnap('ingest', path.join(dir, 'esc'))).exitCode).toBe(0);
    const text = String((await nsnap('diff', 'latest~1', 'latest', '--host', 'esc-1')).stdout);
    expect(text).toContain('~ vethapi #22: alias - → evil\\x1b[31mred');
    expect(text).not.toContain('\u001b');
  });

  it('each command has --help with examples', async () => {
    for (const c of ['diff', 'history', 'whois', 'check']) {
      const r = await nsnap(c, '--help');
      expect(r.exitCode).toBe(0);
      expect(String(r.stdout)).toContain('Examples:');
    }
  });
});
