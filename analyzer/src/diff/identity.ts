import type { InterfaceState, NamespaceState, SnapshotState } from './state.js';

/**
 * How a namespace is recognized in another snapshot of the same host.
 * Within one boot (same boot id) a namespace is found again under its inode
 * (then `judgeSameInode` says whether it is still the same one). Across a
 * reboot inodes mean nothing, so only stable labels match: the host
 * namespace, a named-netns name, a container id; anything else is not comparable.
 */
export function namespaceKeys(ns: NamespaceState, sameBoot: boolean): string[] {
  if (ns.isHost) return ['host'];
  if (sameBoot) return [`inode:${ns.netns}`];
  return [...ns.names.map((n) => `name:${n}`), ...ns.containers.map((c) => `container:${c}`)];
}

/** What the evidence says about one inode seen in two snapshots of one boot. */
export interface InodeVerdict {
  verdict: 'same' | 'replaced' | 'uncertain';
  reason: string;
}

export interface NamespaceMatch {
  /** The same namespace on both sides, as far as the evidence shows (`uncertain` ones are here too). */
  matched: [NamespaceState, NamespaceState][];
  /** Matched pairs that nothing proved or disproved to be one namespace, with the reason. */
  uncertain: { from: NamespaceState; to: NamespaceState; reason: string }[];
  /** One inode, two namespaces: the old one is in `onlyFrom`, the new one in `onlyTo`. */
  replaced: { from: NamespaceState; to: NamespaceState; reason: string }[];
  onlyFrom: NamespaceState[];
  onlyTo: NamespaceState[];
  /** Namespaces that cannot be matched across a reboot because they carry no stable label. */
  notComparable: NamespaceState[];
}

export function sameBoot(a: SnapshotState, b: SnapshotState): boolean {
  return a.snapshot.bootId !== null && a.snapshot.bootId === b.snapshot.bootId;
}

/**
 * Pairs namespaces of two snapshots by their keys. Within a boot an inode
 * seen again is judged by `judgeSameInode`: a replaced one is one namespace
 * removed and another added.
 */
export function matchNamespaces(from: SnapshotState, to: SnapshotState): NamespaceMatch {
  const boot = sameBoot(from, to);
  // A snapshot compared with itself: every namespace is itself, whatever evidence it carries.
  const itself = from.snapshot.id === to.snapshot.id;
  const index = new Map<string, NamespaceState>();
  const notComparable: NamespaceState[] = [];
  // Loops by index: this runs once per `diff` process, unoptimized, over hundreds of namespaces.
  for (let n = 0; n < to.namespaces.length; n++) {
    const ns = to.namespaces[n] as NamespaceState;
    const keys = namespaceKeys(ns, boot);
    if (keys.length === 0) notComparable.push(ns);
    for (let k = 0; k < keys.length; k++) if (!index.has(keys[k] as string)) index.set(keys[k] as string, ns);
  }
  const result: NamespaceMatch = { matched: [], uncertain: [], replaced: [], onlyFrom: [], onlyTo: [], notComparable };
  const used = new Set<NamespaceState>();
  for (let n = 0; n < from.namespaces.length; n++) {
    const ns = from.namespaces[n] as NamespaceState;
    const keys = namespaceKeys(ns, boot);
    if (keys.length === 0) {
      notComparable.push(ns);
      continue;
    }
    let other: NamespaceState | undefined;
    for (let k = 0; k < keys.length && other === undefined; k++) {
      const o = index.get(keys[k] as string);
      if (o !== undefined && !used.has(o)) other = o;
    }
    if (!other) {
      result.onlyFrom.push(ns);
      continue;
    }
    used.add(other);
    const judged = !boot || ns.isHost || itself ? null : judgeSameInode(ns, other);
    if (judged?.verdict === 'replaced') {
      result.replaced.push({ from: ns, to: other, reason: judged.reason });
      result.onlyFrom.push(ns);
      used.delete(other);
      continue;
    }
    result.matched.push([ns, other]);
    if (judged?.verdict === 'uncertain') result.uncertain.push({ from: ns, to: other, reason: judged.reason });
  }
  result.onlyTo = to.namespaces.filter((ns) => !used.has(ns) && !notComparable.includes(ns));
  return result;
}

const sameProcessVerdict = (p: { pid: number }): InodeVerdict => ({ verdict: 'same', reason: `pid ${p.pid} (same start time) lives in it in both` });

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const ZERO_MAC = '00:00:00:00:00:00';

