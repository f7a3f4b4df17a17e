import { escapeControl } from '@nsnap/shared/text';
import type { ShowResult } from '../query/show.js';
import { describeOwner, gapsFooter } from './describe.js';
import { snapshotLine } from './diff-text.js';
import { routingLines } from './routing-text.js';
import { table } from './table.js';

const dash = (v: string | number | null) => (v === null ? '-' : escapeControl(String(v)));

export function renderShow(r: ShowResult): string {
  const lines = [snapshotLine(r.snapshot), ''];
  for (const ns of r.namespaces) {
    lines.push(describeOwner(ns));
    if (ns.mounts.length > 0 && (ns.processes.length > 0 || ns.names.length > 0)) lines.push(`  mounts: ${ns.mounts.map(escapeControl).join(', ')}`);
    if (ns.interfaces.length > 0) {
      const rows = ns.interfaces.map((i) => [
        String(i.ifindex),
        escapeControl(i.ifname) + (i.alias ? ` (${escapeControl(i.alias)})` : ''),
        dash(i.kind),
        dash(i.mtu),
        dash(i.operstate),
        dash(i.master),
        dash(i.address),
        i.addresses.map(escapeControl).join(' '),
      ]);
      lines.push(...table(['#', 'IFNAME', 'KIND', 'MTU', 'STATE', 'MASTER', 'MAC', 'ADDRESSES'], rows, '  '));
    }
    if (ns.routing) lines.push(...routingLines(ns.routing));
    lines.push('');
  }
  lines.push(...gapsFooter(r.gaps));
  return `${lines.join('\n').trimEnd()}\n`;
}
