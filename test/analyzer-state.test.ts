import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestSources, loadSnapshotState, openDatabase, selectSnapshot } from '@nsnap/analyzer';
import { diffSnapshots, isEmptyDiff } from '../analyzer/src/diff/diff.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { NS, WEB_CONTAINER, dockerNode } from './support/docker-node.js';

describe('loadSnapshotState: a snapshot read back from the database for diff and check', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds namespaces with owners, interfaces, pairs and the processes whose namespace was unreadable', () => {
    const db = openDatabase(':memory:', { mustExist: false });
    const bundle = dockerNode().build();
    expect(ingestSources(db, [writeBundle(dir, bundle)]).ingested).toBe(1);
    const state = loadSnapshotState(db, selectSnapshot(db, { snapshot: bundle.snapshotId, host: null }));
    expect(state.snapshot).toEqual({ id: bundle.snapshotId, host: 'node-1', bootId: bundle.host.bootId, takenAt: bundle.takenAt.start });
    const web = state.namespaces.find((n) => n.netns === NS.web)!;
    expect(web).toMatchObject({ isHost: false, captured: true, containers: [WEB_CONTAINER], names: [], handles: [] });
    expect(web.processes).toEqual([{ pid: 1557, comm: 'sleep', startTime: 2557 }, { pid: 1558, comm: 'sh', startTime: 2558 }]);
    expect(web.interfaces.find((i) => i.ifname === 'eth0')).toEqual({
      ifindex: 2, ifname: 'eth0', kind: 'veth', mtu: 1500, operstate: 'UP', master: null, address: expect.stringMatching(/^02:42/), alias: null,
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], addresses: ['inet 172.17.0.2/16'],
    });
    expect(state.namespaces.find((n) => n.netns === NS.pod)?.handles).toEqual(['/run/netns/cni-4f9c0b1e-5d1a-2b3c-8e7f-0a1b2c3d4e5f']);
    expect(state.namespaces.find((n) => n.netns === NS.denied)?.captured).toBe(false);
    expect(state.pairs).toContainEqual({ a: { netns: NS.host, ifname: 'veth4a67fcf', ifindex: 21 }, b: { netns: NS.web, ifname: 'eth0', ifindex: 2 } });
    expect(state.unreadable).toEqual([{ pid: 1, comm: 'systemd', startTime: 1001 }]);
    expect(isEmptyDiff(diffSnapshots(state, state))).toBe(true);
    db.close();
  });

  it('lets diff see a container that went away and a renamed interface between two ingested snapshots', () => {
    const db = openDatabase(':memory:', { mustExist: false });
    const before = new BundleBuilder({ takenAt: '2026-11-29T10:00:00.000Z' })
      .namespace({ inode: 100, host: true, links: [{ ifindex: 5, ifname: 'vethA', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }, { ifindex: 6, ifname: 'old', kind: 'dummy' }] })
      .namespace({ inode: 200, links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 5, linkNetnsid: 0 }] })
      .process({ pid: 50, netns: 200, comm: 'app' })
      .build();
    const after = new BundleBuilder({ takenAt: '2026-11-29T10:10:00.000Z' })
      .namespace({ inode: 100, host: true, links: [{ ifindex: 6, ifname: 'new', kind: 'dummy' }] })
      .build();
    expect(ingestSources(db, [writeBundle(path.join(dir, 'b'), before), writeBundle(path.join(dir, 'a'), after)]).ingested).toBe(2);
    const load = (id: string) => loadSnapshotState(db, selectSnapshot(db, { snapshot: id, host: null }));
    const d = diffSnapshots(load(before.snapshotId), load(after.snapshotId));
    expect(d.namespaces.removed.map((n) => n.netns)).toEqual([200]);
    expect(d.pairs.removed).toEqual([{ a: { netns: 100, ifname: 'vethA', ifindex: 5 }, b: { netns: 200, ifname: 'eth0', ifindex: 2 } }]);
    expect(d.interfaces.changed).toContainEqual(expect.objectContaining({ ifindex: 6, changes: expect.objectContaining({ ifname: { from: 'old', to: 'new' } }) }));
    db.close();
  });
});
