import type { NamespaceState } from '../diff/state.js';
import type { Finding } from '../answer/check.js';

/**
 * Bridge ports whose MTU differs from their bridge's. A frame the bridge
 * takes in at its MTU is dropped on a port with a smaller one; the kernel
 * keeps a bridge at its smallest port's MTU only until someone sets it by
 * hand. Both MTUs come from one namespace's dump (a port's master is a
 * device of its own namespace), so the pair is a fact, never a guess;
 * a device whose MTU was not read is passed over.
 */
export function bridgeMtuFindings(namespaces: readonly NamespaceState[]): Finding[] {
  const findings: Finding[] = [];
  for (const ns of namespaces) {
    const bridges = new Map(ns.interfaces.filter((i) => i.kind === 'bridge').map((i) => [i.ifname, i]));
    if (bridges.size === 0) continue;
    for (const port of ns.interfaces) {
      const bridge = port.master === null ? undefined : bridges.get(port.master);
      if (!bridge || port.mtu === null || bridge.mtu === null || port.mtu === bridge.mtu) continue;
      const where = ns.isHost ? 'host' : `netns ${ns.netns}`;
      findings.push({
        kind: 'bridge-mtu-mismatch',
        subject: `${port.ifname} in bridge ${bridge.ifname} (${where})`,
        detail: `MTU ${port.mtu} on port ${port.ifname}, ${bridge.mtu} on bridge ${bridge.ifname}${port.mtu < bridge.mtu ? ': frames the bridge takes are dropped on this port' : ''}`,
        netns: ns.netns,
        ifname: port.ifname,
      });
    }
  }
  return findings;
}
