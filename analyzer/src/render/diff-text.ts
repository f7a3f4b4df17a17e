import type { Change, EndRef, Owners } from '../answer/common.js';
import type { DiffBody, InterfaceRef, InterfaceState } from '../answer/diff.js';
import type { HistoryCounts } from '../answer/history.js';
import type { DiffOwners } from '../query/diff-snapshots.js';
import { countChanges } from '../query/history.js';
import { describeOwner, formatDuration, GAPS_SHOWN, snapshotLine } from './describe.js';
import { routingChangeLines, routingUncapturedLines } from './routing-text.js';
import { terminalLines } from './terminal.js';

const value = (v: unknown): string => {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.map((x) => String(x)).join(', ');
  return String(v);
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
  const parts = [i.kind ?? null, i.mtu != null ? `mtu ${i.mtu}` : null, i.operstate ?? null, i.master ? `master ${i.master}` : null, ...(i.addresses ?? [])];
  const rest = parts.filter((p) => p !== null).join(', ');
  return `${i.ifname} #${i.ifindex}${rest ? ` ${rest}` : ''}`;
}

interface Group {
  netns: number;
  lines: string[];
}

/**
 * The changes of a diff, as raw lines (the frontend escapes them), grouped by namespace, each headed by who owns it
 * (processes, names, containers), then pairs, then what could not be compared.
 */
export function changeLines(d: DiffBody, owners: DiffOwners, indent = ''): string[] {
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
    group(n.netns).lines.push(owners.to.has(n.netns) ? `- namespace removed (it was: ${nsLabel(n.netns, 'from')})${why ? `; the inode now holds a new one: ${why}` : ''}` : '- namespace removed');
  }
  for (const n of d.namespaces.added) group(n.netns).lines.push('+ namespace added');
  for (const n of d.namespaces.changed) {
    const was = n.fromNetns !== n.netns ? ` (netns ${n.fromNetns} before the reboot)` : '';
    group(n.netns).lines.push(`~ owners${was}: ${changeText(n.changes)}`);
  }
  for (const n of d.namespaces.uncertain) {
    group(n.netns).lines.push(`? uncertain whether this is the namespace of the earlier snapshot: ${n.reason}`);
    if (Object.keys(n.changes).length > 0) group(n.netns).lines.push(`~ owners: ${changeText(n.changes)}`);
  }
  for (const c of d.gaps.carried) group(c.netns).lines.push(`(not captured since ${c.since.takenAt}: its changes happened from then to this snapshot)`);
  for (const i of d.interfaces.removed) group(i.netns).lines.push(`- ${interfaceText(i)}`);
  for (const i of d.interfaces.added) group(i.netns).lines.push(`+ ${interfaceText(i)}`);
  for (const i of d.interfaces.changed) group(i.netns).lines.push(`~ ${i.ifname} #${i.ifindex}: ${changeText(i.changes)}`);
  for (const c of d.routing?.changed ?? []) group(c.netns).lines.push(...routingChangeLines(c));

  const lines: string[] = [];
  const ordered = [...groups.values()].sort((x, y) => Number(ownerOf(y.netns)?.host ?? false) - Number(ownerOf(x.netns)?.host ?? false) || x.netns - y.netns);
  for (const g of ordered) {
    lines.push(`${indent}${nsLabel(g.netns)}`, ...g.lines.map((l) => `${indent}  ${l}`));
  }
  const end = (e: EndRef, side: 'from' | 'to') => `${e.ifname} #${e.ifindex} (${nsLabel(e.netns, side)})`;
  if (d.pairs.added.length + d.pairs.removed.length > 0) {
    lines.push(`${indent}veth pairs:`);
    for (const p of d.pairs.removed) lines.push(`${indent}  - ${end(p.a, 'from')} ⇄ ${end(p.b, 'from')}  disconnected`);
    for (const p of d.pairs.added) lines.push(`${indent}  + ${end(p.a, 'to')} ⇄ ${end(p.b, 'to')}  connected`);
  }
  const unsure = [
    ...d.namespaces.unknown.map((n) => `? ${nsLabel(n.netns, 'from')}: not in the later snapshot, but not known to be gone: ${n.reason}`),
    ...d.gaps.uncaptured.map((g) => `? ${nsLabel(g.netns, g.side)}: links captured only in the ${g.side === 'to' ? 'earlier' : 'later'} snapshot; its interfaces are not compared`),
    ...routingUncapturedLines(d.routing?.uncaptured ?? []),
    ...d.namespaces.notComparable.map((n) => `? netns ${n.netns} (${n.side === 'from' ? 'before' : 'after'} the reboot${n.pids.length > 0 ? `, pids ${n.pids.slice(0, 5).join(', ')}${n.pids.length > 5 ? ', …' : ''}` : ''}): no name or container to match it by across a reboot`),
  ];
  if (unsure.length > 0) lines.push(`${indent}not compared:`, ...unsure.map((l) => `${indent}  ${l}`));
  const gapLine = (sign: string, g: DiffBody['gaps']['added'][number]) => `${indent}  ${sign} ${g.probe} ${g.subject}: ${g.reason}${g.detail ? ` — ${g.detail}` : ''}`;
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

export function renderDiff(d: DiffBody, owners: DiffOwners): string {
  const lines = [`from ${snapshotLine(d.from)}`, `to   ${snapshotLine(d.to)}`];
  const apart = Date.parse(d.to.takenAt) - Date.parse(d.from.takenAt);
  const boot = d.sameBoot ? '' : d.from.bootId === null || d.to.bootId === null ? '; boot id unknown' : '; across a reboot (another boot id)';
  lines.push(`     ${formatDuration(apart)} ${apart >= 0 ? 'later' : 'EARLIER (the snapshots are given newest first)'}${boot}${boot ? ': namespaces are matched by name and container only' : ''}`);
  lines.push('', ...changeLines(d, owners));
  lines.push('', countsText(countChanges(d)));
  return terminalLines(lines);
}
