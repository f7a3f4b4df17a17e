import type { ContainerView, GapView, Owners } from '../answer/common.js';

/**
 * Phrases every frontend shares (text, DOT), built from raw answer fields: each frontend escapes
 * them for its own medium (render/terminal.ts, render/dot.ts). Fixed words hold no backslash.
 */

const PROCESSES_SHOWN = 2;
export const GAPS_SHOWN = 20;

/** Docker-style short id for 64-hex ids; other runtimes' names as they are. */
export function shortContainer(c: ContainerView): string {
  return /^[0-9a-f]{64}$/.test(c.id) ? c.id.slice(0, 12) : c.id;
}

/** `container web-1 (794e0b37a9c6) pod shop/api-7d4 (7d4424e6-…)`: names where the runtimes' files gave them, ids beside them. */
export function containerText(c: ContainerView): string {
  const container = c.name !== undefined ? `${c.name} (${shortContainer(c)})` : shortContainer(c);
  const pod = c.pod !== undefined ? ` pod ${c.pod}${c.podUid ? ` (${c.podUid})` : ''}` : c.podUid ? ` pod ${c.podUid}` : '';
  return `container ${container}${pod}`;
}

/** "host" or "netns 4026532701", then names, a few processes, containers: who is behind a namespace. */
export function describeOwner(o: Owners): string {
  const parts = [o.host ? 'host' : `netns ${o.netns}`];
  if (o.names.length > 0) parts.push(`named ${o.names.join(', ')}`);
  // Every host process lives in the host namespace: listing them says nothing.
  const processes = o.host ? [] : o.processes;
  for (const p of processes.slice(0, PROCESSES_SHOWN)) parts.push(`pid ${p.pid} ${p.comm ?? '?'}`);
  if (processes.length > PROCESSES_SHOWN) parts.push(`+${processes.length - PROCESSES_SHOWN} more processes`);
  for (const c of o.containers) parts.push(containerText(c));
  if (o.processes.length === 0 && o.names.length === 0 && o.mounts.length > 0) parts.push(`mount ${o.mounts.join(', ')}`);
  if (!o.captured) parts.push(`not captured${o.problem ? `: ${o.problem}` : ''}`);
  return parts.join(', ');
}

/** The "gaps:" footer shown under every human answer. */
export function gapsFooter(gaps: GapView[]): string[] {
  if (gaps.length === 0) return [];
  const lines = [`gaps (${gaps.length}: what could not be captured or read; answers may be incomplete there):`];
  for (const g of gaps.slice(0, GAPS_SHOWN)) lines.push(`  ${g.probe} ${g.subject}: ${g.reason}${g.detail ? ` — ${g.detail}` : ''}`);
  if (gaps.length > GAPS_SHOWN) lines.push(`  … ${gaps.length - GAPS_SHOWN} more (--json lists all)`);
  return lines;
}

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
export function snapshotLine(s: { id: string; host: string; takenAt: string; asOf?: string | undefined }): string {
  const base = `snapshot ${s.id} of ${s.host}, taken ${s.takenAt}`;
  if (!s.asOf) return base;
  return `${base} (the one in force at ${s.asOf}: ${formatDuration(Date.parse(s.asOf) - Date.parse(s.takenAt))} old then)`;
}
