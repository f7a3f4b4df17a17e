// The one adapter between nsnap's answers and the report: it runs the queries (show, peers, diff,
// history) as the CLI does and turns their answers into what the page draws (model.ts).
import type { Database } from 'better-sqlite3';
import type { Owners } from '../answer/common.js';
import type { DiffAnswer as DiffResult } from '../answer/diff.js';
import type { PeersAnswer as PeersResult } from '../answer/peers.js';
import type { ShowAnswer as ShowResult } from '../answer/show.js';
import { diffSelected, selectPair } from '../query/diff-snapshots.js';
import { historyRange, walkHistory } from '../query/history.js';
import { loadOwners } from '../query/owners.js';
import { peersOf } from '../query/peers.js';
import { selectSnapshot, type SnapshotRef } from '../query/select.js';
import { showSnapshot } from '../query/show.js';
import { ownerLabel } from './label.js';
import { layout } from './layout.js';
import type { Bar, DiffCounts, ReportData, SnapshotLabel, Status, Timeline, Topology } from './model.js';
import { diffGraph, ownerFacts, snapshotGraph, type Graph } from './topology.js';

/** What to draw: one snapshot, two (a diff), or a time range (a timeline, and the topology at its end). */
export type ReportScope =
  | { kind: 'snapshot'; snapshot: string; host: string | null }
  | { kind: 'diff'; from: string; to: string; host: string | null }
  | { kind: 'range'; since: string | null; until: string | null; host: string | null };

export function reportData(db: Database, scope: ReportScope): ReportData {
  if (scope.kind === 'snapshot') {
    const ref = selectSnapshot(db, { snapshot: scope.snapshot, host: scope.host });
    const side = answersOf(db, ref);
    return { version: 1, title: `${ref.host} — snapshot ${ref.id} — ${ref.takenAt}`, topology: { snapshot: labelOf(ref), graph: topologyOf(snapshotGraph(side), side.show) }, diff: null, timeline: null };
  }
  if (scope.kind === 'diff') {
    const [a, b] = selectPair(db, scope.from, scope.to, scope.host);
    const { diff } = diffSelected(db, a, b);
    const from = answersOf(db, a);
    const to = answersOf(db, b);
    return {
      version: 1,
      title: `${b.host} — diff ${a.takenAt} → ${b.takenAt}`,
      topology: { snapshot: labelOf(b), graph: topologyOf(diffGraph(from, to, diff), to.show) },
      diff: { from: labelOf(a), to: labelOf(b), counts: countsOf(diff), lines: diffLines(diff, from.show, to.show) },
      timeline: null,
    };
  }
  const range = historyRange(db, scope.host, scope.since, scope.until);
  const last = range.snapshots[range.snapshots.length - 1];
  const side = last ? answersOf(db, last) : null;
  return {
    version: 1,
    title: `${range.host} — ${range.snapshots.length} snapshots${range.snapshots[0] && last ? ` ${range.snapshots[0].takenAt} → ${last.takenAt}` : ''}`,
    topology: last && side ? { snapshot: labelOf(last), graph: topologyOf(snapshotGraph(side), side.show) } : null,
    diff: null,
    timeline: timelineOf(db, range.snapshots),
  };
}

function answersOf(db: Database, ref: SnapshotRef): { show: ShowResult; peers: PeersResult } {
  const owners = loadOwners(db, ref.row);
  return { show: showSnapshot(db, ref, owners), peers: peersOf(db, ref, owners) };
}

const labelOf = (s: SnapshotRef): SnapshotLabel => ({ id: s.id, host: s.host, takenAt: s.takenAt, bootId: s.bootId });

function topologyOf(graph: Graph, show: ShowResult): Topology {
  return { ...graph, ...layout(graph), gaps: show.gaps };
}

/** The numbers `nsnap diff` states: the lengths of its answer's lists. */
export function countsOf(d: DiffResult): DiffCounts {
  return {
    namespaces: { added: d.namespaces.added.length, removed: d.namespaces.removed.length, changed: d.namespaces.changed.length, uncertain: d.namespaces.uncertain.length, replaced: d.namespaces.replaced.length, unknown: d.namespaces.unknown.length, notComparable: d.namespaces.notComparable.length },
    interfaces: { added: d.interfaces.added.length, removed: d.interfaces.removed.length, changed: d.interfaces.changed.length },
    pairs: { added: d.pairs.added.length, removed: d.pairs.removed.length },
    gaps: { uncaptured: d.gaps.uncaptured.length, carried: d.gaps.carried.length, added: d.gaps.added.length, removed: d.gaps.removed.length },
  };
}

