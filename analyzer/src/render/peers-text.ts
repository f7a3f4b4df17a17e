import type { EndView, PeersAnswer } from '../answer/peers.js';
import { describeOwner, gapsFooter, snapshotLine } from './describe.js';
import { terminalLines } from './terminal.js';

/** `veth4a67fcf #21 (host, master docker0)`, raw. */
export function describeEnd(e: EndView): string {
  const master = e.master !== null ? `, master ${e.master}` : '';
  return `${e.ifname} #${e.ifindex} (${describeOwner(e.owner)}${master})`;
}

export function renderPeers(r: PeersAnswer): string {
  const lines = [snapshotLine(r.snapshot), ''];
  lines.push(r.pairs.length === 0 ? 'no veth pairs' : `veth pairs (${r.pairs.length}):`);
  for (const p of r.pairs) lines.push(`  ${describeEnd(p.a)} ⇄ ${describeEnd(p.b)}  [${p.method}]`);
  if (r.unpaired.length > 0) {
    lines.push('', `unpaired veths (${r.unpaired.length}):`);
    for (const u of r.unpaired) {
      lines.push(`  ${describeEnd(u)}: ${u.reason} — ${u.detail}`);
      for (const c of u.candidates) lines.push(`      candidate ${describeEnd(c)}`);
    }
  }
  if (r.lowers.length > 0) {
    lines.push('', `lower devices (${r.lowers.length}):`);
    for (const l of r.lowers) {
      const kind = l.end.kind !== null ? `${l.end.kind} ` : '';
      const target = l.target ? `${describeEnd(l.target)}  [${l.method}]` : `? — ${l.detail ?? 'unresolved'}`;
      lines.push(`  ${kind}${describeEnd(l.end)} → ${target}`);
    }
  }
  const footer = gapsFooter(r.gaps);
  if (footer.length > 0) lines.push('', ...footer);
  return terminalLines(lines);
}
