import type { Database } from 'better-sqlite3';
import { sortTables, type LakeRow, type LakeSnapshot } from './lake-rows.js';

/** A snapshot of the database the export may write, in the order it is written. */
export interface DbSnapshot {
  row: number;
  snapshotId: string;
  host: string;
  takenAt: string;
}

/**
 * The statements the export reads a snapshot with. They read today's per-snapshot tables and their
 * columns (docs/schema.md), which stay readable whatever the storage under them becomes. Row ids of
 * interfaces, containers and links name a fact over the span of snapshots it held for: every join
 * between them also matches the snapshot.
 */
export const EXPORT_SQL = {
  list: `SELECT s.id AS row, s.snapshot_id AS snapshotId, h.label AS host, s.taken_at AS takenAt
    FROM snapshots s JOIN hosts h ON h.id = s.host
    WHERE (@host IS NULL OR h.label = @host) AND (@since IS NULL OR s.taken_at >= @since) AND (@until IS NULL OR s.taken_at <= @until)
    ORDER BY s.taken_at, s.snapshot_id`,
  snapshot: `SELECT snapshot_id, taken_at, boot_id, taken_end, hostname, machine_id, kernel_release, iproute2_version, root, uid,
      host_netns, host_netns_error, collector_name, collector_version, collector_mode, content_sha256, json_bytes
    FROM snapshots WHERE id = ?`,
  tags: 'SELECT key, value FROM snapshot_tags WHERE snapshot = ? ORDER BY key',
  namespaces: 'SELECT inode AS netns, is_host, captured, problem, entered_via, entered_path FROM namespaces WHERE snapshot = ?',
  handles: 'SELECT netns, kind, path, name FROM handles WHERE snapshot = ? AND netns IS NOT NULL',
  processes: `SELECT p.pid, p.netns, p.netns_error, p.comm, p.start_time, c.runtime, c.container_id
    FROM processes p LEFT JOIN containers c ON c.id = p.container AND c.snapshot = p.snapshot WHERE p.snapshot = ?`,
  containers: 'SELECT netns, runtime, container_id, pod_uid, cgroup_version FROM containers WHERE snapshot = ?',
  interfaces: `SELECT netns, ifindex, ifname, kind, slave_kind, master, link_index, link_netnsid, link_name, link_netns_name, mtu, operstate,
      flags, address, link_type, alias, altnames, underlay, addresses
    FROM interfaces WHERE snapshot = ?`,
  links: `SELECT l.id, l.relation, l.status, l.method, l.detail, a.netns AS a_netns, a.ifindex AS a_ifindex, a.ifname AS a_ifname,
      b.netns AS b_netns, b.ifindex AS b_ifindex, b.ifname AS b_ifname
    FROM links l JOIN interfaces a ON a.id = l.a AND a.snapshot = l.snapshot LEFT JOIN interfaces b ON b.id = l.b AND b.snapshot = l.snapshot WHERE l.snapshot = ?`,
  candidates: `SELECT lc.link, c.netns, c.ifindex, c.ifname FROM link_candidates lc JOIN links l ON l.id = lc.link
      JOIN interfaces c ON c.id = lc.interface AND c.snapshot = l.snapshot WHERE l.snapshot = ? ORDER BY lc.link, c.netns, c.ifindex`,
  gaps: 'SELECT source, probe, subject, reason, detail FROM gaps WHERE snapshot = ?',
} as const;

type Row = Record<string, string | number | null>;
/** The named columns of a row, as a lake row. */
const pick = (r: Row, ...names: string[]): LakeRow => Object.fromEntries(names.map((n) => [n, r[n] ?? null]));
const bool = (v: unknown) => v === 1;
const json = <T>(v: unknown): T => JSON.parse(v as string) as T;

/** The snapshots --host/--since/--until choose, oldest first. */
export function listDbSnapshots(db: Database, filter: { host: string | null; since: string | null; until: string | null }): DbSnapshot[] {
  return db.prepare(EXPORT_SQL.list).all(filter) as DbSnapshot[];
}

const INTERFACE_COLUMNS = ['netns', 'ifindex', 'ifname', 'kind', 'slave_kind', 'master', 'link_index', 'link_netnsid', 'link_name', 'link_netns_name', 'mtu', 'operstate', 'address', 'link_type', 'alias'];

/** The parsed value of each distinct JSON text: most interfaces share their flags, and many their addresses. */
function memoJson<T>(): (text: unknown) => T {
  const seen = new Map<string, T>();
  return (text) => {
    let v = seen.get(text as string);
    if (v === undefined) seen.set(text as string, (v = JSON.parse(text as string) as T));
    return v;
  };
}

/** Reads snapshots of the database as lake rows, with every statement prepared once for the run. */
export function dbSnapshotReader(db: Database): (snap: DbSnapshot) => LakeSnapshot {
  const statements = new Map(Object.entries(EXPORT_SQL).map(([k, sql]) => [k, db.prepare(sql)]));
  const flagsOf = memoJson<string[]>();
  const addressesOf = memoJson<{ family: string; local: string; prefixlen: number }[]>();
  return (snap) => lakeRowsFromDb(snap, (name) => statements.get(name)!.all(snap.row) as Row[], flagsOf, addressesOf);
}

