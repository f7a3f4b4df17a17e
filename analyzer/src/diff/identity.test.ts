import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffSnapshots, isEmptyDiff } from './diff.js';
import { matchNamespaces } from './identity.js';
import type { InterfaceState, NamespaceState, SnapshotState } from './state.js';

/**
 * A small model of the kernel for the identity rules: namespaces get the
 * lowest free inode (a dead one's at once), every namespace numbers its
 * devices from 1 (lo) up and never reuses an ifindex, a device keeps its
 * ifindex when moved unless the target has it, and MAC addresses are new per
 * device. Each namespace and device has a true identity the diff never sees.
 */
interface Device {
  id: number;
  ifindex: number;
  name: string;
  mac: string;
}
interface Ns {
  id: number;
  inode: number;
  next: number;
  devices: Device[];
  names: string[];
  binds: string[];
  containers: string[];
  pids: number[];
}
interface World {
  live: Ns[];
  serial: number;
}

const FIRST_INODE = 4026532200;

function lowestFreeInode(w: World): number {
  const used = new Set(w.live.map((n) => n.inode));
  let i = FIRST_INODE;
  while (used.has(i)) i++;
  return i;
}

function newDevice(w: World, ns: Ns, name: string): Device {
  w.serial++;
  const d = { id: w.serial, ifindex: ns.next++, name, mac: `02:00:00:${((w.serial >> 16) & 255).toString(16).padStart(2, '0')}:${((w.serial >> 8) & 255).toString(16).padStart(2, '0')}:${(w.serial & 255).toString(16).padStart(2, '0')}` };
  ns.devices.push(d);
  return d;
}

type Op = { op: number; a: number; b: number; c: number };

/** Applies one operation; names, bind paths, container ids and pids are never used twice (see docs/identity.md for what reuse of them does). */
function apply(w: World, o: Op): void {
  const pick = (k: number) => w.live[k % Math.max(1, w.live.length)];
  const fresh = () => ++w.serial;
  switch (o.op % 9) {
    case 0: {
      // Create a namespace held by a process, a name, a bind mount or a container's process, maybe with a device.
      const ns: Ns = { id: fresh(), inode: lowestFreeInode(w), next: 2, devices: [], names: [], binds: [], containers: [], pids: [] };
      ns.devices.push({ id: fresh(), ifindex: 1, name: 'lo', mac: '00:00:00:00:00:00' });
      const kind = o.a % 4;
      if (kind === 0) ns.pids.push(fresh());
      if (kind === 1) ns.names.push(`n${fresh()}`);
      if (kind === 2) ns.binds.push(`/run/b/${fresh()}`);
      if (kind === 3) {
        ns.containers.push(`c${fresh()}`);
        ns.pids.push(fresh());
      }
      if (o.b % 2 === 0) newDevice(w, ns, 'eth0');
      w.live.push(ns);
      return;
    }
    case 1: {
      const ns = pick(o.a);
      if (ns) w.live.splice(w.live.indexOf(ns), 1);
      return;
    }
    case 2: {
      const ns = pick(o.a);
      if (ns) newDevice(w, ns, `d${o.b % 5}`);
      return;
    }
    case 3: {
      const ns = pick(o.a);
      const own = ns?.devices.filter((d) => d.ifindex !== 1) ?? [];
      if (ns && own.length > 0) ns.devices.splice(ns.devices.indexOf(own[o.b % own.length] as Device), 1);
      return;
    }
    case 4: {
      const ns = pick(o.a);
      const own = ns?.devices.filter((d) => d.ifindex !== 1) ?? [];
      if (own.length > 0) (own[o.b % own.length] as Device).name = `r${o.c % 7}`;
      return;
    }
    case 5: {
      // Two devices swap names.
      const ns = pick(o.a);
      const own = ns?.devices.filter((d) => d.ifindex !== 1) ?? [];
      if (own.length >= 2) {
        const x = own[o.b % own.length] as Device;
        const y = own[(o.b + 1 + (o.c % (own.length - 1))) % own.length] as Device;
        [x.name, y.name] = [y.name, x.name];
      }
      return;
    }
    case 6: {
      // A device moves to another namespace: it keeps its ifindex unless the target has it.
      const from = pick(o.a);
      const to = pick(o.b);
      const own = from?.devices.filter((d) => d.ifindex !== 1) ?? [];
      if (!from || !to || from === to || own.length === 0) return;
      const d = own[o.c % own.length] as Device;
      from.devices.splice(from.devices.indexOf(d), 1);
      if (to.devices.some((x) => x.ifindex === d.ifindex)) d.ifindex = to.next;
      to.next = Math.max(to.next, d.ifindex + 1);
      to.devices.push(d);
      return;
    }
    case 7: {
      // A device deleted and created again under its name.
      const ns = pick(o.a);
      const own = ns?.devices.filter((d) => d.ifindex !== 1) ?? [];
      if (!ns || own.length === 0) return;
      const d = own[o.b % own.length] as Device;
      ns.devices.splice(ns.devices.indexOf(d), 1);
      newDevice(w, ns, d.name);
      return;
    }
    default: {
      // Process churn: a child is forked into the namespace, and maybe its parent exits.
      const ns = pick(o.a);
      if (!ns || ns.pids.length === 0) return;
      ns.pids.push(fresh());
      if (o.b % 2 === 0) ns.pids.shift();
    }
  }
}