/**
 * A device whose MAC address says which creation it came from: a real
 * Ethernet-style address, not loopback's zeros (veth, macvlan, bridge and
 * dummy MACs are random per creation).
 */
export function hasOwnMac<T extends Pick<InterfaceState, 'address' | 'kind' | 'ifname'>>(i: T): i is T & { address: string } {
  return i.address !== null && MAC.test(i.address) && i.address !== ZERO_MAC && i.kind !== 'loopback' && i.ifname !== 'lo';
}

const list = (xs: string[]) => xs.slice(0, 3).join(', ') + (xs.length > 3 ? ', …' : '');

/**
 * Whether one inode in two snapshots of one boot is one namespace. The
 * kernel hands a dead namespace's inode to the next new one within seconds,
 * so the inode alone proves nothing: the rules, in order (docs/identity.md
 * has the table of cases):
 * 1. something physical carried over — a process (pid and start time) or a
 *    device (ifindex and MAC address, not loopback) — it is the same;
 * 2. a named-netns name or a container id replaced by another, or every
 *    device new with ifindexes that started again (a namespace's ifindexes
 *    only grow) — it was replaced;
 * 3. a label carried over — a named-netns name, a bind-mount path, a
 *    container id — it is the same;
 * 4. nothing either way — uncertain, with the reason.
 */
export function judgeSameInode(a: NamespaceState, b: NamespaceState): InodeVerdict {
  // Most often the first process of `b` is one of `a`'s: then it is the one the search below finds first.
  const head = b.processes[0];
  if (head !== undefined && head.startTime !== null && a.processes.some((p) => p.pid === head.pid && p.startTime === head.startTime)) return sameProcessVerdict(head);
  const procs = new Set<string>();
  for (const p of a.processes) if (p.startTime !== null) procs.add(`${p.pid}:${p.startTime}`);
  const common = b.processes.find((p) => p.startTime !== null && procs.has(`${p.pid}:${p.startTime}`));
  if (common) return sameProcessVerdict(common);

  const before = a.captured ? a.interfaces.filter(hasOwnMac) : [];
  const after = b.captured ? b.interfaces.filter(hasOwnMac) : [];
  const macAt = new Map(before.map((i) => [i.ifindex, i.address.toLowerCase()]));
  const device = after.find((i) => macAt.get(i.ifindex) === i.address.toLowerCase());
  if (device) return { verdict: 'same', reason: `device #${device.ifindex} kept its MAC address ${device.address}` };

  // Sets: a bundle from a hostile host may list many names or mounts; the work stays linear.
  const names = new Set(b.names);
  const containers = new Set(b.containers);
  const mounts = new Set(b.handles);
  const name = a.names.find((n) => names.has(n));
  const container = a.containers.find((c) => containers.has(c));
  if (a.names.length > 0 && b.names.length > 0 && name === undefined) {
    return { verdict: 'replaced', reason: `named ${list(a.names)} before, ${list(b.names)} after` };
  }
  if (a.containers.length > 0 && b.containers.length > 0 && container === undefined) {
    return { verdict: 'replaced', reason: `container ${list(a.containers.map((c) => c.slice(0, 12)))} before, ${list(b.containers.map((c) => c.slice(0, 12)))} after` };
  }
  if (before.length > 0 && after.length > 0) {
    let highest = 0;
    for (const i of a.interfaces) if (i.ifindex > highest) highest = i.ifindex;
    const restarted = after.find((i) => i.ifindex <= highest);
    if (restarted) {
      return { verdict: 'replaced', reason: `every device is new and ifindexes started again (#${restarted.ifindex} ${restarted.address}, was up to #${highest})` };
    }
  }

  if (name !== undefined) return { verdict: 'same', reason: `named ${name} in both` };
  const mount = a.handles.find((h) => mounts.has(h));
  if (mount !== undefined) return { verdict: 'same', reason: `bind mount ${mount} in both` };
  if (container !== undefined) return { verdict: 'same', reason: `container ${container.slice(0, 12)} in both` };

  const missing = !a.captured || !b.captured ? 'its devices were not captured on both sides, ' : before.length + after.length === 0 ? 'no device with a MAC address of its own, ' : '';
  return { verdict: 'uncertain', reason: `same inode, but ${missing}no process, name, mount, container or device in common, and nothing says it is another namespace` };
}
