import type { Database } from 'better-sqlite3';

export interface ContainerView {
  runtime: string;
  id: string;
  podUid: string | null;
}

/** Who holds a namespace: its processes, named-netns names, bind mounts, containers. */
export interface Owners {
  netns: number;
  host: boolean;
  captured: boolean;
  /** Why its links are unknown, when not captured. */
  problem: string | null;
  names: string[];
  /** Bind mounts and nsfs mounts that keep it (named ones are in `names`). */
  mounts: string[];
  pids: number[];
  processes: { pid: number; comm: string | null; startTime: number | null }[];
  containers: ContainerView[];
}

export const OWNERS_SQL = {
  namespaces: 'SELECT inode, is_host AS isHost, captured, problem FROM namespaces WHERE snapshot = ? ORDER BY inode',
  handles: 'SELECT netns, kind, path, name FROM handles WHERE snapshot = ? AND netns IS NOT NULL',
  processes: 'SELECT pid, netns, comm, start_time AS startTime FROM processes WHERE snapshot = ? AND netns IS NOT NULL ORDER BY netns, pid',
  containers: 'SELECT netns, runtime, container_id AS id, pod_uid AS podUid FROM containers WHERE snapshot = ? AND netns IS NOT NULL ORDER BY netns, container_id',
} as const;

/** Every namespace of a snapshot with its owners, the host first, then by inode. */
export function loadOwners(db: Database, snapshot: number): Map<number, Owners> {
  const out = new Map<number, Owners>();
  const rows = db.prepare(OWNERS_SQL.namespaces).all(snapshot) as { inode: number; isHost: number; captured: number; problem: string | null }[];
  rows.sort((a, b) => b.isHost - a.isHost || a.inode - b.inode);
  for (const r of rows) {
    out.set(r.inode, { netns: r.inode, host: r.isHost === 1, captured: r.captured === 1, problem: r.problem, names: [], mounts: [], pids: [], processes: [], containers: [] });
  }
  for (const h of db.prepare(OWNERS_SQL.handles).all(snapshot) as { netns: number; kind: string; path: string; name: string | null }[]) {
    const o = out.get(h.netns);
    if (!o) continue;
    if (h.kind === 'named' && h.name !== null) {
      if (!o.names.includes(h.name)) o.names.push(h.name);
    } else if (!o.mounts.includes(h.path)) {
      o.mounts.push(h.path);
    }
  }
  for (const p of db.prepare(OWNERS_SQL.processes).all(snapshot) as { pid: number; netns: number; comm: string | null; startTime: number | null }[]) {
    const o = out.get(p.netns);
    if (!o) continue;
    o.pids.push(p.pid);
    o.processes.push({ pid: p.pid, comm: p.comm, startTime: p.startTime });
  }
  for (const c of db.prepare(OWNERS_SQL.containers).all(snapshot) as (ContainerView & { netns: number })[]) {
    out.get(c.netns)?.containers.push({ runtime: c.runtime, id: c.id, podUid: c.podUid });
  }
  for (const o of out.values()) {
    o.names.sort();
    o.mounts.sort();
  }
  return out;
}
