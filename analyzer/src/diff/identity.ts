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
  for (const ns of to.namespaces) {
    const keys = namespaceKeys(ns, boot);
    if (keys.length === 0) notComparable.push(ns);
    for (const k of keys) if (!index.has(k)) index.set(k, ns);
  }
  const matched: [NamespaceState, NamespaceState][] = [];
  const used = new Set<NamespaceState>();
  const onlyFrom: NamespaceState[] = [];
  for (const ns of from.namespaces) {
    const keys = namespaceKeys(ns, boot);
    if (keys.length === 0) {
      notComparable.push(ns);
      continue;
    }
    const other = keys.map((k) => index.get(k)).find((o) => o !== undefined && !used.has(o));
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
  const procs = new Set(a.processes.map((p) => `${p.pid}:${p.startTime}`));
  if (b.processes.some((p) => procs.has(`${p.pid}:${p.startTime}`))) return false;
  if (a.names.some((n) => b.names.includes(n))) return false;
  if (a.containers.some((c) => b.containers.includes(c))) return false;
  if (a.handles.some((h) => b.handles.includes(h))) return false;
  // A namespace kept by a mount or that had no process on either side: nothing says it was reused.
  if (a.processes.length === 0 || b.processes.length === 0) return false;
  return true;
}