function snapshotOf(w: World, id: string): SnapshotState {
  const iface = (d: Device): InterfaceState => ({ ifindex: d.ifindex, ifname: d.name, kind: d.ifindex === 1 ? null : 'veth', mtu: 1500, operstate: 'UP', master: null, address: d.mac, alias: null, flags: [], addresses: [] });
  const namespaces: NamespaceState[] = w.live.map((n) => ({
    netns: n.inode,
    isHost: false,
    names: [...n.names],
    handles: [...n.binds],
    containers: [...n.containers],
    processes: n.pids.map((pid) => ({ pid, comm: 'p', startTime: pid * 10 })),
    captured: true,
    interfaces: [...n.devices].sort((x, y) => x.ifindex - y.ifindex).map(iface),
  }));
  return { snapshot: { id, host: 'h', bootId: 'boot', takenAt: '2026-11-29T00:00:00Z' }, namespaces, pairs: [], unreadable: [] };
}

const clone = (w: World): World => ({ serial: w.serial, live: w.live.map((n) => ({ ...n, devices: n.devices.map((d) => ({ ...d })), names: [...n.names], binds: [...n.binds], containers: [...n.containers], pids: [...n.pids] })) });

// Creations and deletions are frequent enough that most runs hand a dead namespace's inode to a new one.
const arbOp = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.constant(1), weight: 2 }, { arbitrary: fc.integer({ min: 2, max: 8 }), weight: 6 });
const arbOps = (max: number) => fc.array(fc.record({ op: arbOp, a: fc.nat(), b: fc.nat(), c: fc.nat() }), { maxLength: max });

describe('identity rules over random create/delete/rename/move sequences (property)', () => {
  it('never calls a namespace the same when it is another, nor replaced when it is the same; a kept device is never added or removed; renames and swaps are renames', () => {
    fc.assert(
      fc.property(arbOps(16), arbOps(16), (setup, change) => {
        const w: World = { live: [], serial: 0 };
        for (const o of setup) apply(w, o);
        const before = clone(w);
        for (const o of change) apply(w, o);
        const a = snapshotOf(before, 'a');
        const b = snapshotOf(w, 'b');
        const trueAt = (world: World, inode: number) => world.live.find((n) => n.inode === inode) as Ns;
        const m = matchNamespaces(a, b);
        const doubt = new Set(m.uncertain.map((u) => u.from.netns));
        for (const [x, y] of m.matched) {
          const old = trueAt(before, x.netns);
          const now = trueAt(w, y.netns);
          if (doubt.has(x.netns)) continue;
          // The one way the rules can be fooled: a device of the old namespace moved out and into the new one,
          // keeping its ifindex and MAC address (docs/identity.md, limits).
          const carried = now.devices.some((d) => old.devices.some((e) => e.id === d.id && e.ifindex === d.ifindex && d.ifindex !== 1));
          if (old.id !== now.id) expect(carried, `inode ${x.netns}: called the same, but namespace ${old.id} became ${now.id}`).toBe(true);
        }
        for (const r of m.replaced) {
          const old = trueAt(before, r.from.netns);
          const now = trueAt(w, r.to.netns);
          // A kept namespace that lost every device and got one moved in at a low ifindex looks restarted (the other limit).
          const movedIn = now.devices.some((d) => d.ifindex !== 1 && !old.devices.some((e) => e.id === d.id) && d.ifindex < old.next);
          if (old.id === now.id) expect(movedIn, `inode ${r.from.netns}: called replaced, but it is namespace ${old.id} still (${r.reason})`).toBe(true);
        }

        const d = diffSnapshots(a, b);
        const kept = new Map(m.matched.filter(([x]) => !m.replaced.some((r) => r.from === x)).map(([x]) => [x.netns, x]));
        for (const [inode] of kept) {
          const old = trueAt(before, inode);
          const now = trueAt(w, inode);
          if (old.id !== now.id) continue;
          for (const dev of now.devices) {
            const was = old.devices.find((e) => e.id === dev.id && e.ifindex === dev.ifindex);
            if (!was) continue;
            const where = (list: { netns: number; ifindex: number }[]) => list.some((i) => i.netns === inode && i.ifindex === dev.ifindex);
            expect(where(d.interfaces.added) || where(d.interfaces.removed), `device ${dev.id} kept in ${inode} but reported added or removed`).toBe(false);
            const change = d.interfaces.changed.find((i) => i.netns === inode && i.ifindex === dev.ifindex);
            if (was.name !== dev.name) expect(change?.changes.ifname).toEqual({ from: was.name, to: dev.name });
            else expect(change?.changes.ifname).toBeUndefined();
          }
        }
        // A replaced namespace's devices go with it: none of them is reported as changed.
        for (const r of m.replaced) expect(d.interfaces.changed.filter((i) => i.netns === r.to.netns)).toEqual([]);
        expect(isEmptyDiff(diffSnapshots(a, a))).toBe(true);
        expect(isEmptyDiff(diffSnapshots(b, b))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('says uncertain only when nothing carried over and nothing disproved it', () => {
    fc.assert(
      fc.property(arbOps(16), arbOps(16), (setup, change) => {
        const w: World = { live: [], serial: 0 };
        for (const o of setup) apply(w, o);
        const before = clone(w);
        for (const o of change) apply(w, o);
        for (const u of matchNamespaces(snapshotOf(before, 'a'), snapshotOf(w, 'b')).uncertain) {
          const ownMacs = (ns: NamespaceState) => ns.interfaces.filter((i) => i.ifindex !== 1);
          expect(u.from.processes.some((p) => u.to.processes.some((q) => q.pid === p.pid))).toBe(false);
          expect(u.from.names.some((n) => u.to.names.includes(n)) || u.from.handles.some((h) => u.to.handles.includes(h))).toBe(false);
          expect(ownMacs(u.from).some((i) => ownMacs(u.to).some((j) => j.ifindex === i.ifindex && j.address === i.address))).toBe(false);
          expect(u.reason).toMatch(/^same inode, but /);
        }
      }),
      { numRuns: 300 },
    );
  });
});
