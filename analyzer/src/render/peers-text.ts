import { escapeControl } from '@nsnap/shared/text';
import type { EndView, PeersResult } from '../query/peers.js';
import { describeOwner, gapsFooter } from './describe.js';
import { snapshotLine } from './diff-text.js';

/** `veth4a67fcf #21 (host, master docker0)`. */
export function describeEnd(e: EndView): string {
  const master = e.master !== null ? `, master ${escapeControl(e.master)}` : '';
  return `${escapeControl(e.ifname)} #${e.ifindex} (${describeOwner(e.owner)}${master})`;
}

export function renderPeers(r: PeersResult): string {
  const lines = [snapshotLine(r.snapshot), ''];
  lines.push(r.pairs.length === 0 ? 'no veth pairs' : `veth pairs (${r.pairs.length}):`);
  for (const p of r.pairs) lines.push(`  ${describeEnd(p.a)} ⇄ ${describeEnd(p.b)}  [${p.method}]`);
  if (r.unpaired.length > 0) {
    lines.push('', `unpaired veths (${r.unpaired.length}):`);
    for (const u of r.unpaired) {
      lines.push(`  ${describeEnd(u)}: ${u.reason} — ${escapeControl(u.detail)}`);
      for (const c of u.candidates) lines.push(`      candidate ${describeEnd(c)}`);
    }
  }
  if (r.lowers.length > 0) {
    lines.push('', `lower devices (${r.lowers.length}):`);
    for (const l of r.lowers) {
      const kind = l.end.kind !== null ? `${escapeControl(l.end.kind)} ` : '';
      const target = l.target ? `${describeEnd(l.target)}  [${l.method}]` : `? — ${escapeControl(l.detail ?? 'unresolved')}`;
      lines.push(`  ${kind}${describeEnd(l.end)} → ${target}`);
    }
  }
  const footer = gapsFooter(r.gaps);
  if (footer.length > 0) lines.push('', ...footer);
  return `${lines.join('\n')}\n`;
}
