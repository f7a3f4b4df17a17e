import { escapeControl } from '@nsnap/shared/text';
import type { Change, InterfaceRef } from '../diff/diff.js';
import type { EndState, InterfaceState } from '../diff/state.js';
import type { DiffOwners, DiffResult, SnapshotLabel } from '../query/diff-snapshots.js';
import { countChanges, type HistoryCounts } from '../query/history.js';
import type { Owners } from '../query/owners.js';
import { describeOwner, GAPS_SHOWN } from './describe.js';
import { routingChangeLines, routingUncapturedLines } from './routing-text.js';

/** "3 s", "12 min", "5 h 3 min", "2 d 4 h": how far apart two times are. */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "snapshot ID of HOST, taken T" and, for @TIME, how old it was at that time. */
export function snapshotLine(s: SnapshotLabel): string {
  const base = `snapshot ${s.id} of ${escapeControl(s.host)}, taken ${s.takenAt}`;
  if (!s.asOf) return base;
  return `${base} (the one in force at ${s.asOf}: ${formatDuration(Date.parse(s.asOf) - Date.parse(s.takenAt))} old then)`;
}

const value = (v: unknown): string => {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.map((x) => escapeControl(String(x))).join(', ');
  return escapeControl(String(v));
};

function changeText(changes: Record<string, Change<unknown>>): string {
  return Object.entries(changes)
    .map(([field, c]) => {
      if (field === 'ifname') return `renamed from ${value(c.from)}`;
      if (field === 'ifindex') return `replaced: a new device (ifindex ${value(c.from)} → ${value(c.to)})`;
      return `${field} ${value(c.from)} → ${value(c.to)}`;
    })
    .join('; ');
}

function interfaceText(i: InterfaceRef & Partial<InterfaceState>): string {
  const parts = [i.kind != null ? escapeControl(i.kind) : null, i.mtu != null ? `mtu ${i.mtu}` : null, i.operstate != null ? escapeControl(i.operstate) : null, i.master ? `master ${escapeControl(i.master)}` : null, ...(i.addresses ?? []).map(escapeControl)];
  const rest = parts.filter((p) => p !== null).join(', ');
  return `${escapeControl(i.ifname)} #${i.ifindex}${rest ? ` ${rest}` : ''}`;
}

interface Group {
  netns: number;
  lines: string[];
}

/**
 * The changes of a diff grouped by namespace, each headed by who owns it
 * (processes, names, containers), then pairs, then what could not be compared.
 */
