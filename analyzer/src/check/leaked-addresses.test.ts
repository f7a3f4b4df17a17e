import { describe, expect, it } from 'vitest';
import type { InterfaceState, NamespaceState } from '../diff/state.js';
import { bridgeMtuFindings } from './bridge-mtu.js';
import { leakedAddressFindings } from './leaked-addresses.js';

const iface = (ifindex: number, ifname: string, extra: Partial<InterfaceState> = {}): InterfaceState => ({
  ifindex, ifname, kind: 'veth', mtu: 1500, operstate: 'UP', master: null, address: null, alias: null, flags: ['UP'], addresses: [], ...extra,
});
const ns = (netns: number, interfaces: InterfaceState[], extra: Partial<NamespaceState> = {}): NamespaceState => ({
  netns, isHost: false, names: [], handles: [], containers: [], processes: [], captured: true, interfaces, ...extra,
});
const lo = iface(1, 'lo', { kind: null, addresses: ['inet 127.0.0.1/8', 'inet6 ::1/128'] });

describe('leakedAddressFindings', () => {
  it('reports the assigned addresses of a namespace no process lives in, and not loopback or link-local ones', () => {
    const eth0 = iface(2, 'eth0', { addresses: ['inet 10.42.3.17/24', 'inet6 fe80::1/64', 'inet6 fd00:0:0::5/64'] });
    const f = leakedAddressFindings([ns(10, [lo, eth0], { names: ['cni-1234'] })], 0, new Map());
    expect(f).toEqual([
      {
        kind: 'leaked-address', subject: 'netns 10', netns: 10, ifname: 'eth0',
        addresses: ['10.42.3.17/24 on eth0', 'fd00::5/64 on eth0'],
        detail: 'holds 10.42.3.17/24 on eth0, fd00::5/64 on eth0 with no process in it; kept alive by /run/netns/cni-1234',
      },
    ]);
  });

  it('says nothing of a namespace with a process, of the host, or of one with only local addresses', () => {
    const eth0 = iface(2, 'eth0', { addresses: ['inet 10.0.0.1/24'] });
    const p = { pid: 5, comm: 'sleep', startTime: 1 };
    expect(leakedAddressFindings([ns(10, [eth0], { processes: [p] }), ns(1, [eth0], { isHost: true }), ns(11, [lo, iface(2, 'eth0', { addresses: ['inet6 fe80::2/64', 'inet 169.254.1.1/16'] })])], 0, new Map())).toEqual([]);
  });

  it('is uncertain, with the reason, where the facts do not prove it: unreadable processes, an fd holding it, no capture', () => {
    const eth0 = iface(2, 'eth0', { addresses: ['inet 10.0.0.1/24'] });
    const unreadable = 1;
    expect(leakedAddressFindings([ns(10, [eth0])], unreadable, new Map()).map((f) => [f.kind, f.detail])).toEqual([
      ['leaked-address-uncertain', 'holds 10.0.0.1/24 on eth0; no readable process lives in it, but the namespace of 1 process could not be read: one may live in it'],
    ]);
    expect(leakedAddressFindings([ns(10, [eth0])], 0, new Map([[10, 'fd']])).map((f) => f.kind)).toEqual(['leaked-address-uncertain']);
    expect(leakedAddressFindings([ns(10, [], { captured: false, names: ['x'] })], 0, new Map()).map((f) => [f.kind, f.detail])).toEqual([
      ['leaked-address-uncertain', 'no process lives in it, but its devices could not be captured: whether it holds an address is unknown; kept alive by /run/netns/x'],
    ]);
    // A thread lives in it: not process-less.
    expect(leakedAddressFindings([ns(10, [eth0])], 0, new Map([[10, 'thread']]))).toEqual([]);
  });

  it('passes over a stored address that is not one', () => {
    expect(leakedAddressFindings([ns(10, [iface(2, 'eth0', { addresses: ['inet 10.0.0.300/24', 'inet6 x::y/64', 'garbage'] })])], 0, new Map())).toEqual([]);
  });
});

describe('bridgeMtuFindings', () => {
  it('reports each port whose MTU differs from its bridge, in the bridge\'s namespace', () => {
    const br = iface(3, 'br0', { kind: 'bridge', mtu: 1500 });
    const f = bridgeMtuFindings([ns(1, [br, iface(4, 'p1', { master: 'br0', mtu: 1400 }), iface(5, 'p2', { master: 'br0', mtu: 1500 }), iface(6, 'p3', { master: 'br0', mtu: 9000 })], { isHost: true })]);
    expect(f.map((x) => [x.kind, x.ifname, x.subject, x.detail])).toEqual([
      ['bridge-mtu-mismatch', 'p1', 'p1 in bridge br0 (host)', 'MTU 1400 on port p1, 1500 on bridge br0: frames the bridge takes are dropped on this port'],
      ['bridge-mtu-mismatch', 'p3', 'p3 in bridge br0 (host)', 'MTU 9000 on port p3, 1500 on bridge br0'],
    ]);
  });

  it('ignores masters that are not bridges (a bond), masters of another namespace\'s name, and unknown MTUs', () => {
    const bond = iface(3, 'bond0', { kind: 'bond', mtu: 9000 });
    expect(bridgeMtuFindings([
      ns(1, [bond, iface(4, 'e1', { master: 'bond0', mtu: 1500 })]),
      ns(2, [iface(4, 'p1', { master: 'br0', mtu: 1400 })]),
      ns(3, [iface(3, 'br0', { kind: 'bridge', mtu: null }), iface(4, 'p1', { master: 'br0', mtu: 1400 })]),
    ])).toEqual([]);
  });
});
