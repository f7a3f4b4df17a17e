import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@nsnap/analyzer';
import type { Bundle } from '@nsnap/shared';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';

const HOST = 100;
const A = 200;
const B = 300;

interface End {
  netns: number;
  ifname: string;
  ifindex: number;
}

/**
 * Schema-valid bundles that say impossible things: one ifindex twice in a
 * dump, a namespace listed twice, veths that name themselves as their peer.
 * Each becomes a gap or an unpaired end with its reason, nothing is merged
 * over anything else, and `nsnap check` flags it.
 */
describe('absurd but schema-valid bundles', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-absurd-'));
  const db = path.join(dir, 'nsnap.db');
  let peers: { pairs: { a: End; b: End; method: string }[]; unpaired: (End & { reason: string; detail: string })[] };
  let show: { namespaces: { netns: number; interfaces: { ifname: string; ifindex: number }[] }[]; gaps: { subject: string; detail: string }[] };
  let findings: { kind: string; subject: string; detail: string; ifname: string | null }[];

  beforeAll(async () => {
    const bundle = new BundleBuilder({ host: 'absurd-1' })
      .namespace({
        inode: HOST,
        host: true,
        links: [
          { ifindex: 5, ifname: 'vh1', kind: 'veth', linkIndex: 2, linkNetnsid: 0 },
          // Its nsid 7 names the host itself, and its peer index is its own.
          { ifindex: 9, ifname: 'me0', kind: 'veth', linkIndex: 9, linkNetnsid: 7 },
        ],
      })
      .namespace({
        inode: A,
        names: ['a'],
        links: [
          { ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 5, linkNetnsid: 0 },
          { ifindex: 2, ifname: 'forged0', kind: 'veth', linkIndex: 5, linkNetnsid: 0 },
        ],
      })
      .namespace({ inode: B, names: ['b'], links: [{ ifindex: 4, ifname: 'self0', kind: 'veth', link: 'self0' }] })
      .namespace({ inode: B, names: ['b2'], links: [{ ifindex: 4, ifname: 'evil0', kind: 'veth', link: 'self0' }, { ifindex: 6, ifname: 'evil1' }] })
      .lsns(HOST, [
        { inode: HOST, nsid: 7 },
        { inode: A, nsid: 0 },
      ])
      .build();
    writeBundle(dir, bundle);
    const ingested = await runCli(ANALYZER_BIN, ['ingest', dir, '--db', db]);
    expect(ingested.exitCode, String(ingested.stderr)).toBe(0);
    const nsnap = async (...args: string[]) => {
      const r = await runCli(ANALYZER_BIN, [...args, '--host', 'absurd-1', '--db', db, '--json']);
      expect([0, 1], String(r.stderr)).toContain(r.exitCode);
      return JSON.parse(String(r.stdout));
    };
    peers = await nsnap('peers');
    show = await nsnap('show');
    findings = (await nsnap('check')).findings;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const names = (inode: number) => show.namespaces.find((n) => n.netns === inode)!.interfaces.map((i) => `${i.ifindex}:${i.ifname}`).sort();

  it('two links with one ifindex: the first is kept, the second is a gap, and check flags it', () => {
    expect(names(A)).toEqual(['1:lo', '2:eth0']);
    const gap = show.gaps.find((g) => g.subject === `netns ${A}`);
    expect(gap?.detail).toMatch(/ifindex 2 listed twice in one dump, as "eth0" and "forged0"/);
    expect(findings.some((f) => f.kind === 'capture-failed' && /ifindex 2 listed twice/.test(f.detail))).toBe(true);
    // The pair is decided on the kept device only.
    expect(peers.pairs.some((p) => [p.a, p.b].some((e) => e.ifname === 'forged0'))).toBe(false);
  });

  it('a namespace listed twice: the first listing is kept, the second merged into nothing, a gap says so', () => {
    expect(names(B)).toEqual(['1:lo', '4:self0']);
    const database = openDatabase(db, { mustExist: true });
    expect(database.prepare('SELECT entered_path FROM namespaces WHERE inode = ?').pluck().get(B)).toBe('/run/netns/b');
    database.close();
    const gap = show.gaps.find((g) => g.subject === `netns ${B}`);
    expect(gap?.detail).toMatch(/namespace listed twice in the bundle/);
    expect(findings.some((f) => f.kind === 'capture-failed' && /namespace listed twice/.test(f.detail))).toBe(true);
  });

  it('a veth that names itself as its peer is never paired: unpaired with the reason, flagged by check', () => {
    const self = peers.unpaired.find((u) => u.netns === B && u.ifname === 'self0');
    expect(self).toMatchObject({ reason: 'dangling' });
    expect(self!.detail).toMatch(/names itself as its peer/);
    const me = peers.unpaired.find((u) => u.netns === HOST && u.ifname === 'me0');
    expect(me).toMatchObject({ reason: 'dangling' });
    expect(me!.detail).toMatch(/names itself as its peer/);
    expect(peers.pairs.some((p) => [p.a, p.b].some((e) => e.ifname === 'self0' || e.ifname === 'me0'))).toBe(false);
    for (const name of ['self0', 'me0']) expect(findings.some((f) => f.kind === 'dangling-veth' && f.ifname === name), name).toBe(true);
  });
});

/**
 * A bundle of junk (200k parse issues from a few KB of gzip) among good ones:
 * ingest stays linear, names that bundle's failure (the work budget), and
 * ingests the rest.
 */
describe('nsnap ingest: per-bundle work budget', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-budget-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const junkBundle = (lines: number): Bundle => {
    const bundle = dockerNode({ host: 'junk-1' }).build();
    const junk = `${'junk\n[]\n'.repeat(lines)}`;
    const ns = bundle.namespaces.find((n) => !n.isHost && n.captures.length > 0)!;
    ns.captures[0] = { ...ns.captures[0]!, stdout: `${ns.captures[0]!.stdout}${junk}` };
    return bundle;
  };

  it('fails the junk bundle by name and ingests the good ones', async () => {
    const store = path.join(dir, 'store');
    const good1 = dockerNode({ host: 'node-1' }).build();
    const good2 = dockerNode({ host: 'node-2' }).build();
    writeBundle(store, good1);
    const hostile = writeBundle(store, junkBundle(200_000));
    writeBundle(store, good2);
    const db = path.join(dir, 'budget.db');
    const started = performance.now();
    const r = await runCli(ANALYZER_BIN, ['ingest', store, '--db', db, '--json']);
    const seconds = (performance.now() - started) / 1000;
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(new RegExp(`failed: ${hostile}: over the per-bundle work budget: \\d+ parse issues in the first \\d+ link dump\\(s\\), more than the 10000 allowed`));
    const summary = JSON.parse(String(r.stdout)) as { ingested: number; failed: number };
    expect(summary).toMatchObject({ ingested: 2, failed: 1 });
    // Not a timing target: a quadratic parse of this bundle took minutes.
    expect(seconds).toBeLessThan(60);
  });

  it('a bundle with a few junk lines is still ingested, its issues kept as a gap', async () => {
    const store = path.join(dir, 'few');
    writeBundle(store, junkBundle(50));
    const db = path.join(dir, 'few.db');
    const r = await runCli(ANALYZER_BIN, ['ingest', store, '--db', db, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout))).toMatchObject({ ingested: 1, failed: 0 });
    const show = JSON.parse(String((await runCli(ANALYZER_BIN, ['show', '--json', '--db', db])).stdout)) as { gaps: { detail: string }[] };
    expect(show.gaps.some((g) => /^50 parse issue\(s\): line \d+: not JSON: junk/.test(g.detail))).toBe(true);
  });
});
