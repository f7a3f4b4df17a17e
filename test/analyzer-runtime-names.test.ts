import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSources, openDatabase } from '@nsnap/analyzer';
import { validateBundle, type Bundle } from '@nsnap/shared';
import { RUNTIME_NAMES_SQL } from '../analyzer/src/query/runtime-names.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { assertNoFullScan, planOf } from './support/query-plan.js';

const NS = { host: 4026531840, web: 4026532701, pod: 4026532702, evil: 4026532703 } as const;
const WEB = 'd0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98';
const SANDBOX = 'b508e2673897c4f521d858f56dab18e31ddbfc1f83300fb9793c8a4052af8f05';
const NGINX = 'c1' + 'a'.repeat(62);
const OTHER_NGINX = 'c2' + 'b'.repeat(62);
const EVIL = 'e0' + 'c'.repeat(62);
const STOPPED = 'f0' + 'd'.repeat(62);
const POD_UID = '7d4424e6-bb13-42f4-a47a-45a4828bf54d';
const STALE_UID = '11111111-2222-4333-8444-555555555555';
const OLD_UID = '00bea8a1-8bfc-11e8-b709-f01fafd51338';
const kubepods = (id: string) => `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID.replace(/-/g, '_')}.slice/cri-containerd-${id}.scope\n`;
const docker = (id: string) => `0::/system.slice/docker-${id}.scope\n`;

/** A docker container web-1, a pod shop/api-7d4 (sandbox + nginx), names from the runtimes' files; one name hostile. */
function node(): Bundle {
  const bundle = new BundleBuilder({ host: 'names-1', takenAt: '2026-12-01T10:00:00.000Z' })
    .namespace({
      inode: NS.host,
      host: true,
      links: [
        { ifindex: 2, ifname: 'eth0' },
        { ifindex: 3, ifname: 'docker0', kind: 'bridge' },
        { ifindex: 21, ifname: 'veth4a67fcf', kind: 'veth', linkIndex: 2, linkNetnsid: 0, master: 'docker0' },
        { ifindex: 22, ifname: 'vethpod1', kind: 'veth', linkIndex: 2, linkNetnsid: 1, master: 'docker0' },
      ],
    })
    .namespace({ inode: NS.web, links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 21, linkNetnsid: 0 }] })
    .namespace({ inode: NS.pod, links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 22, linkNetnsid: 0 }] })
    // Its peer is nowhere nsnap looked: `check` reports it, with its owner.
    .namespace({ inode: NS.evil, links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 99, linkNetnsid: 0 }] })
    .process({ pid: 1557, netns: NS.web, comm: 'nginx', cgroup: docker(WEB) })
    .process({ pid: 2001, netns: NS.pod, comm: 'pause', cgroup: kubepods(SANDBOX) })
    .process({ pid: 2002, netns: NS.pod, comm: 'nginx', cgroup: kubepods(NGINX) })
    .process({ pid: 3001, netns: NS.evil, comm: 'sh', cgroup: docker(EVIL) })
    .lsns(NS.host, [
      { inode: NS.host, nsid: null },
      { inode: NS.web, nsid: 0, pid: 1557 },
      { inode: NS.pod, nsid: 1, pid: 2001 },
      { inode: NS.evil, nsid: 2, pid: 3001 },
    ])
    .build();
  const pod = { uid: POD_UID, namespace: 'shop', name: 'api-7d4' };
  bundle.runtimeNames = {
    pods: [pod, { uid: STALE_UID, namespace: 'shop', name: 'api-7d4' }, { uid: OLD_UID, namespace: null, name: null }],
    containers: [
      { source: 'docker', id: WEB, name: 'web-1', image: 'nginx:1.25-alpine', pod: null },
      // Stopped: its config is still there, no process runs in it.
      { source: 'docker', id: STOPPED, name: 'db-old', image: 'postgres:16', pod: null },
      { source: 'containerd', id: SANDBOX, name: null, image: null, pod },
      { source: 'containerd', id: NGINX, name: 'nginx', image: null, pod },
      { source: 'containerd', id: OTHER_NGINX, name: 'nginx', image: null, pod: { uid: STALE_UID, namespace: 'shop', name: 'api-7d4' } },
      // Not from our collector (it refuses such names): a bundle is untrusted.
      { source: 'docker', id: EVIL, name: 'evil\u001b]0;owned\u0007\u001b[31mred', image: null, pod: null },
    ],
  };
  return validateBundle(JSON.parse(JSON.stringify(bundle)));
}

