import type { ShowAnswer } from '../answer/show.js';
import { describeOwner, gapsFooter, snapshotLine } from './describe.js';
import { routingLines } from './routing-text.js';
import { table } from './table.js';
import { terminalLines } from './terminal.js';

const dash = (v: string | number | null) => (v === null ? '-' : String(v));

export function renderShow(r: ShowAnswer): string {
  const lines = [snapshotLine(r.snapshot), ''];
  for (const ns of r.namespaces) {
    lines.push(describeOwner(ns));
    if (ns.mounts.length > 0 && (ns.processes.length > 0 || ns.names.length > 0)) lines.push(`  mounts: ${ns.mounts.join(', ')}`);
    if (ns.interfaces.length > 0) {
      const rows = ns.interfaces.map((i) => [
        String(i.ifindex),
        i.ifname + (i.alias ? ` (${i.alias})` : ''),
        dash(i.kind),
        dash(i.mtu),
        dash(i.operstate),
        dash(i.master),
        dash(i.address),
        i.addresses.join(' '),
      ]);
      lines.push(...table(['#', 'IFNAME', 'KIND', 'MTU', 'STATE', 'MASTER', 'MAC', 'ADDRESSES'], rows, '  '));
    }
    if (ns.routing) lines.push(...routingLines(ns.routing));
    lines.push('');
  }
  lines.push(...gapsFooter(r.gaps));
  while (lines.at(-1)?.trim() === '') lines.pop();
  return terminalLines(lines);
}
