import type { NamespaceState } from '../diff/state.js';
import { isLocalScope, parseIp } from '../query/ip-address.js';
import type { Finding } from '../answer/check.js';

/** How a namespace with no process of its own was entered, when through a process: its fd, or one of its threads. */
export type ProcessHold = 'fd' | 'thread';

/** `family ADDRESS/LEN` (as `addressText` writes it) → ADDRESS/LEN when it is someone's address, not loopback or link-local. */
function assigned(text: string): string | null {
  const m = /^\S+ (\S+)\/(\d{1,3})$/.exec(text);
  const ip = m ? parseIp(m[1] as string) : null;
  return ip && !isLocalScope(ip) ? `${ip.text}/${m?.[2]}` : null;
}

/**
 * Addresses held by namespaces that no process lives in: a pod's IP kept by
 * a namespace its runtime forgot (kept alive by a name or a mount), which the
 * IPAM may hand out again. Asserted only on proof: the namespace was captured,
 * no process lives in it, no thread of one was found in it, and every
 * process's namespace was read (`unreadable` counts those that were not,
 * leaving out processes that exited mid-scan: they live nowhere). An unreadable process, a process holding it
 * open by an fd, or a namespace whose devices could not be captured is
 * "uncertain", with the reason.
 */
export function leakedAddressFindings(namespaces: readonly NamespaceState[], unreadable: number, holds: ReadonlyMap<number, ProcessHold>): Finding[] {
  const findings: Finding[] = [];
  for (const ns of namespaces) {
    if (ns.isHost || ns.processes.length > 0 || holds.get(ns.netns) === 'thread') continue;
    const keptBy = [...ns.names.map((n) => `/run/netns/${n}`), ...ns.handles];
    const kept = keptBy.length > 0 ? `; kept alive by ${keptBy.join(', ')}` : '';
    if (!ns.captured) {
      findings.push({ kind: 'leaked-address-uncertain', subject: `netns ${ns.netns}`, detail: `no process lives in it, but its devices could not be captured: whether it holds an address is unknown${kept}`, netns: ns.netns, ifname: null });
      continue;
    }
    const held: string[] = [];
    for (const i of ns.interfaces) for (const a of i.addresses) {
      const text = assigned(a);
      if (text !== null) held.push(`${text} on ${i.ifname}`);
    }
    if (held.length === 0) continue;
    const first = ns.interfaces.find((i) => i.addresses.some((a) => assigned(a) !== null));
    const base = { subject: `netns ${ns.netns}`, netns: ns.netns, ifname: first?.ifname ?? null, addresses: held };
    if (holds.get(ns.netns) === 'fd') {
      findings.push({ ...base, kind: 'leaked-address-uncertain', detail: `holds ${held.join(', ')}; no process lives in it, but a process holds it open by an fd (perhaps on purpose)${kept}` });
    } else if (unreadable > 0) {
      const n = unreadable;
      findings.push({ ...base, kind: 'leaked-address-uncertain', detail: `holds ${held.join(', ')}; no readable process lives in it, but the namespace of ${n} process${n === 1 ? '' : 'es'} could not be read: one may live in it${kept}` });
    } else {
      findings.push({ ...base, kind: 'leaked-address', detail: `holds ${held.join(', ')} with no process in it${kept}` });
    }
  }
  return findings;
}
