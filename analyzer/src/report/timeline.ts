// A report's timeline over a range: namespaces and veth pairs from the `history` walk, devices from
// `whois --all`, within limits that keep the file bounded; what it leaves out it states.
import { toDbText } from '@nsnap/shared/core';
import type { Database } from 'better-sqlite3';
import type { Owners } from '../answer/common.js';
import type { DiffAnswer as DiffResult } from '../answer/diff.js';
import { walkHistory } from '../query/history.js';
import { loadOwners } from '../query/owners.js';
import { peersOf } from '../query/peers.js';
import type { SnapshotRef } from '../query/select.js';
import { changeText } from './change-text.js';
import { deviceBars } from './devices.js';
import { ownerLabel } from './label.js';
import type { Bar, SnapshotLabel, Timeline, TimelineLimits, TimelineOmitted } from './model.js';
import { ownerFacts } from './topology.js';

/**
 * A timeline's default limits: a year of snapshots every 8 hours, and bars for a host of a few
 * hundred pods with their churn (each pod is a namespace, a pair and two devices).
 */
export const TIMELINE_LIMITS: TimelineLimits = { snapshots: 1000, bars: 4000, deviceNames: 2000, changesPerBar: 100 };

/** Every interface has lo: its periods are the namespaces' own, already drawn as their bars. */
const NOT_FOLLOWED = new Set(['lo']);
const EXAMPLES = 5;

const labelOf = (s: SnapshotRef): SnapshotLabel => ({ id: s.id, host: s.host, takenAt: s.takenAt, bootId: s.bootId });

/** Tells a long report's progress line what it is doing (render/progress.ts `update`). */
export type ReportTick = (text: () => string) => void;
const silent: ReportTick = () => undefined;

/** The timeline of `range` (oldest first, one host's), within `limits`. */
export function timelineOf(db: Database, host: string, range: SnapshotRef[], limits: TimelineLimits = TIMELINE_LIMITS, tick: ReportTick = silent): Timeline {
  const cut = Math.max(0, range.length - limits.snapshots);
  const snapshots = range.slice(cut);
  const early = range.slice(0, cut);
  const { bars, names, changesLeftOut } = historyBars(db, snapshots, limits, tick);
  let n = bars.length;
  const followed = [...names].filter((x) => !NOT_FOLLOWED.has(x)).sort();
  const devices = deviceBars(db, host, snapshots.map(labelOf), followed.slice(0, limits.deviceNames), () => `dev${n++}`, tick);
  const notFollowed = followed.slice(limits.deviceNames);
  const some = (names: string[]) => (names.length > 0 ? { count: names.length, examples: names.slice(0, EXAMPLES) } : null);
  const all = [...bars, ...devices.bars];
  // Over the limit, the bars seen last are kept (the topology drawn is the range's end); the rest all ended by one snapshot.
  const kept = all.length > limits.bars ? new Set([...all].sort((a, b) => b.last - a.last).slice(0, limits.bars)) : null;
  const shown = kept ? all.filter((b) => kept.has(b)) : all;
  const dropped = kept ? all.filter((b) => !kept.has(b)) : [];
  const endedBy = Math.max(-1, ...dropped.map((b) => b.last));
  const omitted: TimelineOmitted = {
    snapshots: early.length > 0 ? { count: early.length, from: (early[0] as SnapshotRef).takenAt, to: (early[early.length - 1] as SnapshotRef).takenAt } : null,
    bars:
      dropped.length > 0
        ? { namespace: dropped.filter((b) => b.kind === 'namespace').length, pair: dropped.filter((b) => b.kind === 'pair').length, device: dropped.filter((b) => b.kind === 'device').length, endedBy: (snapshots[endedBy] as SnapshotRef).takenAt }
        : null,
    deviceNames: some(notFollowed),
    refusedNames: some(devices.refused),
    changes: changesLeftOut,
    hints: [],
  };
  omitted.hints = hints(omitted, host, snapshots, limits);
  return { snapshots: snapshots.map(labelOf), bars: shown, rangeSnapshots: range.length, limits, omitted };
}

/** What to run to see what was left out: a narrower range, or the query itself. */
function hints(o: TimelineOmitted, host: string, snapshots: SnapshotRef[], limits: TimelineLimits): string[] {
  const out: string[] = [];
  if (o.snapshots) out.push(`the ${o.snapshots.count} earliest snapshots (${o.snapshots.from} → ${o.snapshots.to}) are not drawn: a timeline draws the latest ${limits.snapshots}; for those, end the range there: nsnap report --host ${host} --until ${o.snapshots.to} (with --since)`);
  if (o.bars) out.push(`${o.bars.namespace + o.bars.pair + o.bars.device} bars that ended by ${o.bars.endedBy} are not drawn (a timeline draws the ${limits.bars} seen last): end the range there (--until ${o.bars.endedBy}) or start it later (--since ${snapshots[0]?.takenAt ?? ''})`);
  if (o.deviceNames) out.push(`${o.deviceNames.count} interface names are not followed (a timeline follows ${limits.deviceNames}): nsnap whois NAME --all --host ${host} answers for one`);
  if (o.refusedNames) out.push(`${o.refusedNames.count} interface names are not followed: whois --all takes no name with whitespace, "/" or ":" (no kernel name has any)`);
  if (o.changes > 0) out.push(`${o.changes} changes are not listed (a bar lists ${limits.changesPerBar}): nsnap history -v --host ${host} lists every change`);
  return out;
}