function lakeRowsFromDb(snap: DbSnapshot, all: (name: keyof typeof EXPORT_SQL) => Row[], flagsOf: (t: unknown) => string[], addressesOf: (t: unknown) => { family: string; local: string; prefixlen: number }[]): LakeSnapshot {
  const s = all('snapshot')[0] as Row;
  const base = { snapshot_id: s.snapshot_id as string, taken_at: s.taken_at as string, boot_id: s.boot_id as string | null };

  const snapshots: LakeRow[] = [{
    ...base,
    taken_end: s.taken_end as string,
    hostname: s.hostname as string,
    machine_id: s.machine_id as string | null,
    kernel_release: s.kernel_release as string | null,
    iproute2_version: s.iproute2_version as string | null,
    root: bool(s.root),
    uid: s.uid as number,
    host_netns: s.host_netns as number | null,
    host_netns_error: s.host_netns_error as string | null,
    tags: all('tags').map((t) => ({ key: t.key as string, value: t.value as string })),
    collector_name: s.collector_name as string,
    collector_version: s.collector_version as string,
    collector_mode: s.collector_mode as string,
    content_sha256: s.content_sha256 as string,
    json_bytes: s.json_bytes as number,
  }];

  const names = new Map<number, Set<string>>();
  const mounts = new Map<number, Set<string>>();
  const add = (m: Map<number, Set<string>>, k: number, v: string) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(v);
  for (const h of all('handles')) {
    if (h.kind === 'named') {
      if (h.name !== null) add(names, h.netns as number, h.name as string);
    } else {
      add(mounts, h.netns as number, h.path as string);
    }
  }
  const namespaces: LakeRow[] = all('namespaces').map((n) => ({
    ...base,
    ...pick(n, 'netns', 'problem', 'entered_via', 'entered_path'),
    is_host: bool(n.is_host),
    captured: bool(n.captured),
    names: [...(names.get(n.netns as number) ?? [])].sort(),
    mounts: [...(mounts.get(n.netns as number) ?? [])].sort(),
  }));

  const processes: LakeRow[] = all('processes').map((p) => ({ ...base, ...pick(p, 'pid', 'netns', 'netns_error', 'comm', 'start_time', 'runtime', 'container_id') }));
  const containers: LakeRow[] = all('containers').map((c) => ({ ...base, ...pick(c, 'netns', 'runtime', 'container_id', 'pod_uid', 'cgroup_version') }));
  const interfaces: LakeRow[] = all('interfaces').map((i) => ({
    ...base,
    ...pick(i, ...INTERFACE_COLUMNS),
    flags: flagsOf(i.flags),
    altnames: json<string[]>(i.altnames),
    underlay_ifindex: typeof i.underlay === 'number' ? i.underlay : null,
    underlay_name: typeof i.underlay === 'string' ? i.underlay : null,
    addresses: addressesOf(i.addresses).map((a) => ({ family: a.family, local: a.local, prefixlen: a.prefixlen })),
  }));

  const candidates = new Map<number, LakeRow[]>();
  for (const c of all('candidates')) {
    const list = candidates.get(c.link as number) ?? candidates.set(c.link as number, []).get(c.link as number)!;
    list.push(pick(c, 'netns', 'ifindex', 'ifname'));
  }
  const veth_pairs: LakeRow[] = [];
  const unpaired_veths: LakeRow[] = [];
  const lowers: LakeRow[] = [];
  for (const l of all('links')) {
    const a = { netns: l.a_netns ?? null, ifindex: l.a_ifindex ?? null, ifname: l.a_ifname ?? null };
    if (l.relation === 'veth' && l.status === 'resolved') {
      veth_pairs.push({ ...base, ...pick(l, 'method', 'a_netns', 'a_ifindex', 'a_ifname', 'b_netns', 'b_ifindex', 'b_ifname') });
    } else if (l.relation === 'veth') {
      unpaired_veths.push({ ...base, ...a, reason: l.status ?? null, detail: l.detail ?? null, candidates: (candidates.get(l.id as number) ?? []) as Record<string, number | string>[] });
    } else {
      lowers.push({ ...base, ...pick(l, 'relation'), ...a, ...pick(l, 'status', 'method', 'detail'), target_netns: l.b_netns ?? null, target_ifindex: l.b_ifindex ?? null, target_ifname: l.b_ifname ?? null });
    }
  }
  const gaps: LakeRow[] = all('gaps').map((g) => ({ ...base, ...pick(g, 'source', 'probe', 'subject', 'reason', 'detail') }));

  return { host: snap.host, snapshotId: snap.snapshotId, takenAt: snap.takenAt, tables: sortTables({ snapshots, namespaces, processes, containers, interfaces, veth_pairs, unpaired_veths, lowers, gaps }) };
}
