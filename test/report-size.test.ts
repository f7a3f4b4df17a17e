/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the page: they name its DOM.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, openReport, searchAndPick } from './support/browser.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';

const HOST_NS = 4026531840;
const hex = (seed: string, n: number) => createHash('sha256').update(seed).digest('hex').slice(0, n);

interface Container {
  n: number;
  inode: number;
  id: string;
  veth: string;
  ip: string;
  mtu: number;
}

const container = (n: number, mtu = 1500): Container => ({ n, inode: 4026532000 + n, id: hex(`container ${n}`, 64), veth: `veth${hex(`veth ${n}`, 7)}`, ip: `172.17.${n >> 8}.${(n & 255) + 1}`, mtu });

/** A docker host of the given containers on docker0, as the collector writes it (each with a process, a cgroup, an address). */
function dockerHost(takenAt: string, containers: Container[]) {
  const b = new BundleBuilder({ host: 'big-1', takenAt });
  b.namespace({
    inode: HOST_NS,
    host: true,
    links: [{ ifindex: 2, ifname: 'eth0' }, { ifindex: 3, ifname: 'docker0', kind: 'bridge' }, ...containers.map((c, nsid) => ({ ifindex: 10 + c.n, ifname: c.veth, kind: 'veth', linkIndex: 2, linkNetnsid: nsid, master: 'docker0' }))],
  });
  for (const c of containers) {
    b.namespace({ inode: c.inode, binds: [`/run/docker/netns/${c.id.slice(0, 12)}`], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 10 + c.n, linkNetnsid: 0, mtu: c.mtu, addrs: [{ family: 'inet', local: c.ip, prefixlen: 16 }] }] });
    b.process({ pid: 10_000 + c.n, netns: c.inode, comm: 'nginx', cgroup: `0::/system.slice/docker-${c.id}.scope\n` });
  }
  b.process({ pid: 812, netns: HOST_NS, comm: 'dockerd' });
  b.lsns(HOST_NS, [{ inode: HOST_NS, nsid: null, pid: 812 }, ...containers.map((c, nsid) => ({ inode: c.inode, nsid, pid: 10_000 + c.n }))]);
  return b.build();
}

/**
 * The size budget of the report: two snapshots of a host of 400 containers (20 gone, 20 new and 5
 * with another MTU between them) make a diff report of at most 1 MB, which draws in chromium with
 * no error and states nsnap diff's numbers. How long it takes is bench/report.mjs's business.
 */
describe('a diff report of two 400-namespace snapshots', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-report-size-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is at most 1 MB, opens offline with no error, and finds a container by its IP', async () => {
    const before = Array.from({ length: 400 }, (_, n) => container(n));
    const after = [...before.slice(20).map((c) => (c.n < 25 ? container(c.n, 9000) : c)), ...Array.from({ length: 20 }, (_, i) => container(400 + i))];
    const a = dockerHost('2026-11-29T10:00:00.000Z', before);
    const b = dockerHost('2026-11-29T10:05:00.000Z', after);
    const db = path.join(dir, 'nsnap.db');
    const ingest = await runCli(ANALYZER_BIN, ['ingest', '-q', writeBundle(dir, a), writeBundle(dir, b), '--db', db]);
    expect(ingest.exitCode, String(ingest.stderr)).toBe(0);
    const file = path.join(dir, 'diff.html');
    const r = await runCli(ANALYZER_BIN, ['--db', db, 'report', '--from', a.snapshotId, '--to', b.snapshotId, '--out', file]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(statSync(file).size).toBeLessThanOrEqual(1_000_000);
    // The timeline of the same two snapshots (its namespaces, pairs and whois --all device periods) too.
    const range = path.join(dir, 'range.html');
    const t = await runCli(ANALYZER_BIN, ['--db', db, 'report', '--since', '2026-11-29', '--out', range, '--json']);
    expect(t.exitCode, String(t.stderr)).toBe(0);
    expect(JSON.parse(String(t.stdout)).timeline.bars).toEqual({ namespace: 421, pair: 420, device: 842 });
    expect(statSync(range).size).toBeLessThanOrEqual(1_000_000);

    const diff = JSON.parse(String((await runCli(ANALYZER_BIN, ['--db', db, 'diff', a.snapshotId, b.snapshotId, '--json'])).stdout));
    expect([diff.namespaces.added.length, diff.namespaces.removed.length, diff.interfaces.changed.length, diff.pairs.added.length, diff.pairs.removed.length]).toEqual([20, 20, 5, 20, 20]);
    const browser = await launchChromium();
    try {
      const { page, outside, errors } = await openReport(browser, file);
      expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
      const shown = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll<HTMLElement>('[data-count]')].map((e) => [e.dataset.count, Number(e.textContent)])));
      expect(shown).toMatchObject({ 'namespaces.added': 20, 'namespaces.removed': 20, 'interfaces.changed': 5, 'pairs.added': 20, 'pairs.removed': 20 });
      const target = after[100]!;
      const details = await searchAndPick(page, target.ip, 'eth0');
      expect(details).toContain(target.ip);
      expect(details).toContain(`docker ${target.id}`);
      expect(details).toContain(target.veth);
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
