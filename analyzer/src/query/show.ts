import { fromDbText } from '@nsnap/shared/core';
import type { RoutingKind } from '@nsnap/shared/core';
import type { Database } from 'better-sqlite3';
import { loadGaps, type GapView } from './gaps.js';
import { loadOwners, type Owners } from './owners.js';
import type { SnapshotRef } from './select.js';

export interface InterfaceView {
  ifname: string;
  ifindex: number;
  kind: string | null;
  mtu: number | null;
  operstate: string | null;
  master: string | null;
  address: string | null;
  alias: string | null;
  slaveKind: string | null;
  linkType: string | null;
  flags: string[];
  /** "family local/prefixlen", e.g. "inet 10.0.0.2/24". */
  addresses: string[];
}

export interface NamespaceView extends Owners {
  interfaces: InterfaceView[];
  /** With `show --routes`: each list's entries as text, null where it was not captured. */
  routing?: Record<RoutingKind, string[] | null>;
}

export interface ShowResult {
  snapshot: { id: string; host: string; takenAt: string; bootId: string | null; asOf?: string };
  namespaces: NamespaceView[];
  gaps: GapView[];
}

/** An address as `show` and `diff` print it: `inet 10.0.0.2/24`. */
export function addressText(a: { family: string; local: string; prefixlen: number }): string {
  return `${a.family} ${a.local}/${a.prefixlen}`;
}

export const SHOW_SQL = `SELECT netns, ifindex, ifname, kind, mtu, operstate, master, address, alias, slave_kind AS slaveKind,
    link_type AS linkType, flags, addresses
  FROM interfaces WHERE snapshot = ? ORDER BY netns, ifindex`;

/** Every namespace of the snapshot with its owners and interfaces. */
export function showSnapshot(db: Database, snap: SnapshotRef, owners: Map<number, Owners> = loadOwners(db, snap.row)): ShowResult {
  const byNetns = new Map<number, InterfaceView[]>();
  for (const r of db.prepare(SHOW_SQL).all(snap.row) as (Omit<InterfaceView, 'addresses' | 'flags'> & { netns: number; flags: string; addresses: string })[]) {
    const { netns, flags, addresses, ...rest } = r;
    const list = byNetns.get(netns) ?? [];
    const addrs = JSON.parse(addresses) as { family: string; local: string; prefixlen: number }[];
    const { ifname, master, alias } = rest;
    list.push({ ...rest, ifname: fromDbText(ifname), master: master === null ? null : fromDbText(master), alias: alias === null ? null : fromDbText(alias), flags: JSON.parse(flags) as string[], addresses: addrs.map(addressText) });
    byNetns.set(netns, list);
  }
  return {
    snapshot: { id: snap.id, host: snap.host, takenAt: snap.takenAt, bootId: snap.bootId, ...(snap.asOf ? { asOf: snap.asOf } : {}) },
    namespaces: [...owners.values()].map((o) => ({ ...o, interfaces: byNetns.get(o.netns) ?? [] })),
    gaps: loadGaps(db, snap.row),
  };
}
