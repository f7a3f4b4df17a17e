import { escapeControl } from '@nsnap/shared/text';
import type { ContainerView, Owners } from '../query/owners.js';
import type { GapView } from '../query/gaps.js';

const PROCESSES_SHOWN = 2;
export const GAPS_SHOWN = 20;

/** Docker-style short id for 64-hex ids; other runtimes' names as they are. */
export function shortContainer(c: ContainerView): string {
  return /^[0-9a-f]{64}$/.test(c.id) ? c.id.slice(0, 12) : escapeControl(c.id);
}

/** `container web-1 (794e0b37a9c6) pod shop/api-7d4 (7d4424e6-…)`: names where the runtimes' files gave them, ids beside them. */
export function containerText(c: ContainerView): string {
  const container = c.name !== undefined ? `${escapeControl(c.name)} (${shortContainer(c)})` : shortContainer(c);
  const pod = c.pod !== undefined ? ` pod ${escapeControl(c.pod)}${c.podUid ? ` (${escapeControl(c.podUid)})` : ''}` : c.podUid ? ` pod ${escapeControl(c.podUid)}` : '';
  return `container ${container}${pod}`;
}

/** "host" or "netns 4026532701", then names, a few processes, containers: who is behind a namespace. */
export function describeOwner(o: Owners): string {
  const parts = [o.host ? 'host' : `netns ${o.netns}`];
  if (o.names.length > 0) parts.push(`named ${o.names.map(escapeControl).join(', ')}`);
  // Every host process lives in the host namespace: listing them says nothing.
  const processes = o.host ? [] : o.processes;
  for (const p of processes.slice(0, PROCESSES_SHOWN)) parts.push(`pid ${p.pid} ${escapeControl(p.comm ?? '?')}`);
  if (processes.length > PROCESSES_SHOWN) parts.push(`+${processes.length - PROCESSES_SHOWN} more processes`);
  for (const c of o.containers) parts.push(containerText(c));
  if (o.processes.length === 0 && o.names.length === 0 && o.mounts.length > 0) parts.push(`mount ${o.mounts.map(escapeControl).join(', ')}`);
  if (!o.captured) parts.push(`not captured${o.problem ? `: ${escapeControl(o.problem)}` : ''}`);
  return parts.join(', ');
}

/** The "gaps:" footer shown under every human answer. */
export function gapsFooter(gaps: GapView[]): string[] {
  if (gaps.length === 0) return [];
  const lines = [`gaps (${gaps.length}: what could not be captured or read; answers may be incomplete there):`];
  for (const g of gaps.slice(0, GAPS_SHOWN)) {
    lines.push(`  ${escapeControl(g.probe)} ${escapeControl(g.subject)}: ${escapeControl(g.reason)}${g.detail ? ` — ${escapeControl(g.detail)}` : ''}`);
  }
  if (gaps.length > GAPS_SHOWN) lines.push(`  … ${gaps.length - GAPS_SHOWN} more (--json lists all)`);
  return lines;
}
