import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { dockerNode, NS, POD_UID, WEB_CONTAINER } from './support/docker-node.js';

describe('every query of one snapshot takes --snapshot, and an @TIME answer says how old its snapshot was', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-selection-'));
  const db = path.join(dir, 'nsnap.db');
  const bundle = dockerNode({ host: 'node-1', takenAt: '2026-11-29T10:00:00.000Z', tags: {} }).build();
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const AT = '@2026-11-29T10:12Z';
  const AGE = /in force at 2026-11-29T10:12:00\.000Z: 12 min old then/;

  beforeAll(async () => {
    writeBundle(path.join(dir, 'bundles'), bundle);
    const r = await nsnap('ingest', path.join(dir, 'bundles'));
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const query of ['show', 'peers', 'graph', 'check']) {
    it(`${query} --snapshot @TIME names the snapshot and its age then`, async () => {
      const r = await nsnap(query, '--snapshot', AT);
      expect([0, 1], String(r.stderr)).toContain(r.exitCode);
      expect(String(r.stdout)).toContain(bundle.snapshotId);
      expect(String(r.stdout)).toMatch(AGE);
    });
  }

  it('says the time asked for in JSON too, and nothing of it for other selectors', async () => {
    for (const query of ['show', 'peers', 'check']) {
      const at = JSON.parse(String((await nsnap(query, '--snapshot', AT, '--json')).stdout)) as { snapshot: Record<string, unknown> };
      expect(at.snapshot).toMatchObject({ id: bundle.snapshotId, takenAt: '2026-11-29T10:00:00.000Z', asOf: '2026-11-29T10:12:00.000Z' });
      const latest = JSON.parse(String((await nsnap(query, '--json')).stdout)) as { snapshot: Record<string, unknown> };
      expect(latest.snapshot).not.toHaveProperty('asOf');
    }
    expect(String((await nsnap('peers')).stdout)).not.toMatch(/old then/);
  });

  it('check takes the snapshot as --snapshot or as its argument, and refuses both at once (exit 2)', async () => {
    const byFlag = await nsnap('check', '--snapshot', bundle.snapshotId.slice(0, 8), '--json');
    const byArg = await nsnap('check', bundle.snapshotId.slice(0, 8), '--json');
    expect(byFlag.exitCode).toBe(byArg.exitCode);
    expect(JSON.parse(String(byFlag.stdout))).toEqual(JSON.parse(String(byArg.stdout)));
    const both = await nsnap('check', 'latest', '--snapshot', 'latest');
    expect(both.exitCode).toBe(2);
    expect(String(both.stderr)).toContain('two snapshots given ("latest" and --snapshot "latest")');
  });
});

