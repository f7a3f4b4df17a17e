import { describe, expect, it } from 'vitest';
import { carryOver } from './carry.js';
import { diffSnapshots } from './diff.js';
import type { InterfaceState, NamespaceState, SnapshotState } from './state.js';

const iface = (ifindex: number, ifname: string, extra: Partial<InterfaceState> = {}): InterfaceState => ({
  ifindex, ifname, kind: 'veth', mtu: 1500, operstate: 'UP', master: null, address: `02:00:00:00:00:${ifindex.toString(16).padStart(2, '0')}`, alias: null, flags: [], addresses: [], ...extra,
});
const lo = iface(1, 'lo', { kind: null, address: '00:00:00:00:00:00' });
const host: NamespaceState = { netns: 1, isHost: true, names: [], handles: [], containers: [], processes: [], captured: true, interfaces: [lo, iface(5, 'vh')] };
const sleeper = { pid: 100, comm: 'sleep', startTime: 1000 };
const ns = (extra: Partial<NamespaceState>): NamespaceState => ({ netns: 10, isHost: false, names: [], handles: [], containers: [], processes: [sleeper], captured: true, interfaces: [lo, iface(2, 'eth0')], ...extra });
const pair = { a: { netns: 1, ifname: 'vh', ifindex: 5 }, b: { netns: 10, ifname: 'eth0', ifindex: 2 } };
const snap = (id: string, namespaces: NamespaceState[], extra: Partial<SnapshotState> = {}): SnapshotState => ({
  snapshot: { id, host: 'h', bootId: 'b1', takenAt: `2026-11-29T10:0${id.slice(1)}:00.000Z` }, namespaces, pairs: [], unreadable: [], ...extra,
});

/** history's walk: each state compared with what the previous step carried over. */
function walk(states: SnapshotState[]) {
  let prev = states[0] as SnapshotState;
  return states.slice(1).map((cur) => {
    const d = diffSnapshots(prev, cur);
    prev = carryOver(prev, cur, d);
    return d;
  });
}

describe('carryOver', () => {
  it('compares a namespace seen again with its last captured state, and says since when', () => {
    const [gap, back] = walk([
      snap('s0', [host, ns({})], { pairs: [pair] }),
      snap('s1', [host, ns({ captured: false, interfaces: [] })]),
      snap('s2', [host, ns({ interfaces: [lo, iface(2, 'eth0', { mtu: 9000 })] })], { pairs: [pair] }),
    ]);
    expect(gap!.gaps.uncaptured).toEqual([{ netns: 10, side: 'to' }]);
    expect(gap!.pairs).toEqual({ added: [], removed: [] });
    expect(back!.interfaces.changed).toEqual([{ netns: 10, ifname: 'eth0', ifindex: 2, changes: { mtu: { from: 1500, to: 9000 } } }]);
    expect(back!.gaps.carried).toEqual([{ netns: 10, since: { id: 's0', takenAt: '2026-11-29T10:00:00.000Z' } }]);
    // The pair was never seen to go: it is not reconnected either.
    expect(back!.pairs).toEqual({ added: [], removed: [] });
  });

  it('keeps an unreadable namespace until it is seen again or known gone, and dates its removal from the last sight', () => {
    const [hidden, gone] = walk([
      snap('s0', [host, ns({})], { pairs: [pair] }),
      snap('s1', [host], { unreadable: [sleeper] }),
      snap('s2', [host]),
    ]);
    expect(hidden!.namespaces.unknown.map((n) => n.netns)).toEqual([10]);
    expect(hidden!.namespaces.removed).toEqual([]);
    expect(gone!.namespaces.removed.map((n) => n.netns)).toEqual([10]);
    expect(gone!.pairs.removed).toEqual([pair]);
    expect(gone!.gaps.carried).toEqual([{ netns: 10, since: { id: 's0', takenAt: '2026-11-29T10:00:00.000Z' } }]);
  });

  it('carries nothing across a reboot, and nothing when nothing was hidden', () => {
    const a = snap('s0', [host, ns({})]);
    const b = snap('s1', [host, ns({ captured: false, interfaces: [] })]);
    expect(carryOver(a, { ...b, snapshot: { ...b.snapshot, bootId: 'b2' } }, diffSnapshots(a, { ...b, snapshot: { ...b.snapshot, bootId: 'b2' } })).namespaces[1]!.interfaces).toEqual([]);
    const c = snap('s2', [host, ns({})]);
    expect(carryOver(a, c, diffSnapshots(a, c))).toBe(c);
  });
});
