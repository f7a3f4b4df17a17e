// The one adapter between nsnap's answers and the report: it runs the queries (show, peers, diff,
// history) as the CLI does and turns their answers into what the page draws (model.ts).
import type { Database } from 'better-sqlite3';
import type { DiffAnswer as DiffResult } from '../answer/diff.js';
import type { PeersAnswer as PeersResult } from '../answer/peers.js';
import type { ShowAnswer as ShowResult } from '../answer/show.js';
import { diffSelected, selectPair } from '../query/diff-snapshots.js';
import { historyRange } from '../query/history.js';
import { loadOwners } from '../query/owners.js';
import { peersOf } from '../query/peers.js';
import { selectSnapshot, type SnapshotRef } from '../query/select.js';
import { showSnapshot } from '../query/show.js';
import { changeText } from './change-text.js';
import { ownerLabel } from './label.js';
import { layout } from './layout.js';
import type { DiffCounts, ReportData, SnapshotLabel, Status, TimelineLimits, Topology } from './model.js';
import { TIMELINE_LIMITS, timelineOf, type ReportTick } from './timeline.js';
import { diffGraph, snapshotGraph, type Graph } from './topology.js';

/** What to draw: one snapshot, two (a diff), or a time range (a timeline, and the topology at its end). */
export type ReportScope =
  | { kind: 'snapshot'; snapshot: string; host: string | null }
  | { kind: 'diff'; from: string; to: string; host: string | null }
  | { kind: 'range'; since: string | null; until: string | null; host: string | null };

export function reportData(db: Database, scope: ReportScope, limits: TimelineLimits = TIMELINE_LIMITS, tick?: ReportTick): ReportData {
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
  const timeline = timelineOf(db, range.host, range.snapshots, limits, tick);
  const drawn = timeline.snapshots.length < range.snapshots.length ? ` (the latest ${timeline.snapshots.length} drawn)` : '';
  return {
    version: 1,
    title: `${range.host} — ${range.snapshots.length} snapshots${drawn}${range.snapshots[0] && last ? ` ${range.snapshots[0].takenAt} → ${last.takenAt}` : ''}`,
    topology: last && side ? { snapshot: labelOf(last), graph: topologyOf(snapshotGraph(side), side.show) } : null,
    diff: null,
    timeline,
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