describe('filters: --netns, --container, --pod, --interface narrow show, peers and graph', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-filters-'));
  const db = path.join(dir, 'nsnap.db');
  const first = dockerNode({ host: 'node-1', takenAt: '2026-11-29T10:00:00.000Z', tags: {} }).build();
  // Taken in the same millisecond: a UUIDv7 id starts with its time, so the two ids share a long prefix.
  const second = dockerNode({ host: 'node-2', takenAt: '2026-11-29T10:00:00.000Z', tags: {} }).build();
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const showOf = async (...args: string[]) => {
    const r = await nsnap('show', '--host', 'node-1', '--json', ...args);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return (JSON.parse(String(r.stdout)) as { namespaces: { netns: number; interfaces: { ifname: string }[] }[] }).namespaces.map((n) => [n.netns, n.interfaces.map((i) => i.ifname)]);
  };
  const pairsOf = async (...args: string[]) => {
    const r = await nsnap('peers', '--host', 'node-1', '--json', ...args);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { pairs: { a: { ifname: string }; b: { ifname: string } }[]; unpaired: { netns: number; ifname: string }[] };
    return { pairs: out.pairs.map((p) => `${p.a.ifname}⇄${p.b.ifname}`), unpaired: out.unpaired.map((u) => `${u.netns}/${u.ifname}`) };
  };

  beforeAll(async () => {
    writeBundle(path.join(dir, 'bundles'), first);
    writeBundle(path.join(dir, 'bundles'), second);
    const r = await nsnap('ingest', path.join(dir, 'bundles'));
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('show: a container\'s namespace by id prefix, a pod\'s by UID, a namespace by inode or name', async () => {
    expect(await showOf('--container', WEB_CONTAINER.slice(0, 8))).toEqual([[NS.web, ['lo', 'eth0', 'mv0']]]);
    expect((await showOf('--pod', POD_UID)).map(([n]) => n)).toEqual([NS.pod]);
    expect((await showOf('--netns', String(NS.pod))).map(([n]) => n)).toEqual([NS.pod]);
    expect((await showOf('--netns', 'm1')).map(([n]) => n)).toEqual([NS.m1]);
    expect(await showOf('--netns', 'host', '--interface', 'veth*')).toEqual([[NS.host, ['veth4a67fcf', 'vethpod1', 'vethdead']]]);
    expect(await showOf('--container', 'ffff')).toEqual([]);
  });

  it('peers: the pairs and unpaired veths with an end that matches', async () => {
    expect(await pairsOf('--pod', POD_UID.slice(0, 8))).toEqual({ pairs: ['vethpod1⇄eth0'], unpaired: [] });
    expect(await pairsOf('--interface', 'vp?')).toEqual({ pairs: ['vp0⇄vp1'], unpaired: [] });
    expect(await pairsOf('--netns', 'm1')).toEqual({ pairs: [], unpaired: [`${NS.m1}/va`] });
    expect((await pairsOf('--netns', 'host', '--interface', 'vethdead')).unpaired).toEqual([`${NS.host}/vethdead`]);
    const text = await nsnap('peers', '--host', 'node-1', '--container', WEB_CONTAINER.slice(0, 12));
    expect(String(text.stdout)).toMatch(/veth pairs \(1\):\n {2}veth4a67fcf #21 .* ⇄ eth0 #2 /);
  });

  it('graph: the matching namespace and the other ends of its pairs, nothing else', async () => {
    const r = await nsnap('graph', '--host', 'node-1', '--container', WEB_CONTAINER.slice(0, 8));
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const dot = String(r.stdout);
    expect(dot).toContain(`"if_${NS.web}_2"`);
    expect(dot).toContain(`"if_${NS.host}_21"`);
    expect(dot).not.toContain('vethpod1');
    expect(dot).not.toContain(`cluster_ns_${NS.pod}`);
  });

  it('refuses a bad filter, and lists the snapshots an ambiguous id prefix matches (exit 2)', async () => {
    const bad = await nsnap('peers', '--host', 'node-1', '--pod', 'default/../web');
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/expected a pod UID \(or a prefix of one\) or NAMESPACE\/NAME/);
    const prefix = first.snapshotId.slice(0, 8);
    expect(second.snapshotId.startsWith(prefix)).toBe(true);
    const ambiguous = await nsnap('peers', '--snapshot', prefix);
    expect(ambiguous.exitCode).toBe(2);
    expect(String(ambiguous.stderr)).toContain(`matches several snapshots; give more characters of the id:`);
    expect(String(ambiguous.stderr)).toContain(`${first.snapshotId}  "node-1"  2026-11-29T10:00:00.000Z`);
    expect(String(ambiguous.stderr)).toContain(`${second.snapshotId}  "node-2"  2026-11-29T10:00:00.000Z`);
  });
});

describe('filters on diff and whois', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-filters-time-'));
  const db = path.join(dir, 'nsnap.db');
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const EXTRA = 4026532900;

  beforeAll(async () => {
    writeBundle(path.join(dir, 'bundles'), dockerNode({ host: 'node-1', takenAt: '2026-11-29T10:00:00.000Z', tags: {} }).build());
    const later = dockerNode({ host: 'node-1', takenAt: '2026-11-29T10:05:00.000Z', tags: {} })
      .namespace({ inode: EXTRA, names: ['extra'], links: [{ ifindex: 2, ifname: 'vz', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
      .build();
    writeBundle(path.join(dir, 'bundles'), later);
    const r = await nsnap('ingest', path.join(dir, 'bundles'));
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('diff keeps the changes of the namespaces and interfaces that match', async () => {
    const diffOf = async (...args: string[]) => {
      const r = await nsnap('diff', 'latest~1', 'latest', '--host', 'node-1', '--json', ...args);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      return JSON.parse(String(r.stdout)) as { namespaces: { added: { netns: number }[] }; interfaces: { added: { ifname: string }[] } };
    };
    const all = await diffOf();
    expect(all.namespaces.added.map((n) => n.netns)).toEqual([EXTRA]);
    expect((await diffOf('--netns', 'extra')).namespaces.added.map((n) => n.netns)).toEqual([EXTRA]);
    const other = await diffOf('--netns', 'm1');
    expect(other.namespaces.added).toEqual([]);
    expect(other.interfaces.added).toEqual([]);
    const byName = await diffOf('--interface', 'vz');
    expect(byName.namespaces.added).toEqual([]);
    expect(byName.interfaces.added.map((i) => i.ifname)).toEqual(all.interfaces.added.map((i) => i.ifname).filter((n) => n === 'vz'));
  });

  it('history counts only the changes the filters keep', async () => {
    const countsOf = async (...args: string[]) => {
      const r = await nsnap('history', '--host', 'node-1', '--json', ...args);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const out = JSON.parse(String(r.stdout)) as { steps: { counts: { namespaces: { added: number } }; diff?: unknown }[] };
      return out.steps.map((st) => [st.counts.namespaces.added, 'diff' in st]);
    };
    expect(await countsOf()).toEqual([[1, false]]);
    expect(await countsOf('--netns', 'extra')).toEqual([[1, false]]);
    expect(await countsOf('--netns', 'm1')).toEqual([[0, false]]);
    expect(await countsOf('--netns', 'm1', '-v')).toEqual([[0, true]]);
    expect(String((await nsnap('history', '--host', 'node-1')).stdout)).toMatch(/\+1 namespace/);
    const text = await nsnap('history', '--host', 'node-1', '--container', 'ffff');
    expect(text.exitCode, String(text.stderr)).toBe(0);
    expect(String(text.stdout)).not.toMatch(/\+1 namespace/);
  });

  it('whois keeps the matches whose namespace and interfaces match; --all refuses filters', async () => {
    const kept = await nsnap('whois', 'veth4a67fcf', '--host', 'node-1', '--netns', 'host', '--json');
    expect(kept.exitCode, String(kept.stderr)).toBe(0);
    expect((JSON.parse(String(kept.stdout)) as { matches: unknown[] }).matches).toHaveLength(1);
    const none = await nsnap('whois', 'veth4a67fcf', '--host', 'node-1', '--container', 'ffff');
    expect(none.exitCode).toBe(1);
    const listed = await nsnap('whois', WEB_CONTAINER.slice(0, 12), '--host', 'node-1', '--interface', 'mv*', '--json');
    expect(listed.exitCode, String(listed.stderr)).toBe(0);
    const m = (JSON.parse(String(listed.stdout)) as { matches: { interfaces?: { ifname: string }[] }[] }).matches;
    expect(m.map((x) => x.interfaces?.map((i) => i.ifname))).toEqual([['mv0']]);
    const all = await nsnap('whois', 'veth4a67fcf', '--all', '--host', 'node-1', '--netns', 'host');
    expect(all.exitCode).toBe(2);
  });
});
