import type { Finding, FindingKind } from '../answer/check.js';
import type { EndState, SnapshotState } from '../diff/state.js';
import { bridgeMtuFindings } from './bridge-mtu.js';
import { leakedAddressFindings, type ProcessHold } from './leaked-addresses.js';

export interface CheckInput {
  state: SnapshotState;
  /** veth ends the correlator could not pair, with its reason and detail. */
  unpaired: { end: EndState; reason: string; detail: string }[];
  /** The bundle's gaps: probes or captures that failed. */
  gaps: { probe: string; subject: string; reason: string; detail: string }[];
  /** Namespaces with no process of their own that were entered through a process's fd or thread. */
  holds?: ReadonlyMap<number, ProcessHold>;
  /** Processes whose namespace could not be read, not counting those that exited mid-scan (default: all of `state.unreadable`). */
  unreadableLive?: number;
}

const UP = new Set(['UP', 'UNKNOWN']);

/** The finding for each reason a veth end has no peer (docs/correlation.md); a veth on a pre-2019 kernel is none. */
const UNPAIRED_KINDS: Record<string, FindingKind | undefined> = {
  dangling: 'dangling-veth',
  ambiguous: 'ambiguous-veth',
  unconfirmed: 'unconfirmed-veth',
  'unseen-peer': 'veth-peer-unseen',
  'unreadable-peer': 'veth-peer-unreadable',
};

/**
 * What looks wrong in one snapshot. Pure. Findings are facts with a reason,
 * not guesses: an ambiguous veth is reported as such, not as dangling.
 */
export function checkSnapshot(input: CheckInput): Finding[] {
  const findings: Finding[] = [];
  const byNetns = new Map(input.state.namespaces.map((n) => [n.netns, n]));
  const iface = (e: EndState) => byNetns.get(e.netns)?.interfaces.find((i) => i.ifindex === e.ifindex);

  for (const u of input.unpaired) {
    const kind = UNPAIRED_KINDS[u.reason];
    if (kind) findings.push({ kind, subject: `${u.end.ifname} #${u.end.ifindex} (netns ${u.end.netns})`, detail: u.detail, netns: u.end.netns, ifname: u.end.ifname });
  }
  for (const ns of input.state.namespaces) {
    if (ns.isHost || ns.processes.length > 0) continue;
    const keptBy = [...ns.names.map((n) => `/run/netns/${n}`), ...ns.handles];
    if (keptBy.length === 0) continue;
    findings.push({ kind: 'netns-without-process', subject: `netns ${ns.netns}`, detail: `no process lives in it; kept alive by ${keptBy.join(', ')}`, netns: ns.netns, ifname: null });
  }
  for (const p of input.state.pairs) {
    const a = iface(p.a);
    const b = iface(p.b);
    if (!a || !b) continue;
    const label = `${p.a.ifname} (netns ${p.a.netns}) ⇄ ${p.b.ifname} (netns ${p.b.netns})`;
    if (a.mtu !== null && b.mtu !== null && a.mtu !== b.mtu) {
      findings.push({ kind: 'veth-mtu-mismatch', subject: label, detail: `MTU ${a.mtu} on ${p.a.ifname}, ${b.mtu} on ${p.b.ifname}`, netns: p.a.netns, ifname: p.a.ifname });
    }
    const upA = UP.has(a.operstate ?? '') || a.flags.includes('UP');
    const upB = UP.has(b.operstate ?? '') || b.flags.includes('UP');
    if (upA !== upB) {
      const down = upA ? p.b : p.a;
      const other = upA ? p.a : p.b;
      findings.push({ kind: 'veth-one-end-down', subject: label, detail: `${down.ifname} is down while ${other.ifname} is up`, netns: down.netns, ifname: down.ifname });
    }
  }
  findings.push(...bridgeMtuFindings(input.state.namespaces));
  findings.push(...leakedAddressFindings(input.state.namespaces, input.unreadableLive ?? input.state.unreadable.length, input.holds ?? new Map()));
  for (const g of input.gaps) {
    findings.push({ kind: 'capture-failed', subject: `${g.probe}: ${g.subject}`, detail: `${g.reason}: ${g.detail}`, netns: null, ifname: null });
  }
  return findings;
}
