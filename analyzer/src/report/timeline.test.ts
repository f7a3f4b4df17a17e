import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleBuilder, writeBundle } from '../../../test/support/bundle-builder.js';
import { migrate } from '../db/migrate.js';
import { ingestSources } from '../ingest/ingest.js';
import { historyRange } from '../query/history.js';
import { whoisAll } from '../query/whois.js';
import type { Bar } from './model.js';
import { TIMELINE_LIMITS, timelineOf } from './timeline.js';

const HOST = 4026531840;
const SNAPSHOTS = 12;
const time = (k: number) => new Date(Date.UTC(2026, 10, 29, 10, k)).toISOString();

/** Snapshot k: pods k, k+1 and k+2, each a namespace with eth0 paired to the host's veth<p> (so pods come and go, one a snapshot); one not captured once. */
function bundle(k: number) {
  const pods = [k, k + 1, k + 2];
  const b = new BundleBuilder({ host: 'tl-1', takenAt: time(k) }).namespace({
    inode: HOST,
    host: true,
    links: pods.map((p, nsid) => ({ ifindex: 10 + p, ifname: `veth${p}`, kind: 'veth', linkIndex: 2, linkNetnsid: nsid })),
  });
  for (const p of pods) {
    // Snapshot 6 could not read pod 7's links: a gap in its eth0's period.
    if (k === 6 && p === 7) b.namespace({ inode: 4026532000 + p, names: [`pod${p}`], failure: { reason: 'failed', detail: 'EACCES' } });
    else b.namespace({ inode: 4026532000 + p, names: [`pod${p}`], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 10 + p, linkNetnsid: 0 }] });
    b.process({ pid: 100 + p, netns: 4026532000 + p, comm: 'sleep' });
  }
  b.lsns(HOST, pods.map((p, nsid) => ({ inode: 4026532000 + p, nsid })));
  return b.build();
}

describe('a report timeline', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-timeline-'));
  const db = new Sqlite(path.join(dir, 'nsnap.db'));
  migrate(db);
  ingestSources(db, Array.from({ length: SNAPSHOTS }, (_, k) => writeBundle(path.join(dir, 'bundles'), bundle(k))));
  const range = historyRange(db, 'tl-1', null, null).snapshots;
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws each device's whois --all periods, as the query states them", () => {
    const t = timelineOf(db, 'tl-1', range);
    const devices = t.bars.filter((b) => b.kind === 'device');
    for (const name of ['eth0', 'veth0', 'veth5', `veth${SNAPSHOTS + 1}`]) {
      const periods = whoisAll(db, name, 'tl-1').periods;
      const drawn = devices.filter((b) => b.period?.ifname === name);
      expect(periods.length).toBeGreaterThan(0);
      expect(drawn.map((b) => [b.period?.netns, b.period?.first.id, b.period?.last.id, b.period?.snapshots, b.period?.gaps])).toEqual(periods.map((p) => [p.netns, p.first.id, p.last.id, p.snapshots, p.gaps]));
      for (const b of drawn) expect([t.snapshots[b.first]?.id, t.snapshots[b.last]?.id]).toEqual([b.period?.first.id, b.period?.last.id]);
    }
    // eth0: one period per pod (each pod's namespace held it), its peer the host's veth of that pod.
    const eth0 = devices.filter((b) => b.period?.ifname === 'eth0');
    expect(eth0).toHaveLength(SNAPSHOTS + 2);
    const pod5 = eth0.find((b) => b.owner?.names.includes('pod5'));
    expect(pod5?.period?.peer).toMatch(/^veth5 #15 in host/);
    expect(devices.some((b) => b.period?.ifname === 'lo')).toBe(false);
    const pod7 = eth0.find((b) => b.owner?.names.includes('pod7'));
    expect([pod7?.period?.snapshots, pod7?.period?.gaps]).toEqual([2, 1]);
    expect(t.omitted).toEqual({ snapshots: null, bars: null, deviceNames: null, refusedNames: null, changes: 0, hints: [] });
    expect(t.rangeSnapshots).toBe(SNAPSHOTS);
  });

  it('tells its progress: every step compared and every name whose periods it reads, and draws the same', () => {
    const heard: string[] = [];
    const t = timelineOf(db, 'tl-1', range, TIMELINE_LIMITS, (text) => heard.push(text()));
    const steps = heard.filter((h) => /^timeline: \d+\/\d+ snapshots compared…$/.test(h));
    const names = heard.filter((h) => /^timeline: \d+\/\d+ devices' periods read…$/.test(h));
    expect(steps).toEqual(Array.from({ length: SNAPSHOTS - 1 }, (_, i) => `timeline: ${i + 1}/${SNAPSHOTS - 1} snapshots compared…`));
    expect(names.length).toBeGreaterThan(3);
    expect(names[names.length - 1]).toMatch(new RegExp(`^timeline: ${names.length - 1}/${names.length} `));
    expect(heard).toHaveLength(steps.length + names.length);
    expect(JSON.stringify(t)).toBe(JSON.stringify(timelineOf(db, 'tl-1', range)));
  });

  it('over its limits, draws the latest snapshots and the bars seen last, and states what it left out', () => {
    const limits = { snapshots: 5, bars: 12, deviceNames: 4, changesPerBar: 1 };
    const full = timelineOf(db, 'tl-1', range.slice(SNAPSHOTS - 5), { ...TIMELINE_LIMITS, changesPerBar: 1 });
    const t = timelineOf(db, 'tl-1', range, limits);
    expect(t.snapshots.map((s) => s.id)).toEqual(range.slice(SNAPSHOTS - 5).map((s) => s.id));
    expect(t.rangeSnapshots).toBe(SNAPSHOTS);
    expect(t.omitted.snapshots).toEqual({ count: SNAPSHOTS - 5, from: time(0), to: time(SNAPSHOTS - 6) });
    expect(t.bars).toHaveLength(12);
    // Names followed: the first 4 of the sorted names in the 5 snapshots drawn (eth0 and veths 7 to 13).
    const names = ['eth0', ...Array.from({ length: 7 }, (_, i) => `veth${SNAPSHOTS - 5 + i}`)].sort();
    expect(t.omitted.deviceNames).toEqual({ count: names.length - 4, examples: names.slice(4) });
    const all = full.bars.filter((b) => b.kind !== 'device' || names.slice(0, 4).includes(b.period?.ifname ?? ''));
    const dropped = all.length - 12;
    const o = t.omitted.bars;
    expect(o && o.namespace + o.pair + o.device).toBe(dropped);
    const lastOf = (b: Bar) => b.last;
    const endedBy = t.snapshots.findIndex((s) => s.takenAt === o?.endedBy);
    expect(Math.min(...t.bars.map(lastOf))).toBeGreaterThanOrEqual(endedBy);
    // Each bar lists one change; the others are counted, on the bar and in all.
    const listed = t.bars.reduce((n, b) => n + b.changesLeftOut, 0);
    expect(t.bars.every((b) => b.changes.length <= 1)).toBe(true);
    expect(t.omitted.changes).toBeGreaterThanOrEqual(listed);
    expect(t.omitted.hints.join('\n')).toContain(`--until ${time(SNAPSHOTS - 6)}`);
    expect(t.omitted.hints.join('\n')).toContain(`--until ${o?.endedBy}`);
    expect(t.omitted.hints.join('\n')).toContain('nsnap whois NAME --all --host tl-1');
  });
});