export function changeLines(d: DiffResult, owners: DiffOwners, indent = ''): string[] {
  const groups = new Map<number, Group>();
  const group = (netns: number) => {
    let g = groups.get(netns);
    if (!g) groups.set(netns, (g = { netns, lines: [] }));
    return g;
  };
  const ownerOf = (netns: number, side: 'from' | 'to' = 'to'): Owners | undefined => (side === 'to' ? (owners.to.get(netns) ?? owners.from.get(netns)) : (owners.from.get(netns) ?? owners.to.get(netns)));
  const nsLabel = (netns: number, side: 'from' | 'to' = 'to') => {
    const o = ownerOf(netns, side);
    return o ? describeOwner(o) : `netns ${netns}`;
  };

  // The kernel may have given the inode to a new namespace: then the header names the new owner.
  const reused = new Map(d.namespaces.replaced.map((r) => [r.netns, r.reason]));
  for (const n of d.namespaces.removed) {
    const why = reused.get(n.netns);
    group(n.netns).lines.push(owners.to.has(n.netns) ? `- namespace removed (it was: ${nsLabel(n.netns, 'from')})${why ? `; the inode now holds a new one: ${escapeControl(why)}` : ''}` : '- namespace removed');
  }
  for (const n of d.namespaces.added) group(n.netns).lines.push('+ namespace added');
  for (const n of d.namespaces.changed) {
    const was = n.fromNetns !== n.netns ? ` (netns ${n.fromNetns} before the reboot)` : '';
    group(n.netns).lines.push(`~ owners${was}: ${changeText(n.changes)}`);
  }
  for (const n of d.namespaces.uncertain) {
    group(n.netns).lines.push(`? uncertain whether this is the namespace of the earlier snapshot: ${escapeControl(n.reason)}`);
    if (Object.keys(n.changes).length > 0) group(n.netns).lines.push(`~ owners: ${changeText(n.changes)}`);
  }
  for (const c of d.gaps.carried) group(c.netns).lines.push(`(not captured since ${c.since.takenAt}: its changes happened from then to this snapshot)`);
  for (const i of d.interfaces.removed) group(i.netns).lines.push(`- ${interfaceText(i)}`);
  for (const i of d.interfaces.added) group(i.netns).lines.push(`+ ${interfaceText(i)}`);
  for (const i of d.interfaces.changed) group(i.netns).lines.push(`~ ${escapeControl(i.ifname)} #${i.ifindex}: ${changeText(i.changes)}`);
  for (const c of d.routing?.changed ?? []) group(c.netns).lines.push(...routingChangeLines(c));

  const lines: string[] = [];
  const ordered = [...groups.values()].sort((x, y) => Number(ownerOf(y.netns)?.host ?? false) - Number(ownerOf(x.netns)?.host ?? false) || x.netns - y.netns);
  for (const g of ordered) {
    lines.push(`${indent}${nsLabel(g.netns)}`, ...g.lines.map((l) => `${indent}  ${l}`));
  }
  const end = (e: EndState, side: 'from' | 'to') => `${escapeControl(e.ifname)} #${e.ifindex} (${nsLabel(e.netns, side)})`;
  if (d.pairs.added.length + d.pairs.removed.length > 0) {
    lines.push(`${indent}veth pairs:`);
    for (const p of d.pairs.removed) lines.push(`${indent}  - ${end(p.a, 'from')} ⇄ ${end(p.b, 'from')}  disconnected`);
    for (const p of d.pairs.added) lines.push(`${indent}  + ${end(p.a, 'to')} ⇄ ${end(p.b, 'to')}  connected`);
  }
  const unsure = [
    ...d.namespaces.unknown.map((n) => `? ${nsLabel(n.netns, 'from')}: not in the later snapshot, but not known to be gone: ${escapeControl(n.reason)}`),
    ...d.gaps.uncaptured.map((g) => `? ${nsLabel(g.netns, g.side)}: links captured only in the ${g.side === 'to' ? 'earlier' : 'later'} snapshot; its interfaces are not compared`),
    ...routingUncapturedLines(d.routing?.uncaptured ?? []),
    ...d.namespaces.notComparable.map((n) => `? netns ${n.netns} (${n.side === 'from' ? 'before' : 'after'} the reboot${n.pids.length > 0 ? `, pids ${n.pids.slice(0, 5).join(', ')}${n.pids.length > 5 ? ', …' : ''}` : ''}): no name or container to match it by across a reboot`),
  ];
  if (unsure.length > 0) lines.push(`${indent}not compared:`, ...unsure.map((l) => `${indent}  ${l}`));
  const gapLine = (sign: string, g: DiffResult['gaps']['added'][number]) =>
    `${indent}  ${sign} ${escapeControl(g.probe)} ${escapeControl(g.subject)}: ${escapeControl(g.reason)}${g.detail ? ` — ${escapeControl(g.detail)}` : ''}`;
  if (d.gaps.added.length + d.gaps.removed.length > 0) {
    lines.push(`${indent}gaps (what could not be captured):`);
    lines.push(...d.gaps.added.slice(0, GAPS_SHOWN).map((g) => gapLine('+', g)));
    lines.push(...d.gaps.removed.slice(0, GAPS_SHOWN).map((g) => gapLine('-', g)));
    const hidden = Math.max(0, d.gaps.added.length - GAPS_SHOWN) + Math.max(0, d.gaps.removed.length - GAPS_SHOWN);
    if (hidden > 0) lines.push(`${indent}  … ${hidden} more (--json lists all)`);
  }
  return lines;
}

/** Counts as one phrase: "+1 -1 ~2 namespaces, +3 -1 ~2 interfaces, +1 -1 veth pairs". */
export function countsText(c: HistoryCounts): string {
  const part = (what: string, added: number, removed: number, changed = 0) => {
    const bits = [added ? `+${added}` : '', removed ? `-${removed}` : '', changed ? `~${changed}` : ''].filter(Boolean);
    return bits.length > 0 ? `${bits.join(' ')} ${what}` : '';
  };
  const text = [
    part('namespaces', c.namespaces.added, c.namespaces.removed, c.namespaces.changed),
    c.namespaces.uncertain ? `?${c.namespaces.uncertain} namespace${c.namespaces.uncertain === 1 ? '' : 's'} uncertain` : '',
    part('interfaces', c.interfaces.added, c.interfaces.removed, c.interfaces.changed),
    part('veth pairs', c.pairs.added, c.pairs.removed),
    c.routing?.changed ? `~${c.routing.changed} route, rule or neighbour list${c.routing.changed === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return text.length > 0 ? text.join(', ') : 'no changes';
}

export function renderDiff(d: DiffResult, owners: DiffOwners): string {
  const lines = [`from ${snapshotLine(d.from)}`, `to   ${snapshotLine(d.to)}`];
  const apart = Date.parse(d.to.takenAt) - Date.parse(d.from.takenAt);
  const boot = d.sameBoot ? '' : d.from.bootId === null || d.to.bootId === null ? '; boot id unknown' : '; across a reboot (another boot id)';
  lines.push(`     ${formatDuration(apart)} ${apart >= 0 ? 'later' : 'EARLIER (the snapshots are given newest first)'}${boot}${boot ? ': namespaces are matched by name and container only' : ''}`);
  lines.push('', ...changeLines(d, owners));
  lines.push('', countsText(countChanges(d)));
  return `${lines.join('\n')}\n`;
}
