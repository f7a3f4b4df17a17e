import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffSnapshots, isEmptyDiff } from './diff.js';
import type { InterfaceState, NamespaceState, SnapshotState } from './state.js';

const iface = (ifindex: number, ifname: string, extra: Partial<InterfaceState> = {}): InterfaceState => ({
  ifindex, ifname, kind: 'veth', mtu: 1500, operstate: 'UP', master: null, address: null, alias: null, flags: ['UP'], addresses: [], ...extra,
});
const ns = (netns: number, interfaces: InterfaceState[], extra: Partial<NamespaceState> = {}): NamespaceState => ({
  netns, isHost: false, names: [], handles: [], containers: [], processes: [], captured: true, interfaces, ...extra,
});
const snap = (id: string, bootId: string, namespaces: NamespaceState[], extra: Partial<SnapshotState> = {}): SnapshotState => ({
  snapshot: { id, host: 'h', bootId, takenAt: '2026-11-29T03:00:00Z' }, namespaces, pairs: [], unreadable: [], ...extra,
});
const host = (interfaces: InterfaceState[]) => ns(1, interfaces, { isHost: true });
const lo = iface(1, 'lo', { kind: null });
const sleeper = (pid: number, startTime = pid * 10) => ({ pid, comm: 'sleep', startTime });

