import type { CheckAnswer } from '../answer/check.js';
import type { Owners } from '../answer/common.js';
import { describeOwner, snapshotLine } from './describe.js';
import { terminalLines } from './terminal.js';

const TITLES: Record<string, string> = {
  'dangling-veth': 'veths whose peer is gone from a namespace nsnap read',
  'ambiguous-veth': 'veths whose peer cannot be decided from the link data',
  'unconfirmed-veth': 'veths with one candidate peer that is not proof while namespaces are out of sight',
  'veth-peer-unseen': 'veths whose peer is in a namespace nsnap could not see',
  'veth-peer-unreadable': 'veths whose peer is in a namespace nsnap could not read',
  'netns-without-process': 'namespaces kept alive with no process in them',
  'veth-mtu-mismatch': 'veth pairs whose ends disagree on the MTU',
  'veth-one-end-down': 'veth pairs with one end down',
  'bridge-mtu-mismatch': 'bridge ports whose MTU differs from their bridge\'s',
  'leaked-address': 'addresses held by namespaces with no process in them (leaked pod IPs)',
  'leaked-address-uncertain': 'addresses perhaps held by namespaces with no process: the facts do not settle it',
  'capture-failed': 'captures that failed (answers may be incomplete there)',
};

/** Findings grouped by kind, each with the owners of its namespace. */
export function renderCheck(r: CheckAnswer, owners: Map<number, Owners>): string {
  const lines = [snapshotLine(r.snapshot), ''];
  if (r.findings.length === 0) return terminalLines([...lines, 'no findings']);
  const kinds = [...new Set(r.findings.map((f) => f.kind))];
  for (const kind of kinds) {
    const list = r.findings.filter((f) => f.kind === kind);
    lines.push(`${kind} (${list.length}): ${TITLES[kind] ?? ''}`);
    for (const f of list) {
      const owner = f.netns !== null && f.kind !== 'netns-without-process' && !f.kind.startsWith('leaked-address') ? owners.get(f.netns) : undefined;
      lines.push(`  ${f.subject}${owner ? ` [${describeOwner(owner)}]` : ''}: ${f.detail}`);
    }
    lines.push('');
  }
  lines.push(`${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`);
  return terminalLines(lines);
}
