// A timeline's device bars: the periods `nsnap whois NAME --all` states for each interface name seen
// in the range, from the query itself (whoisAll), clipped to the range drawn.
import type { Database } from 'better-sqlite3';
import type { PeerView, WhoisPeriod } from '../answer/whois.js';
import { UsageError } from '../errors.js';
import { whoisAll } from '../query/whois.js';
import type { ReportTick } from './timeline.js';
import { ownerLabel } from './label.js';
import type { Bar, DevicePeriod, OwnerFacts, SnapshotLabel } from './model.js';

const peerText = (p: PeerView) => `${p.ifname} #${p.ifindex} in ${ownerLabel(p)} (netns ${p.netns})`;

function periodOf(p: WhoisPeriod): DevicePeriod {
  const m = p.match;
  const low = m.lower;
  return {
    ifname: m.ifname ?? '',
    ifindex: p.ifindex,
    netns: p.netns,
    kind: m.kind,
    master: m.master,
    bootId: p.bootId,
    first: p.first,
    last: p.last,
    snapshots: p.snapshots,
    gaps: p.gaps,
    uncertain: p.uncertain ?? null,
    forgotten: p.forgotten ?? null,
    peer: m.peer ? peerText(m.peer) : null,
    unpaired: m.unpaired ? `${m.unpaired.reason}: ${m.unpaired.detail}` : null,
    lower: low ? `${low.device ? peerText(low.device) : `unknown${low.detail ? ` (${low.detail})` : ''}`}${low.method ? `, by ${low.method}` : ''}` : null,
  };
}

function ownerOf(p: WhoisPeriod): OwnerFacts {
  const m = p.match;
  return { netns: m.netns, host: m.host, captured: m.captured, problem: null, names: m.names, mounts: m.mounts, processes: m.processes, containers: m.containers.map((c) => ({ runtime: c.runtime, id: c.id, podUid: c.podUid })) };
}

/** The index of the first snapshot at or after `t` (`after`), or of the last at or before it. */
function indexAt(times: string[], t: string, after: boolean): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as string) < t || (!after && times[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return after ? lo : lo - 1;
}

export interface DeviceBars {
  bars: Bar[];
  /** Names whois --all could not follow (not an interface name to it): none on a sane host. */
  refused: string[];
}

/**
 * One bar per whois --all period of each name (in the database's text form, as whois takes it) that
 * overlaps the snapshots drawn. A period's own first and last snapshots and its gap count are the
 * query's; the bar is clipped to the range.
 */
export function deviceBars(db: Database, host: string, snapshots: SnapshotLabel[], names: string[], nextId: () => string, tick: ReportTick = () => undefined): DeviceBars {
  const bars: Bar[] = [];
  const refused: string[] = [];
  const times = snapshots.map((s) => s.takenAt);
  const start = times[0];
  const end = times[times.length - 1];
  if (start === undefined || end === undefined) return { bars, refused };
  const index = new Map(snapshots.map((s, i) => [s.id, i]));
  for (const [i, name] of names.entries()) {
    tick(() => `timeline: ${i}/${names.length} devices' periods read…`);
    let periods: WhoisPeriod[];
    try {
      periods = whoisAll(db, `if:${name}`, host).periods;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      refused.push(name);
      continue;
    }
    for (const p of periods) {
      if (p.last.takenAt < start || p.first.takenAt > end) continue;
      const owner = ownerOf(p);
      const period = periodOf(p);
      bars.push({
        id: nextId(),
        kind: 'device',
        label: `${period.ifname} — ${ownerLabel(owner)}`,
        first: index.get(p.first.id) ?? Math.max(0, indexAt(times, p.first.takenAt, true)),
        last: index.get(p.last.id) ?? Math.max(0, indexAt(times, p.last.takenAt, false)),
        gaps: [],
        owner,
        changes: [],
        changesLeftOut: 0,
        period,
      });
    }
  }
  return { bars, refused };
}
