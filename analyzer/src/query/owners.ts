import type { Database } from 'better-sqlite3';
import type { Owners } from '../answer/common.js';
import { RuntimeNames } from './runtime-names.js';

export const OWNERS_SQL = {
  namespaces: 'SELECT inode, is_host AS isHost, captured, problem FROM namespaces WHERE snapshot = ? ORDER BY inode',
  handles: 'SELECT netns, kind, path, name FROM handles WHERE snapshot = ? AND netns IS NOT NULL',
  processes: 'SELECT pid, netns, comm, start_time AS startTime FROM processes WHERE snapshot = ? AND netns IS NOT NULL ORDER BY netns, pid',
  containers: 'SELECT netns, runtime, container_id AS id, pod_uid AS podUid FROM containers WHERE snapshot = ? AND netns IS NOT NULL ORDER BY netns, container_id',
} as const;

/**
 * Every namespace of a snapshot with its owners, the host first, then by inode.
 * Rows are read as arrays (`raw`) and walked by index: `diff` reads the owners
 * of two snapshots of hundreds of namespaces in a process that runs this code
 * once, not yet optimized, where every row object and iterator step is garbage.
 */
export function loadOwners(db: Database, snapshot: number): Map<number, Owners> {
  return withRuntimeNames(
    db,
    snapshot,
    ownersFromRows(
      db.prepare(OWNERS_SQL.namespaces).raw().all(snapshot) as OwnerRows['namespaces'],
      db.prepare(OWNERS_SQL.handles).raw().all(snapshot) as OwnerRows['handles'],
      db.prepare(OWNERS_SQL.processes).raw().all(snapshot) as OwnerRows['processes'],
      db.prepare(OWNERS_SQL.containers).raw().all(snapshot) as OwnerRows['containers'],
    ),
  );
}

/**
 * The containers' names from the runtimes' files of that snapshot (runtime_containers, runtime_pods), where they agree.
 * `names` read for another snapshot before (`history`) keeps its prepared statements.
 */
export function withRuntimeNames(db: Database, snapshot: number, owners: Map<number, Owners>, names: RuntimeNames = new RuntimeNames(db)): Map<number, Owners> {
  const runtimeNames = names.at(snapshot);
  for (const ns of owners.values()) ns.containers = runtimeNames.name(ns.containers);
  return owners;
}

/** The rows of `OWNERS_SQL`, as arrays, in its order. */
export interface OwnerRows {
  namespaces: [number, number, number, string | null][];
  handles: [number, string, string, string | null][];
  processes: [number, number, string | null, number | null][];
  containers: [number, string, string, string | null][];
}

/** Owners from the rows of `OWNERS_SQL` (read per snapshot, or from the intervals by `history`). */
export function ownersFromRows(
  namespaces: OwnerRows['namespaces'],
  handles: OwnerRows['handles'],
  processes: OwnerRows['processes'],
  containers: OwnerRows['containers'],
): Map<number, Owners> {
  const out = new Map<number, Owners>();
  namespaces = [...namespaces];
  namespaces.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (let i = 0; i < namespaces.length; i++) {
    const r = namespaces[i] as (typeof namespaces)[number];
    out.set(r[0], { netns: r[0], host: r[1] === 1, captured: r[2] === 1, problem: r[3], names: [], mounts: [], pids: [], processes: [], containers: [] });
  }
  for (let i = 0; i < handles.length; i++) {
    const r = handles[i] as (typeof handles)[number];
    const o = out.get(r[0]);
    if (!o) continue;
    const name = r[3];
    if (r[1] === 'named' && name !== null) {
      if (!o.names.includes(name)) o.names.push(name);
    } else if (!o.mounts.includes(r[2])) {
      o.mounts.push(r[2]);
    }
  }
  let o: Owners | undefined;
  for (let i = 0; i < processes.length; i++) {
    const r = processes[i] as (typeof processes)[number];
    // Ordered by namespace: one lookup per namespace, not per process.
    if (o?.netns !== r[1]) o = out.get(r[1]);
    if (!o) continue;
    o.pids.push(r[0]);
    o.processes.push({ pid: r[0], comm: r[2], startTime: r[3] });
  }
  for (let i = 0; i < containers.length; i++) {
    const r = containers[i] as (typeof containers)[number];
    out.get(r[0])?.containers.push({ runtime: r[1], id: r[2], podUid: r[3] });
  }
  for (const ns of out.values()) {
    if (ns.names.length > 1) ns.names.sort();
    if (ns.mounts.length > 1) ns.mounts.sort();
  }
  return out;
}