/**
 * Bars over the range, from the `history` walk: a namespace's bar goes on
 * while the diff of each step matches it to one in the next snapshot (the
 * same inode, or the diff's match), and a pair's while neither diff removes it.
 * Also the interface names the range holds (as the database keeps them).
 */
function historyBars(db: Database, snapshots: SnapshotRef[], limits: TimelineLimits, tick: ReportTick): { bars: Bar[]; names: Set<string>; changesLeftOut: number } {
  const bars: Bar[] = [];
  const names = new Set<string>();
  let changesLeftOut = 0;
  const first = snapshots[0];
  if (!first) return { bars, names, changesLeftOut };
  for (const name of db.prepare('SELECT DISTINCT ifname FROM interfaces WHERE snapshot = ?').pluck().all(first.row) as string[]) names.add(name);
  let current = new Map<number, Bar>();
  const note = (bar: Bar | undefined, at: number, text: string) => {
    if (!bar) return;
    if (bar.changes.length < limits.changesPerBar) bar.changes.push({ at, text });
    else {
      bar.changesLeftOut++;
      changesLeftOut++;
    }
  };
  const open = (o: Owners, at: number): Bar => {
    const bar: Bar = { id: `ns${bars.length}`, kind: 'namespace', label: ownerLabel(o), first: at, last: at, gaps: [], owner: ownerFacts(o), changes: [], changesLeftOut: 0, period: null };
    bars.push(bar);
    return bar;
  };
  const seen = (bar: Bar, o: Owners, at: number) => {
    bar.last = at;
    bar.owner = ownerFacts(o);
    if (!o.captured) bar.gaps.push(at);
  };
  const initial = loadOwners(db, first.row);
  for (const o of initial.values()) {
    const bar = open(o, 0);
    seen(bar, o, 0);
    current.set(o.netns, bar);
  }
  const pairs = new Map<string, Bar>();
  const pairKey = (p: { a: { netns: number; ifindex: number }; b: { netns: number; ifindex: number } }, bars: Map<number, Bar>) =>
    [`${bars.get(p.a.netns)?.id ?? `?${p.a.netns}`}/${p.a.ifindex}`, `${bars.get(p.b.netns)?.id ?? `?${p.b.netns}`}/${p.b.ifindex}`].sort().join('|');
  const openPair = (p: { a: { netns: number; ifname: string }; b: { netns: number; ifname: string } }, at: number, key: string) => {
    const owner = current.get(p.b.netns)?.owner ?? null;
    const bar: Bar = { id: `pair${bars.length}`, kind: 'pair', label: `${p.a.ifname} ⇄ ${p.b.ifname}`, first: at, last: at, gaps: [], owner, changes: [], changesLeftOut: 0, period: null };
    bars.push(bar);
    pairs.set(key, bar);
  };
  for (const p of peersOf(db, first, initial).pairs) openPair(p, 0, pairKey(p, current));

  walkHistory(db, snapshots, { verbose: true, withOwners: true }, (step, owners, at) => {
    tick(() => `timeline: ${at}/${snapshots.length - 1} snapshots compared…`);
    const d = step.diff as DiffResult;
    const next = new Map<number, Bar>();
    const matched = new Map([...d.namespaces.changed, ...d.namespaces.uncertain].map((n) => [n.netns, n]));
    const added = new Set(d.namespaces.added.map((n) => n.netns));
    for (const o of (owners as { to: Map<number, Owners> }).to.values()) {
      const m = matched.get(o.netns);
      let bar = added.has(o.netns) ? undefined : current.get(m ? m.fromNetns : o.netns);
      if (!bar) {
        bar = open(o, at);
        if (at > 0) note(bar, at, 'appeared');
      }
      if (m) note(bar, at, 'reason' in m ? `uncertain: ${m.reason}` : changeText(m.changes));
      seen(bar, o, at);
      next.set(o.netns, bar);
    }
    for (const n of d.namespaces.removed) note(current.get(n.netns), at, 'gone');
    const removedNs = new Set(d.namespaces.removed.map((n) => n.netns));
    const barOf = (netns: number) => (removedNs.has(netns) ? current.get(netns) : next.get(netns));
    for (const i of d.interfaces.added) names.add(toDbText(i.ifname));
    // A renamed device: its new name (the changes say from → to).
    for (const i of d.interfaces.changed) for (const v of [i.ifname, i.changes.ifname?.to]) if (typeof v === 'string') names.add(toDbText(v));
    for (const i of d.interfaces.added) note(barOf(i.netns), at, `+ ${i.ifname} #${i.ifindex}`);
    for (const i of d.interfaces.removed) note(barOf(i.netns), at, `- ${i.ifname} #${i.ifindex}`);
    for (const i of d.interfaces.changed) note(barOf(i.netns), at, `~ ${i.ifname} #${i.ifindex}: ${changeText(i.changes)}`);
    for (const p of d.pairs.removed) {
      const key = pairKey(p, current);
      note(pairs.get(key), at, 'gone');
      pairs.delete(key);
    }
    current = next;
    // Keys name the namespaces' bars, not their inodes: a pair still there keeps its key.
    for (const bar of pairs.values()) bar.last = at;
    for (const p of d.pairs.added) {
      const key = pairKey(p, current);
      if (!pairs.has(key)) openPair(p, at, key);
      note(pairs.get(key), at, 'appeared');
    }
  });
  return { bars, names, changesLeftOut };
}