describe('diffSnapshots', () => {
  it('finds nothing between a snapshot and itself', () => {
    const a = snap('a', 'boot1', [host([lo, iface(5, 'veth1')]), ns(10, [lo, iface(2, 'eth0')], { processes: [sleeper(100)] })], {
      pairs: [{ a: { netns: 1, ifname: 'veth1', ifindex: 5 }, b: { netns: 10, ifname: 'eth0', ifindex: 2 } }],
    });
    expect(isEmptyDiff(diffSnapshots(a, a))).toBe(true);
  });

  it('tells a rename (same ifindex) from a replacement (same name, new ifindex)', () => {
    const a = snap('a', 'b1', [host([lo, iface(5, 'old'), iface(6, 'web')])]);
    const b = snap('b', 'b1', [host([lo, iface(5, 'new'), iface(9, 'web')])]);
    const d = diffSnapshots(a, b);
    expect(d.interfaces.changed).toEqual([
      { netns: 1, ifname: 'new', ifindex: 5, changes: { ifname: { from: 'old', to: 'new' } } },
      { netns: 1, ifname: 'web', ifindex: 9, changes: { ifindex: { from: 6, to: 9 } } },
    ]);
    expect(d.interfaces.added).toEqual([]);
    expect(d.interfaces.removed).toEqual([]);
  });

  it('reports field changes: mtu, master, operstate', () => {
    const a = snap('a', 'b1', [host([lo, iface(5, 'v', { master: 'br0' })])]);
    const b = snap('b', 'b1', [host([lo, iface(5, 'v', { mtu: 9000, master: null, operstate: 'DOWN' })])]);
    expect(diffSnapshots(a, b).interfaces.changed).toEqual([
      { netns: 1, ifname: 'v', ifindex: 5, changes: { mtu: { from: 1500, to: 9000 }, operstate: { from: 'UP', to: 'DOWN' }, master: { from: 'br0', to: null } } },
    ]);
  });

  it('within a boot, an inode reused by a namespace whose devices started again is a removal plus an addition', () => {
    const a = snap('a', 'b1', [host([lo]), ns(10, [lo, iface(2, 'eth0', { address: '02:00:00:00:00:01' })], { processes: [sleeper(100)] })]);
    const b = snap('b', 'b1', [host([lo]), ns(10, [lo, iface(2, 'eth0', { address: '02:00:00:00:00:02' })], { processes: [sleeper(200)] })]);
    const d = diffSnapshots(a, b);
    expect(d.namespaces.removed.map((n) => n.pids)).toEqual([[100]]);
    expect(d.namespaces.added.map((n) => n.pids)).toEqual([[200]]);
    expect(d.namespaces.replaced).toMatchObject([{ netns: 10, reason: expect.stringContaining('ifindexes started again') }]);
    // The replaced namespace's devices go with it: no rename or field change claims they are the same device.
    expect(d.interfaces.removed).toMatchObject([{ netns: 10, ifname: 'lo' }, { netns: 10, ifname: 'eth0' }]);
    expect(d.interfaces.changed).toEqual([]);
  });

  it('within a boot, a loopback-only inode whose processes all changed is uncertain, with the reason, and not a change', () => {
    const a = snap('a', 'b1', [host([lo]), ns(10, [lo], { processes: [sleeper(100)] })]);
    const b = snap('b', 'b1', [host([lo]), ns(10, [lo], { processes: [sleeper(200)] })]);
    const d = diffSnapshots(a, b);
    expect([d.namespaces.removed, d.namespaces.added, d.namespaces.changed]).toEqual([[], [], []]);
    expect(d.namespaces.uncertain).toMatchObject([{ netns: 10, reason: expect.stringContaining('no device with a MAC address of its own'), changes: { processes: { from: ['100 sleep'], to: ['200 sleep'] } } }]);
  });

  it('two interfaces that swap names within a boot are two renames', () => {
    const a = snap('a', 'b1', [host([lo, iface(5, 'left'), iface(6, 'right')])]);
    const b = snap('b', 'b1', [host([lo, iface(5, 'right'), iface(6, 'left')])]);
    const d = diffSnapshots(a, b);
    expect(d.interfaces).toEqual({
      added: [],
      removed: [],
      changed: [
        { netns: 1, ifname: 'right', ifindex: 5, changes: { ifname: { from: 'left', to: 'right' } } },
        { netns: 1, ifname: 'left', ifindex: 6, changes: { ifname: { from: 'right', to: 'left' } } },
      ],
    });
  });

  it('within a boot, the same inode with a surviving process is the same namespace', () => {
    const a = snap('a', 'b1', [host([lo]), ns(10, [lo], { processes: [sleeper(100)] })]);
    const b = snap('b', 'b1', [host([lo]), ns(10, [lo], { processes: [sleeper(100), sleeper(101)] })]);
    const d = diffSnapshots(a, b);
    expect(d.namespaces.added).toEqual([]);
    expect(d.namespaces.changed).toMatchObject([{ netns: 10, changes: { processes: { from: ['100 sleep'], to: ['100 sleep', '101 sleep'] } } }]);
  });

  it('across a reboot, matches by name and container, and says what cannot be compared', () => {
    const a = snap('a', 'boot1', [host([lo]), ns(10, [lo], { names: ['blue'] }), ns(11, [lo], { containers: ['c1'] }), ns(12, [lo], { processes: [sleeper(5)] })]);
    const b = snap('b', 'boot2', [host([lo]), ns(20, [lo], { names: ['blue'] }), ns(21, [lo, iface(2, 'eth0')], { containers: ['c1'] }), ns(22, [lo])]);
    const d = diffSnapshots(a, b);
    expect(d.sameBoot).toBe(false);
    expect(d.namespaces.added).toEqual([]);
    expect(d.namespaces.removed).toEqual([]);
    expect(d.namespaces.notComparable).toEqual([
      { side: 'to', netns: 22, pids: [] },
      { side: 'from', netns: 12, pids: [5] },
    ]);
    expect(d.interfaces.added).toMatchObject([{ netns: 21, ifname: 'eth0' }]);
  });

  it('does not call a namespace removed when it only could not be read', () => {
    const a = snap('a', 'b1', [host([lo]), ns(10, [lo, iface(2, 'eth0')], { processes: [sleeper(100)] })], {
      pairs: [{ a: { netns: 1, ifname: 'v', ifindex: 5 }, b: { netns: 10, ifname: 'eth0', ifindex: 2 } }],
    });
    const b = snap('b', 'b1', [host([lo])], { unreadable: [sleeper(100)] });
    const d = diffSnapshots(a, b);
    expect(d.namespaces.removed).toEqual([]);
    expect(d.namespaces.unknown).toMatchObject([{ netns: 10, reason: 'pid 100 still runs but its namespace could not be read' }]);
    expect(d.pairs.removed).toEqual([]);
  });

  it('does not compare interfaces of a namespace captured on one side only', () => {
    const a = snap('a', 'b1', [host([lo]), ns(10, [lo, iface(2, 'eth0')], { names: ['x'] })]);
    const b = snap('b', 'b1', [host([lo]), ns(10, [], { names: ['x'], captured: false })]);
    const d = diffSnapshots(a, b);
    expect(d.interfaces.removed).toEqual([]);
    expect(d.gaps.uncaptured).toEqual([{ netns: 10, side: 'to' }]);
  });

  it('keeps a veth pair whose end was renamed (same ifindex) within a boot, and reports only the rename', () => {
    const pair = (name: string) => [{ a: { netns: 1, ifname: 'vh', ifindex: 5 }, b: { netns: 10, ifname: name, ifindex: 2 } }];
    const a = snap('a', 'b1', [host([lo, iface(5, 'vh')]), ns(10, [lo, iface(2, 'eth0')], { processes: [sleeper(100)] })], { pairs: pair('eth0') });
    const b = snap('b', 'b1', [host([lo, iface(5, 'vh')]), ns(10, [lo, iface(2, 'eth9')], { processes: [sleeper(100)] })], { pairs: pair('eth9') });
    const d = diffSnapshots(a, b);
    expect(d.pairs).toEqual({ added: [], removed: [] });
    expect(d.interfaces.changed).toEqual([{ netns: 10, ifname: 'eth9', ifindex: 2, changes: { ifname: { from: 'eth0', to: 'eth9' } } }]);
  });

  it('reports a pair whose end was replaced (same name, new ifindex) as disconnected and connected again', () => {
    const a = snap('a', 'b1', [host([lo, iface(5, 'vh')]), ns(10, [lo, iface(2, 'eth0')], { processes: [sleeper(100)] })], {
      pairs: [{ a: { netns: 1, ifname: 'vh', ifindex: 5 }, b: { netns: 10, ifname: 'eth0', ifindex: 2 } }],
    });
    const b = snap('b', 'b1', [host([lo, iface(7, 'vh')]), ns(10, [lo, iface(3, 'eth0')], { processes: [sleeper(100)] })], {
      pairs: [{ a: { netns: 1, ifname: 'vh', ifindex: 7 }, b: { netns: 10, ifname: 'eth0', ifindex: 3 } }],
    });
    const d = diffSnapshots(a, b);
    expect(d.pairs.removed).toHaveLength(1);
    expect(d.pairs.added).toHaveLength(1);
    expect(d.interfaces.changed.map((c) => c.changes.ifindex)).toEqual([{ from: 5, to: 7 }, { from: 2, to: 3 }]);
  });

  it('across a reboot, a pair matches only with the same names at both ends (ifindexes are renumbered)', () => {
    const st = (boot: string, hostIf: InterfaceState, peer: string, hostInode: number) =>
      snap(boot, boot, [ns(hostInode, [lo, hostIf], { isHost: true }), ns(hostInode + 10, [lo, iface(2, peer)], { names: ['blue'] })], {
        pairs: [{ a: { netns: hostInode, ifname: hostIf.ifname, ifindex: hostIf.ifindex }, b: { netns: hostInode + 10, ifname: peer, ifindex: 2 } }],
      });
    expect(diffSnapshots(st('boot1', iface(5, 'vb'), 'eth0', 1), st('boot2', iface(5, 'vb'), 'eth0', 2)).pairs).toEqual({ added: [], removed: [] });
    const renamed = diffSnapshots(st('boot1', iface(5, 'vb'), 'eth0', 1), st('boot2', iface(5, 'vc'), 'eth0', 2));
    expect([renamed.pairs.added.length, renamed.pairs.removed.length]).toEqual([1, 1]);
  });

  it('does not count processes coming and going in the host namespace as a change', () => {
    const a = snap('a', 'b1', [ns(1, [lo], { isHost: true, processes: [sleeper(1), sleeper(300)] })]);
    const b = snap('b', 'b1', [ns(1, [lo], { isHost: true, processes: [sleeper(1), sleeper(301)] })]);
    expect(isEmptyDiff(diffSnapshots(a, b))).toBe(true);
  });

  it('is empty for any snapshot against itself (property)', () => {
    const arbIface = fc.record({ ifindex: fc.integer({ min: 1, max: 50 }), ifname: fc.stringMatching(/^[a-z]{1,6}$/), mtu: fc.integer({ min: 68, max: 9000 }) });
    fc.assert(
      fc.property(fc.array(fc.array(arbIface, { maxLength: 6 }), { maxLength: 6 }), fc.boolean(), (nss, boot) => {
        const namespaces = nss.map((list, i) => {
          const seen = new Set<number>();
          const names = new Set<string>();
          const ifs = list.filter((x) => !seen.has(x.ifindex) && !names.has(x.ifname) && seen.add(x.ifindex) && names.add(x.ifname)).map((x) => iface(x.ifindex, x.ifname, { mtu: x.mtu }));
          return i === 0 ? host(ifs) : ns(100 + i, ifs, { names: [`n${i}`], processes: [sleeper(i)] });
        });
        const s = snap('a', boot ? 'b' : 'c', namespaces);
        expect(isEmptyDiff(diffSnapshots(s, s))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
