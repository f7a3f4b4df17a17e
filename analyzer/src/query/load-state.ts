import type { Database } from 'better-sqlite3';
import type { SnapshotState } from '../diff/state.js';
import { loadOwners, type Owners } from './owners.js';
import { peersOf } from './peers.js';
import type { SnapshotRef } from './select.js';
import { showSnapshot } from './show.js';

export const UNREADABLE_SQL = 'SELECT pid, comm, start_time AS startTime FROM processes WHERE snapshot = ? AND netns IS NULL ORDER BY pid';

/** One snapshot as `diff` and `check` see it, read from the database; owners are read once for both queries. */
export function loadSnapshotState(db: Database, snap: SnapshotRef, owners: Map<number, Owners> = loadOwners(db, snap.row)): SnapshotState {
  const show = showSnapshot(db, snap, owners);
  const peers = peersOf(db, snap, owners);
  const end = (e: { netns: number; ifname: string; ifindex: number }) => ({ netns: e.netns, ifname: e.ifname, ifindex: e.ifindex });
  return {
    snapshot: { id: snap.id, host: snap.host, bootId: snap.bootId, takenAt: snap.takenAt },
    namespaces: show.namespaces.map((ns) => ({
      netns: ns.netns,
      isHost: ns.host,
      names: ns.names,
      handles: ns.mounts,
      containers: [...new Set(ns.containers.map((c) => c.id))],
      processes: ns.processes,
      captured: ns.captured,
      interfaces: ns.interfaces.map((i) => ({
        ifindex: i.ifindex,
        ifname: i.ifname,
        kind: i.kind,
        mtu: i.mtu,
        operstate: i.operstate,
        master: i.master,
        address: i.address,
        alias: i.alias,
        flags: i.flags,
        addresses: i.addresses,
      })),
    })),
    pairs: peers.pairs.map((p) => ({ a: end(p.a), b: end(p.b) })),
    unreadable: db.prepare(UNREADABLE_SQL).all(snap.row) as SnapshotState['unreadable'],
  };
}