describe('names from the runtimes\' files in every answer', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-names-'));
  const db = path.join(dir, 'nsnap.db');
  const bundle = node();
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const noEscapes = (text: string) => expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);

  beforeAll(async () => {
    writeBundle(path.join(dir, 'bundles'), bundle);
    const r = await nsnap('ingest', path.join(dir, 'bundles'));
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('show names containers and pods beside their ids; --json carries name and pod', async () => {
    const r = await nsnap('show');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const text = String(r.stdout);
    noEscapes(text);
    expect(text).toContain(`netns ${NS.web}, pid 1557 nginx, container web-1 (d0b3604b67ac)`);
    expect(text).toContain(`container b508e2673897 pod shop/api-7d4 (${POD_UID}), container nginx (c1aaaaaaaaaa) pod shop/api-7d4 (${POD_UID})`);
    expect(text).toContain('container evil\\x1b]0;owned\\x07\\x1b[31mred (e0cccccccccc)');
    const json = JSON.parse(String((await nsnap('show', '--json')).stdout)) as { namespaces: { netns: number; containers: { id: string; name?: string; pod?: string }[] }[] };
    const web = json.namespaces.find((n) => n.netns === NS.web)!;
    expect(web.containers).toEqual([{ runtime: 'docker', id: WEB, podUid: null, name: 'web-1' }]);
    const pod = json.namespaces.find((n) => n.netns === NS.pod)!;
    expect(pod.containers.map((c) => [c.id, c.name, c.pod])).toEqual([
      [SANDBOX, undefined, 'shop/api-7d4'],
      [NGINX, 'nginx', 'shop/api-7d4'],
    ]);
  });

  it('peers and check name them too', async () => {
    const peers = await nsnap('peers');
    expect(String(peers.stdout)).toContain(`veth4a67fcf #21 (host, master docker0) ⇄ eth0 #2 (netns ${NS.web}, pid 1557 nginx, container web-1 (d0b3604b67ac))`);
    const check = await nsnap('check');
    expect(check.exitCode).toBe(1);
    noEscapes(String(check.stdout));
    expect(String(check.stdout)).toMatch(/veth-peer-unseen \(1\)[^\n]*\n[^\n]*\[netns 4026532703, pid 3001 sh, container evil\\x1b\]0;owned\\x07\\x1b\[31mred \(e0cccccccccc\)\]/);
  });

  it('whois takes a container name: web-1 is the docker container, its namespace and interfaces', async () => {
    const r = await nsnap('whois', 'web-1', '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { matches: { matchedBy: string; netns: number }[]; named: unknown[] };
    expect(out.matches.map((m) => [m.matchedBy, m.netns])).toEqual([['container-name', NS.web]]);
    expect(out.named).toEqual([{ kind: 'container', name: 'web-1', holders: [{ id: WEB, netns: [NS.web] }], ambiguous: false }]);
    const text = String((await nsnap('whois', 'web-1')).stdout);
    expect(text).toContain(`container-name → netns ${NS.web}, pid 1557 nginx, container web-1 (d0b3604b67ac)`);
    expect(text).toContain('eth0 #2 veth ⇄ veth4a67fcf #21 (host)');
  });

  it('whois says when a name is ambiguous: two nginx containers, two pods named shop/api-7d4 (one only a log directory left)', async () => {
    const nginx = String((await nsnap('whois', 'nginx')).stdout);
    expect(nginx).toContain('container name nginx is ambiguous: 2 containers have it in this snapshot\n');
    expect(nginx).toContain(`  c1aaaaaaaaaa: netns ${NS.pod}\n  c2bbbbbbbbbb: no process of it seen\n`);
    expect(nginx).toContain(`container-name → netns ${NS.pod}`);
    const pod = await nsnap('whois', 'shop/api-7d4', '--json');
    expect(pod.exitCode).toBe(0);
    const out = JSON.parse(String(pod.stdout)) as { matches: { matchedBy: string; netns: number }[]; named: unknown[] };
    expect(out.matches.map((m) => [m.matchedBy, m.netns])).toEqual([['pod', NS.pod]]);
    expect(out.named).toEqual([{ kind: 'pod', name: 'shop/api-7d4', holders: [{ id: STALE_UID, netns: [] }, { id: POD_UID, netns: [NS.pod] }], ambiguous: true }]);
    const text = String((await nsnap('whois', 'pod:shop/api-7d4')).stdout);
    expect(text).toContain(`pod name shop/api-7d4 is ambiguous: 2 pods have it in this snapshot\n  ${STALE_UID}: no process of it seen\n  ${POD_UID}: netns ${NS.pod}\n`);
  });

  it('whois of a name nobody has, or a hostile one, answers nothing (exit 1) and prints no control byte', async () => {
    const stopped = await nsnap('whois', 'db-old');
    expect(stopped.exitCode).toBe(1);
    expect(String(stopped.stdout)).toContain('container db-old is f0dddddddddd: no process of it seen in this snapshot\nnothing matches "db-old" in this snapshot');
    const none = await nsnap('whois', 'nobody-here');
    expect(none.exitCode).toBe(1);
    expect(String(none.stdout)).toContain('nothing matches "nobody-here"');
    const bad = await nsnap('whois', 'shop/a\u001b[2Jb');
    expect(bad.exitCode).toBe(2);
    noEscapes(String(bad.stderr));
  });

  it('--pod NAMESPACE/NAME and --container NAME select by the names', async () => {
    const byPod = JSON.parse(String((await nsnap('show', '--pod', 'shop/api-7d4', '--json')).stdout)) as { namespaces: { netns: number }[] };
    expect(byPod.namespaces.map((n) => n.netns)).toEqual([NS.pod]);
    const byName = JSON.parse(String((await nsnap('show', '--container', 'web-1', '--json')).stdout)) as { namespaces: { netns: number }[] };
    expect(byName.namespaces.map((n) => n.netns)).toEqual([NS.web]);
  });
});

describe('runtime name tables', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-names-db-'));
  const db = openDatabase(':memory:', { mustExist: false });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    expect(ingestSources(db, [writeBundle(dir, node())]).ingested).toBe(1);
  });

  it('the lookups use indexes', () => {
    // Since migration 8 the names are spans behind views of the old names: the plan reads the span tables.
    // Without statistics, as routing-cascade.test.ts does: ANALYZE of a one-snapshot database tells the
    // planner these tables are tiny, and a scan is then its right choice.
    const tables = ['runtime_pod_spans', 'runtime_container_spans', 'container_spans'];
    assertNoFullScan(planOf(db, RUNTIME_NAMES_SQL.byId, [1, WEB]), tables);
    assertNoFullScan(planOf(db, RUNTIME_NAMES_SQL.podsByUid, { snapshot: 1, uid: POD_UID }), tables);
    assertNoFullScan(planOf(db, RUNTIME_NAMES_SQL.idsByName, [1, 'web-1']), tables);
    assertNoFullScan(planOf(db, RUNTIME_NAMES_SQL.uidsByPod, { snapshot: 1, name: 'x', namespace: 'y' }), tables);
    assertNoFullScan(planOf(db, RUNTIME_NAMES_SQL.idsByPodWithoutUid, { snapshot: 1, name: 'x', namespace: 'y' }), tables);
    assertNoFullScan(planOf(db, RUNTIME_NAMES_SQL.netnsOfId, [1, WEB]), tables);
    assertNoFullScan(planOf(db, RUNTIME_NAMES_SQL.netnsOfUid, [1, POD_UID]), tables);
  });

  it('go with their snapshot, foreign keys on or off', () => {
    const count = () => (db.prepare('SELECT (SELECT count(*) FROM runtime_pods) + (SELECT count(*) FROM runtime_containers)').pluck().get() as number);
    expect(count()).toBe(9);
    db.pragma('foreign_keys = OFF');
    db.prepare('DELETE FROM snapshots').run();
    expect(count()).toBe(0);
  });
});
