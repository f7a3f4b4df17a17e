import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestSources, normalizeBundle, openDatabase, peersOf, renderDot, renderPeers, selectSnapshot, showSnapshot, unpackBundle } from '@nsnap/analyzer';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { NS, WEB_CONTAINER, dockerNode } from './support/docker-node.js';

describe('normalizeBundle', () => {
  it('keeps one container per namespace, with the processes pointing at it', () => {
    const rows = normalizeBundle(dockerNode().build());
    expect(rows.containers.map((c) => [c.netns, c.runtime, c.id.slice(0, 12), c.podUid])).toEqual([
      [NS.web, 'docker', WEB_CONTAINER.slice(0, 12), null],
      [NS.pod, 'containerd', expect.any(String), '7d4424e6-bb13-42f4-a47a-45a4828bf54d'],
    ]);
    const web = rows.processes.filter((p) => p.netns === NS.web);
    expect(web.map((p) => p.container)).toEqual([0, 0]);
    expect(rows.processes.find((p) => p.comm === 'dockerd')?.container).toBeNull();
  });

  it('turns an unreadable dump and a duplicated pid into ingest gaps instead of failing the bundle', () => {
    const bundle = new BundleBuilder()
      .namespace({ inode: 100, host: true, links: [{ ifindex: 2, ifname: 'eth0' }] })
      .namespace({ inode: 200, links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 9, linkNetnsid: 0 }] })
      .process({ pid: 7, netns: 200, comm: 'a' })
      .process({ pid: 7, netns: 100, comm: 'b' })
      .build();
    bundle.namespaces[1]!.captures[0]!.stdout = 'Object "netns" is unknown, try "ip help".\n';
    const rows = normalizeBundle(bundle);
    expect(rows.namespaces.find((n) => n.inode === 200)).toMatchObject({ captured: false });
    expect(rows.gaps.filter((g) => g.source === 'ingest').map((g) => [g.probe, g.subject])).toEqual([
      ['parse', 'netns 200'],
      ['processes', 'pid 7'],
    ]);
    expect(rows.processes).toHaveLength(1);
    expect(rows.interfaces.filter((i) => i.netns === 200)).toEqual([]);
  });

  it('normalizes times to UTC so they sort as text', () => {
    const bundle = dockerNode().build();
    bundle.takenAt = { start: '2026-11-29T12:00:00+02:00', end: '2026-11-29T12:00:01+02:00' };
    expect(normalizeBundle(bundle)).toMatchObject({ takenAt: '2026-11-29T10:00:00.000Z', takenEnd: '2026-11-29T10:00:01.000Z' });
  });
});

describe('unpackBundle', () => {
  it('gives gzip\'d and plain copies of a bundle the same content hash', () => {
    const json = Buffer.from(JSON.stringify(dockerNode().build()));
    const a = unpackBundle(json);
    const b = unpackBundle(gzipSync(json, { level: 1 }));
    const c = unpackBundle(gzipSync(json, { level: 9 }));
    expect(b.contentSha256).toBe(a.contentSha256);
    expect(c.contentSha256).toBe(a.contentSha256);
    expect(b.storedSha256).not.toBe(c.storedSha256);
  });
});

describe('hostile names from a bundle', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const evil = 'v"}\\ -> x\u001b[2J\u202e';

  it('are escaped in text and DOT, and the DOT still renders', async () => {
    const bundle = new BundleBuilder({ host: 'evil' })
      .namespace({ inode: 100, host: true, links: [{ ifindex: 5, ifname: evil, kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
      .namespace({ inode: 200, names: ['n"s\u0007'], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 5, linkNetnsid: 0 }] })
      .build();
    const db = openDatabase(':memory:', { mustExist: false });
    const summary = ingestSources(db, [writeBundle(dir, bundle)]);
    expect(summary).toMatchObject({ ingested: 1, failed: 0 });
    const snap = selectSnapshot(db, { snapshot: 'latest', host: null });
    const peers = peersOf(db, snap);
    expect(peers.pairs.map((p) => [p.a.ifname, p.b.ifname])).toEqual([[evil, 'eth0']]);
    const text = renderPeers(peers);
    expect(text).toContain('v"}\\\\ -> x\\x1b[2J\\u{202e} #5 (host)');
    expect(text).toContain('named n"s\\x07');
    expect(text).not.toMatch(/[\u0000-\u0008\u001b\u202e]/);
    const dot = renderDot(showSnapshot(db, snap), peers);
    expect(dot).not.toMatch(/[\u0000-\u0008\u001b\u202e]/);
    // With reject: false a missing binary is a result with code ENOENT, not a throw.
    const rendered = await execa('dot', ['-Tsvg'], { input: dot, reject: false });
    if (rendered.code === 'ENOENT') {
      console.warn('graphviz `dot` not installed: escaping checked, rendering not');
      return;
    }
    expect(rendered.exitCode, rendered.stderr).toBe(0);
    expect(rendered.stdout).toContain('x\\x1b[2J');
    db.close();
  });
});
