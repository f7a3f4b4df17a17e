import { fromDbText } from '@nsnap/shared/core';
import type { Database } from 'better-sqlite3';
import type { EndState, InterfaceState, NamespaceState, SnapshotState } from '../diff/state.js';
import type { Owners } from '../answer/common.js';
import { loadOwners } from './owners.js';
import { hostEndFirst, hostFirstOrder } from './peers.js';
import type { SnapshotRef } from './select.js';
import { addressText } from './show.js';

export const UNREADABLE_SQL = 'SELECT pid, comm, start_time AS startTime FROM processes WHERE snapshot = ? AND netns IS NULL ORDER BY pid';

/** SQL of the state, exported so tests can check their query plans. Only the columns the diff compares. */
export const STATE_SQL = {
  interfaces: `SELECT netns, ifindex, ifname, kind, mtu, operstate, master, address, alias, flags, addresses
    FROM interfaces WHERE snapshot = ? ORDER BY netns, ifindex`,
  /** Resolved veth links (status 'resolved' is exactly "b is set"), in the order `peers` reads them. */
  pairs: `SELECT a.netns, a.ifname, a.ifindex, b.netns, b.ifname, b.ifindex
    FROM links l JOIN interfaces a ON a.id = l.a AND a.snapshot = l.snapshot JOIN interfaces b ON b.id = l.b AND b.snapshot = l.snapshot
    WHERE l.snapshot = ? AND l.relation = 'veth' ORDER BY l.id`,
  unreadable: UNREADABLE_SQL,
} as const;

/** A nullable name column back to the name (see `toDbText`). */
const nameOf = (text: string | null): string | null => (text === null ? null : fromDbText(text));

/** A row of `STATE_SQL.interfaces`, as an array. */
export type InterfaceRow = [number, number, string, string | null, number | null, string | null, string | null, string | null, string | null, string, string];
/** A row of `STATE_SQL.pairs`: both ends' netns, ifname, ifindex. */
export type PairRow = [number, string, number, number, string, number];

/**
 * One snapshot as `diff` and `check` see it, read from the database; owners are read once for both queries.
 * It reads only what the diff compares (not the `show` and `peers` views), because `diff` reads two
 * snapshots per run and `history` every snapshot of a range.
 */
export function loadSnapshotState(db: Database, snap: SnapshotRef, owners: Map<number, Owners> = loadOwners(db, snap.row)): SnapshotState {
  return stateFromRows(
    snap,
    owners,
    db.prepare(STATE_SQL.interfaces).raw().all(snap.row) as InterfaceRow[],
    db.prepare(STATE_SQL.pairs).raw().all(snap.row) as PairRow[],
    db.prepare(STATE_SQL.unreadable).all(snap.row) as SnapshotState['unreadable'],
  );
}

/** Parses of the interfaces' JSON columns; `history` keeps one for the whole walk. */
export interface TextParsers {
  flags: (text: string) => string[];
  addresses: (text: string) => string[];
}

/** Each distinct text parsed once: most interfaces share their flags, and many their addresses (lo, host veths). */
export const textParsers = (): TextParsers => ({
  flags: memo((text) => JSON.parse(text) as string[]),
  addresses: memo((text) => (JSON.parse(text) as { family: string; local: string; prefixlen: number }[]).map(addressText)),
});

/** The pairs of `STATE_SQL.pairs` rows as `peers` lists them: the host end first, pairs ordered by that end. */
export function pairsFromRows(owners: Map<number, Owners>, pairRows: PairRow[]): SnapshotState['pairs'] {
  const isHost = (e: EndState) => (owners.get(e.netns) as Owners).host;
  const pairs: { a: EndState; b: EndState }[] = [];
  for (let i = 0; i < pairRows.length; i++) {
    const r = pairRows[i] as PairRow;
    const a = { netns: r[0], ifname: fromDbText(r[1]), ifindex: r[2] };
    const b = { netns: r[3], ifname: fromDbText(r[4]), ifindex: r[5] };
    pairs.push(hostEndFirst(a, b, isHost));
  }
  const order = hostFirstOrder(isHost);
  pairs.sort((x, y) => order(x.a, y.a));
  return pairs;
}

/** One interface as the diff sees it, from its row of `STATE_SQL.interfaces`. */
export const interfaceState = (r: InterfaceRow, parse: TextParsers): InterfaceState => ({
  ifindex: r[1],
  ifname: fromDbText(r[2]),
  kind: r[3],
  mtu: r[4],
  operstate: r[5],
  master: nameOf(r[6]),
  address: r[7],
  alias: nameOf(r[8]),
  flags: parse.flags(r[9]),
  addresses: parse.addresses(r[10]),
});

/** One namespace as the diff sees it, from its owners and its interfaces. */
export const namespaceState = (o: Owners, interfaces: InterfaceState[]): NamespaceState => ({
  netns: o.netns,
  isHost: o.host,
  names: o.names,
  handles: o.mounts,
  containers: o.containers.length < 2 ? o.containers.map((c) => c.id) : [...new Set(o.containers.map((c) => c.id))],
  processes: o.processes,
  captured: o.captured,
  interfaces,
});

/** The state from the rows of `STATE_SQL` (read per snapshot, or from the intervals by `history`). */
export function stateFromRows(
  snap: SnapshotRef,
  owners: Map<number, Owners>,
  rows: InterfaceRow[],
  pairRows: PairRow[],
  unreadable: SnapshotState['unreadable'],
  parse: TextParsers = textParsers(),
): SnapshotState {
  const byNetns = new Map<number, InterfaceState[]>();
  let list: InterfaceState[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as InterfaceRow;
    if (i === 0 || r[0] !== (rows[i - 1] as InterfaceRow)[0]) byNetns.set(r[0], (list = []));
    list.push(interfaceState(r, parse));
  }
  const pairs = pairsFromRows(owners, pairRows);
  const namespaces: SnapshotState['namespaces'] = [];
  for (const o of owners.values()) namespaces.push(namespaceState(o, byNetns.get(o.netns) ?? []));
  return {
    snapshot: { id: snap.id, host: snap.host, bootId: snap.bootId, takenAt: snap.takenAt },
    namespaces,
    pairs,
    unreadable,
  };
}

/** The parsed value of each distinct text, shared: callers never mutate it. */
function memo<T>(parse: (text: string) => T): (text: string) => T {
  const seen = new Map<string, T>();
  return (text) => {
    let v = seen.get(text);
    if (v === undefined) seen.set(text, (v = parse(text)));
    return v;
  };
}
