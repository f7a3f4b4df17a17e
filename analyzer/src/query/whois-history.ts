import type { Database } from 'better-sqlite3';
import { ordinals, type SpanRow } from './history-sweep.js';
import type { SnapshotRef } from './select.js';

/**
 * What `whois --all` reads: the spans of the interfaces with a name, and of their namespaces'
 * host flag, containers and names. A snapshot's row is where its ordinal falls in them.
 */
export const WHOIS_HISTORY_SQL = {
  interfaces: 'SELECT first, first_at, last, last_at, netns, ifindex, ifname, kind, address FROM interface_spans WHERE ifname = ? AND host = ? ORDER BY id',
  namespaces: 'SELECT first, first_at, last, last_at, is_host FROM namespace_spans WHERE host = ? AND inode = ?',
  containers: "SELECT first, first_at, last, last_at, runtime || ':' || container_id FROM container_spans WHERE host = ? AND netns = ?",
  names: "SELECT first, first_at, last, last_at, name FROM handle_spans WHERE host = ? AND netns = ? AND kind = 'named' AND name IS NOT NULL",
} as const;

/** One snapshot holding the name: the device there and what identifies its owner. */
export interface NameRow {
  row: number;
  /** The snapshot's place in the host's list. */
  ordinal: number;
  netns: number;
  ifindex: number;
  ifname: string;
  kind: string | null;
  address: string | null;
  isHost: number;
  /** The namespace's containers (runtime:id) and netns names, sorted, comma-joined; null for none. */
  containers: string | null;
  names: string | null;
}

/** A span as the ordinals it covers among the snapshots, with its value. */
type Held<T> = { from: number; to: number; value: T };

/**
 * Every snapshot of `snaps` (one host's, oldest first) that holds an interface named `name` (as
 * stored), by ordinal then inode: one row per (snapshot, device, namespace row), as the join of the
 * per-snapshot views gave them. Each span table is read by index for the name and its namespaces only.
 */
export function nameHistory(db: Database, name: string, host: number, snaps: SnapshotRef[]): NameRow[] {
  const held = <T>(rows: SpanRow[]): Held<T>[] => {
    const out: Held<T>[] = [];
    for (const r of rows) {
      const o = ordinals(snaps, r);
      if (o) out.push({ from: o[0], to: o[1], value: r[4] as T });
    }
    return out;
  };
  const st = {
    namespaces: db.prepare(WHOIS_HISTORY_SQL.namespaces).raw(),
    containers: db.prepare(WHOIS_HISTORY_SQL.containers).raw(),
    names: db.prepare(WHOIS_HISTORY_SQL.names).raw(),
  };
  const owners = new Map<number, { namespaces: Held<number>[]; containers: Held<string>[]; names: Held<string>[] }>();
  const ownerOf = (netns: number) => {
    let o = owners.get(netns);
    if (!o) {
      o = {
        namespaces: held<number>(st.namespaces.all(host, netns) as SpanRow[]),
        containers: held<string>(st.containers.all(host, netns) as SpanRow[]),
        names: held<string>(st.names.all(host, netns) as SpanRow[]),
      };
      owners.set(netns, o);
    }
    return o;
  };
  const joined = (list: Held<string>[], n: number): string | null => {
    const values: string[] = [];
    for (const h of list) if (h.from <= n && n <= h.to) values.push(h.value);
    return values.length === 0 ? null : values.sort().join(',');
  };
  const rows: NameRow[] = [];
  for (const r of db.prepare(WHOIS_HISTORY_SQL.interfaces).raw().all(name, host) as SpanRow[]) {
    const span = ordinals(snaps, r);
    if (!span) continue;
    const [netns, ifindex, ifname, kind, address] = r.slice(4) as [number, number, string, string | null, string | null];
    const o = ownerOf(netns);
    // Owners change only where one of their spans starts or ends: the texts are kept until then.
    let containers: string | null = null;
    let names: string | null = null;
    let until = -1;
    for (let n = span[0]; n <= span[1]; n++) {
      if (n > until) {
        containers = joined(o.containers, n);
        names = joined(o.names, n);
        until = span[1];
        for (const list of [o.containers, o.names, o.namespaces] as Held<unknown>[][]) {
          for (const h of list) {
            if (h.from > n && h.from - 1 < until) until = h.from - 1;
            if (h.to >= n && h.to < until) until = h.to;
          }
        }
      }
      for (const ns of o.namespaces) {
        if (ns.from <= n && n <= ns.to) rows.push({ row: (snaps[n] as SnapshotRef).row, ordinal: n, netns, ifindex, ifname, kind, address, isHost: ns.value, containers, names });
      }
    }
  }
  rows.sort((a, b) => a.ordinal - b.ordinal || a.netns - b.netns);
  return rows;
}

/**
 * The same rows from the per-snapshot tables of schema 4 (each snapshot's interfaces, namespaces,
 * containers and handles): what `nameHistory` answers, kept as its definition for the differential
 * test and the benchmark, which compare the two layouts.
 */
export const PER_SNAPSHOT_SQL = `SELECT i.snapshot AS row, i.netns, i.ifindex, i.ifname, i.kind, i.address, n.is_host AS isHost,
    (SELECT group_concat(v, ',') FROM (SELECT runtime || ':' || container_id AS v FROM containers c WHERE c.snapshot = i.snapshot AND c.netns = i.netns ORDER BY v)) AS containers,
    (SELECT group_concat(v, ',') FROM (SELECT name AS v FROM handles h WHERE h.snapshot = i.snapshot AND h.netns = i.netns AND h.kind = 'named' AND h.name IS NOT NULL ORDER BY v)) AS names
  FROM interfaces i JOIN snapshots s ON s.id = i.snapshot JOIN namespaces n ON n.snapshot = i.snapshot AND n.inode = i.netns
  WHERE i.ifname = ? AND +s.host = ?`;

export function nameHistoryPerSnapshot(db: Database, name: string, host: number, snaps: SnapshotRef[]): NameRow[] {
  const ordinal = new Map(snaps.map((s, i) => [s.row, i]));
  const rows: NameRow[] = [];
  for (const r of db.prepare(PER_SNAPSHOT_SQL).all(name, host) as Omit<NameRow, 'ordinal'>[]) {
    const n = ordinal.get(r.row);
    if (n !== undefined) rows.push({ ...r, ordinal: n });
  }
  rows.sort((a, b) => a.ordinal - b.ordinal || a.netns - b.netns);
  return rows;
}