/** A diff's changes in a line: a list by what it gained and lost (a pod's 24 containers are not repeated), a value as from → to. */
const changeText = (changes: Record<string, { from: unknown; to: unknown }>) =>
  Object.entries(changes)
    .map(([f, c]) => {
      if (!Array.isArray(c.from) || !Array.isArray(c.to)) return `${f} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`;
      const before = new Set(c.from.map((x) => JSON.stringify(x)));
      const after = new Set(c.to.map((x) => JSON.stringify(x)));
      const gained = [...after].filter((x) => !before.has(x));
      const lost = [...before].filter((x) => !after.has(x));
      return `${f}${gained.length > 0 ? ` +${gained.join(' +')}` : ''}${lost.length > 0 ? ` -${lost.join(' -')}` : ''}`;
    })
    .join('; ');

/** The diff's entries one per line, each namespace named by its owners in its own snapshot. */
function diffLines(d: DiffResult, from: ShowResult, to: ShowResult): { status: Status; text: string }[] {
  const names = (show: ShowResult) => new Map(show.namespaces.map((n) => [n.netns, ownerLabel(n)]));
  const before = names(from);
  const after = names(to);
  const nsName = (netns: number, side: 'from' | 'to') => (side === 'to' ? after : before).get(netns) ?? `netns ${netns}`;
  const out: { status: Status; text: string }[] = [];
  for (const n of d.namespaces.added) out.push({ status: 'added', text: `+ namespace ${nsName(n.netns, 'to')} (netns ${n.netns})` });
  for (const n of d.namespaces.removed) out.push({ status: 'removed', text: `- namespace ${nsName(n.netns, 'from')} (netns ${n.netns})` });
  for (const n of d.namespaces.changed) out.push({ status: 'changed', text: `~ namespace ${nsName(n.netns, 'to')}: ${changeText(n.changes)}` });
  for (const n of d.namespaces.uncertain) out.push({ status: 'changed', text: `? namespace ${nsName(n.netns, 'to')}: uncertain, ${n.reason}` });
  for (const n of d.namespaces.unknown) out.push({ status: 'changed', text: `? namespace ${nsName(n.netns, 'from')}: ${n.reason}` });
  for (const n of d.namespaces.notComparable) out.push({ status: 'changed', text: `? namespace netns ${n.netns} (${n.side}): not comparable across a reboot` });
  const removedNs = new Set(d.namespaces.removed.map((n) => n.netns));
  for (const i of d.interfaces.added) out.push({ status: 'added', text: `+ ${i.ifname} #${i.ifindex} in ${nsName(i.netns, 'to')}` });
  for (const i of d.interfaces.removed) out.push({ status: 'removed', text: `- ${i.ifname} #${i.ifindex} in ${nsName(i.netns, removedNs.has(i.netns) ? 'from' : 'to')}` });
  for (const i of d.interfaces.changed) out.push({ status: 'changed', text: `~ ${i.ifname} #${i.ifindex} in ${nsName(i.netns, 'to')}: ${changeText(i.changes)}` });
  for (const p of d.pairs.added) out.push({ status: 'added', text: `+ veth ${p.a.ifname} ⇄ ${p.b.ifname} (${nsName(p.b.netns, 'to')})` });
  for (const p of d.pairs.removed) out.push({ status: 'removed', text: `- veth ${p.a.ifname} ⇄ ${p.b.ifname} (${nsName(p.b.netns, 'from')})` });
  for (const g of d.gaps.uncaptured) out.push({ status: 'changed', text: `? netns ${g.netns} not captured in the ${g.side === 'from' ? 'earlier' : 'later'} snapshot: not compared` });
  return out;
}

/**
 * Bars over the range, from the `history` walk: a namespace's bar goes on
 * while the diff of each step matches it to one in the next snapshot (the
 * same inode, or the diff's match), and a pair's while neither diff removes it.
 */
function timelineOf(db: Database, snapshots: SnapshotRef[]): Timeline {
  const bars: Bar[] = [];
  const first = snapshots[0];
  if (!first) return { snapshots: [], bars };
  let current = new Map<number, Bar>();
  const note = (bar: Bar | undefined, at: number, text: string) => bar?.changes.push({ at, text });
  const open = (o: Owners, at: number): Bar => {
    const bar: Bar = { id: `ns${bars.length}`, kind: 'namespace', label: ownerLabel(o), first: at, last: at, gaps: [], owner: ownerFacts(o), changes: [] };
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
    const bar: Bar = { id: `pair${bars.length}`, kind: 'pair', label: `${p.a.ifname} ⇄ ${p.b.ifname}`, first: at, last: at, gaps: [], owner, changes: [] };
    bars.push(bar);
    pairs.set(key, bar);
  };
  for (const p of peersOf(db, first, initial).pairs) openPair(p, 0, pairKey(p, current));

  walkHistory(db, snapshots, { verbose: true, withOwners: true }, (step, owners, at) => {
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
  return { snapshots: snapshots.map(labelOf), bars };
}
