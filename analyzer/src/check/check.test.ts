import { describe, expect, it } from 'vitest';
import type { InterfaceState, NamespaceState, SnapshotState } from '../diff/state.js';
import { checkSnapshot } from './check.js';

const iface = (ifindex: number, ifname: string, extra: Partial<InterfaceState> = {}): InterfaceState => ({
  ifindex, ifname, kind: 'veth', mtu: 1500, operstate: 'UP', master: null, address: null, alias: null, flags: ['UP'], addresses: [], ...extra,
});
const ns = (netns: number, interfaces: InterfaceState[], extra: Partial<NamespaceState> = {}): NamespaceState => ({
  netns, isHost: false, names: [], handles: [], containers: [], processes: [{ pid: netns, comm: 'sleep', startTime: 1 }], captured: true, interfaces, ...extra,
});
const state = (namespaces: NamespaceState[], pairs: SnapshotState['pairs'] = []): SnapshotState => ({
  snapshot: { id: 's', host: 'h', bootId: 'b', takenAt: '2026-11-29T03:00:00Z' }, namespaces, pairs, unreadable: [],
});

describe('checkSnapshot', () => {
  it('finds nothing on a healthy snapshot', () => {
    const s = state([ns(1, [iface(5, 'v')], { isHost: true }), ns(10, [iface(2, 'eth0')])], [{ a: { netns: 1, ifname: 'v', ifindex: 5 }, b: { netns: 10, ifname: 'eth0', ifindex: 2 } }]);
    expect(checkSnapshot({ state: s, unpaired: [], gaps: [] })).toEqual([]);
  });

  it('reports MTU mismatch and one end down on a pair', () => {
    const s = state([ns(1, [iface(5, 'v', { mtu: 9000 })], { isHost: true }), ns(10, [iface(2, 'eth0', { operstate: 'DOWN', flags: [] })])], [{ a: { netns: 1, ifname: 'v', ifindex: 5 }, b: { netns: 10, ifname: 'eth0', ifindex: 2 } }]);
    expect(checkSnapshot({ state: s, unpaired: [], gaps: [] }).map((f) => [f.kind, f.detail])).toEqual([
      ['veth-mtu-mismatch', 'MTU 9000 on v, 1500 on eth0'],
      ['veth-one-end-down', 'eth0 is down while v is up'],
    ]);
  });

  it('reports dangling and ambiguous veths, namespaces kept only by a mount, and failed captures', () => {
    const s = state([ns(1, [], { isHost: true }), ns(20, [], { processes: [], names: ['leak'] })]);
    const findings = checkSnapshot({
      state: s,
      unpaired: [
        { end: { netns: 1, ifname: 'vethX', ifindex: 9 }, reason: 'dangling', detail: 'peer namespace not captured' },
        { end: { netns: 1, ifname: 'vethY', ifindex: 8 }, reason: 'ambiguous', detail: '2 candidates' },
        { end: { netns: 1, ifname: 'old', ifindex: 7 }, reason: 'no-peer-index', detail: 'old kernel' },
      ],
      gaps: [{ probe: 'namespace-links', subject: 'netns 30', reason: 'denied', detail: 'Permission denied' }],
    });
    expect(findings.map((f) => f.kind)).toEqual(['dangling-veth', 'ambiguous-veth', 'netns-without-process', 'capture-failed']);
    expect(findings[2]!.detail).toBe('no process lives in it; kept alive by /run/netns/leak');
  });

  it('flags a veth whose peer is out of sight, unreadable, or a lone candidate that is not proof, each by its own kind', () => {
    const end = (ifname: string) => ({ netns: 1, ifname, ifindex: 9 });
    const findings = checkSnapshot({
      state: state([ns(1, [], { isHost: true })]),
      unpaired: [
        { end: end('a'), reason: 'unseen-peer', detail: 'peer in a namespace nsnap could not see: nsid 0 names no captured namespace' },
        { end: end('b'), reason: 'unreadable-peer', detail: 'peer in namespace 7 (nsid 1), which nsnap could not read: denied' },
        { end: end('c'), reason: 'unconfirmed', detail: '1 device matches …, but that is not proof' },
      ],
      gaps: [],
    });
    expect(findings.map((f) => [f.kind, f.ifname, f.detail])).toEqual([
      ['veth-peer-unseen', 'a', 'peer in a namespace nsnap could not see: nsid 0 names no captured namespace'],
      ['veth-peer-unreadable', 'b', 'peer in namespace 7 (nsid 1), which nsnap could not read: denied'],
      ['unconfirmed-veth', 'c', '1 device matches …, but that is not proof'],
    ]);
  });
});
