import type { NamespaceState, SnapshotState } from './state.js';

/**
 * How a namespace is recognized in another snapshot of the same host.
 * Within one boot (same boot id) a namespace is its inode. Across a reboot
 * inodes mean nothing, so only stable labels match: the host namespace, a
 * named-netns name, a container id; anything else is not comparable.
 */
export function namespaceKeys(ns: NamespaceState, sameBoot: boolean): string[] {
  if (ns.isHost) return ['host'];
  if (sameBoot) return [`inode:${ns.netns}`];
  return [...ns.names.map((n) => `name:${n}`), ...ns.containers.map((c) => `container:${c}`)];
}

export interface NamespaceMatch {
  matched: [NamespaceState, NamespaceState][];
  onlyFrom: NamespaceState[];
  onlyTo: NamespaceState[];
  /** Namespaces that cannot be matched across a reboot because they carry no stable label. */
  notComparable: NamespaceState[];
}

export function sameBoot(a: SnapshotState, b: SnapshotState): boolean {
  return a.snapshot.bootId !== null && a.snapshot.bootId === b.snapshot.bootId;
}

/**
 * Pairs namespaces of two snapshots by their keys. Within a boot, an inode
 * seen again is the same namespace only if a process that lived in it before
 * still does (same pid and start time) or it carries the same label;
 * otherwise the kernel reused the inode for a new namespace.
 */
export function matchNamespaces(from: SnapshotState, to: SnapshotState): NamespaceMatch {
  const boot = sameBoot(from, to);
  const index = new Map<string, NamespaceState>();
  const notComparable: NamespaceState[] = [];
  // Loops by index: this runs once per `diff` process, unoptimized, over hundreds of namespaces.
  for (let n = 0; n < to.namespaces.length; n++) {
    const ns = to.namespaces[n] as NamespaceState;
    const keys = namespaceKeys(ns, boot);
    if (keys.length === 0) notComparable.push(ns);
    for (let k = 0; k < keys.length; k++) if (!index.has(keys[k] as string)) index.set(keys[k] as string, ns);
  }
  const matched: [NamespaceState, NamespaceState][] = [];
  const used = new Set<NamespaceState>();
  const onlyFrom: NamespaceState[] = [];
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
    if (other && (!boot || ns.isHost || !isReused(ns, other))) {
      matched.push([ns, other]);
      used.add(other);
    } else {
      onlyFrom.push(ns);
    }
  }
  const onlyTo = to.namespaces.filter((ns) => !used.has(ns) && !notComparable.includes(ns));
  return { matched, onlyFrom, onlyTo, notComparable };
}

/** Same inode, but nothing carried over: no common process (pid + start time), no common name or container. */
function isReused(a: NamespaceState, b: NamespaceState): boolean {
  const first = a.processes[0];
  // Usually the first process is still there: no need for the set.
  if (first && b.processes.some((p) => p.pid === first.pid && p.startTime === first.startTime)) return false;
  const procs = new Set(a.processes.map((p) => `${p.pid}:${p.startTime}`));
  if (b.processes.some((p) => procs.has(`${p.pid}:${p.startTime}`))) return false;
  if (a.names.some((n) => b.names.includes(n))) return false;
  if (a.containers.some((c) => b.containers.includes(c))) return false;
  if (a.handles.some((h) => b.handles.includes(h))) return false;
  // A namespace kept by a mount or that had no process on either side: nothing says it was reused.
  if (a.processes.length === 0 || b.processes.length === 0) return false;
  return true;
}
