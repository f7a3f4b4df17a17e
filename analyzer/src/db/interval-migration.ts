import type { Database, Statement } from 'better-sqlite3';
import { SPAN_TABLES, candidateText, endKey, holdsAt, interfaceKeys, spanDeleteSql, spanTablesSql, spanWriter, type Fact, type SpanTable } from './intervals.js';

/**
 * Migration 5: facts as intervals. The span tables, the interface keys links point at, and the
 * record of forgotten snapshots; `convertToIntervals` then moves the per-snapshot rows over and
 * puts views with the old tables' names and columns in their place.
 */
export const INTERVALS_SQL = `
CREATE TABLE interface_keys (
  id INTEGER PRIMARY KEY,
  host INTEGER NOT NULL REFERENCES hosts(id),
  netns INTEGER NOT NULL,
  ifindex INTEGER NOT NULL,
  UNIQUE (host, netns, ifindex)
) STRICT;
${spanTablesSql()}
CREATE INDEX interface_spans_iface ON interface_spans(iface, last_at);
CREATE INDEX interface_spans_ifname ON interface_spans(ifname, host);
-- One namespace's facts at one snapshot (whois, and whois --all for every snapshot of a period).
CREATE INDEX namespace_spans_inode ON namespace_spans(host, inode, last_at);
CREATE INDEX handle_spans_netns ON handle_spans(host, netns, last_at);
CREATE INDEX container_spans_netns ON container_spans(host, netns, last_at);
CREATE INDEX process_spans_netns ON process_spans(host, netns, last_at);
CREATE INDEX interface_spans_netns ON interface_spans(host, netns, last_at);
-- The veth or lower link of one interface at one snapshot (whois): without them each lookup read every
-- link the snapshot held, and whois --all over 4,000 namespaces took 25 s instead of 1.7 s.
CREATE INDEX link_spans_a ON link_spans(a, last_at);
CREATE INDEX link_spans_b ON link_spans(b, last_at);

CREATE TABLE forgotten (
  host TEXT NOT NULL,
  snapshot_id TEXT NOT NULL,
  taken_at TEXT NOT NULL
) STRICT;
CREATE INDEX forgotten_host_taken_at ON forgotten(host, taken_at);
CREATE INDEX forgotten_snapshot_id ON forgotten(snapshot_id);
`;

/** A span table's rows as one snapshot's rows: every snapshot `s` of the host the span holds at. */
export const perSnapshot = (table: string) => `FROM snapshots JOIN ${table} ON ${table}.host = snapshots.host AND ${holdsAt(table, 'snapshots.taken_at', 'snapshots.id')}`;

const VIEWS_SQL = `
DROP TRIGGER snapshots_delete_cascade;
DROP VIEW veth_pairs;
DROP VIEW unpaired_veths;
DROP VIEW interface_owners;
DROP VIEW namespace_owners;
DROP VIEW snapshot_list;
DROP TABLE link_candidates;
DROP TABLE links;
DROP TABLE interfaces;
DROP TABLE processes;
DROP TABLE containers;
DROP TABLE handles;
DROP TABLE nsids;
DROP TABLE namespaces;

CREATE VIEW namespaces AS SELECT snapshots.id AS snapshot, namespace_spans.inode, namespace_spans.is_host, namespace_spans.captured, namespace_spans.problem, namespace_spans.entered_via, namespace_spans.entered_path ${perSnapshot('namespace_spans')};
CREATE VIEW handles AS SELECT handle_spans.id, snapshots.id AS snapshot, handle_spans.netns, handle_spans.kind, handle_spans.path, handle_spans.name, handle_spans.error ${perSnapshot('handle_spans')};
CREATE VIEW containers AS SELECT container_spans.id, snapshots.id AS snapshot, container_spans.netns, container_spans.runtime, container_spans.container_id, container_spans.pod_uid, container_spans.cgroup_version ${perSnapshot('container_spans')};
CREATE VIEW processes AS SELECT snapshots.id AS snapshot, process_spans.pid, process_spans.netns, process_spans.netns_error, process_spans.comm, process_spans.start_time,
    (SELECT container_spans.id FROM container_spans WHERE container_spans.host = snapshots.host AND container_spans.netns IS process_spans.netns
      AND container_spans.runtime = process_spans.container_runtime AND container_spans.container_id = process_spans.container_id
      AND ${holdsAt('container_spans', 'snapshots.taken_at', 'snapshots.id')}) AS container
  ${perSnapshot('process_spans')};
CREATE VIEW interfaces AS SELECT interface_spans.iface AS id, snapshots.id AS snapshot, interface_spans.netns, interface_spans.ifindex, interface_spans.ifname, interface_spans.kind, interface_spans.slave_kind, interface_spans.master, interface_spans.link_index, interface_spans.link_netnsid,
    interface_spans.link_name, interface_spans.link_netns_name, interface_spans.mtu, interface_spans.operstate, interface_spans.flags, interface_spans.address, interface_spans.link_type, interface_spans.alias, interface_spans.altnames, interface_spans.underlay, interface_spans.addresses,
    NULL AS raw
  ${perSnapshot('interface_spans')};
CREATE VIEW links AS SELECT link_spans.id, snapshots.id AS snapshot, link_spans.relation, link_spans.a, link_spans.b, link_spans.status, link_spans.method, link_spans.detail ${perSnapshot('link_spans')};
CREATE VIEW link_candidates AS SELECT link_spans.id AS link, j.value AS interface FROM link_spans JOIN json_each(link_spans.candidates) j;
CREATE VIEW nsids AS SELECT snapshots.id AS snapshot, nsid_spans.observer, nsid_spans.nsid, nsid_spans.target, nsid_spans.method ${perSnapshot('nsid_spans')};

CREATE VIEW snapshot_list AS
SELECT s.id, s.snapshot_id, h.label AS host, s.taken_at, s.boot_id, s.tags, s.collector_version,
       (SELECT count(*) FROM namespaces n WHERE n.snapshot = s.id) AS namespaces,
       (SELECT count(*) FROM gaps g WHERE g.snapshot = s.id) AS gaps
FROM snapshots s JOIN hosts h ON h.id = s.host;

CREATE VIEW namespace_owners AS
SELECT n.snapshot, n.inode AS netns, n.is_host, n.captured,
       (SELECT group_concat(name, ',') FROM (SELECT DISTINCT name FROM handles h
          WHERE h.snapshot = n.snapshot AND h.netns = n.inode AND h.kind = 'named' ORDER BY name)) AS names,
       (SELECT group_concat(pid || ' ' || coalesce(comm, '?'), ', ') FROM (SELECT pid, comm FROM processes p
          WHERE p.snapshot = n.snapshot AND p.netns = n.inode ORDER BY pid)) AS processes,
       (SELECT group_concat(container_id, ',') FROM (SELECT DISTINCT container_id FROM containers c
          WHERE c.snapshot = n.snapshot AND c.netns = n.inode ORDER BY container_id)) AS containers,
       (SELECT group_concat(pod_uid, ',') FROM (SELECT DISTINCT pod_uid FROM containers c
          WHERE c.snapshot = n.snapshot AND c.netns = n.inode AND pod_uid IS NOT NULL ORDER BY pod_uid)) AS pods,
       (SELECT group_concat(path, ',') FROM (SELECT DISTINCT path FROM handles h
          WHERE h.snapshot = n.snapshot AND h.netns = n.inode AND h.kind <> 'named' ORDER BY path)) AS mounts
FROM namespaces n;

CREATE VIEW veth_pairs AS
SELECT l.snapshot, s.snapshot_id, hs.label AS host, s.taken_at, l.method,
       ia.netns AS a_netns, ia.ifindex AS a_ifindex, ia.ifname AS a_ifname, ia.master AS a_master,
       oa.is_host AS a_is_host, oa.names AS a_names, oa.processes AS a_processes, oa.containers AS a_containers,
       ib.netns AS b_netns, ib.ifindex AS b_ifindex, ib.ifname AS b_ifname, ib.master AS b_master,
       ob.is_host AS b_is_host, ob.names AS b_names, ob.processes AS b_processes, ob.containers AS b_containers
FROM links l
JOIN interfaces ia ON ia.id = l.a AND ia.snapshot = l.snapshot
JOIN interfaces ib ON ib.id = l.b AND ib.snapshot = l.snapshot
JOIN snapshots s ON s.id = l.snapshot
JOIN hosts hs ON hs.id = s.host
JOIN namespace_owners oa ON oa.snapshot = ia.snapshot AND oa.netns = ia.netns
JOIN namespace_owners ob ON ob.snapshot = ib.snapshot AND ob.netns = ib.netns
WHERE l.relation = 'veth' AND l.status = 'resolved';

CREATE VIEW unpaired_veths AS
SELECT l.snapshot, s.snapshot_id, hs.label AS host, s.taken_at, i.netns, i.ifindex, i.ifname,
       l.status AS reason, l.detail,
       (SELECT group_concat(c.netns || ':' || c.ifindex || ':' || c.ifname, ' ')
          FROM link_candidates lc JOIN interfaces c ON c.id = lc.interface AND c.snapshot = l.snapshot WHERE lc.link = l.id) AS candidates
FROM links l
JOIN interfaces i ON i.id = l.a AND i.snapshot = l.snapshot
JOIN snapshots s ON s.id = l.snapshot
JOIN hosts hs ON hs.id = s.host
WHERE l.relation = 'veth' AND l.status <> 'resolved';

CREATE VIEW interface_owners AS
SELECT s.snapshot_id, hs.label AS host, s.taken_at, i.netns, i.ifindex, i.ifname, i.kind, i.master,
       o.is_host, o.names, o.processes, o.containers, o.pods
FROM interfaces i
JOIN snapshots s ON s.id = i.snapshot
JOIN hosts hs ON hs.id = s.host
JOIN namespace_owners o ON o.snapshot = i.snapshot AND o.netns = i.netns;

${deleteCascadeSql(SPAN_TABLES)}`;

/** The delete trigger on snapshots, over the span tables of its migration (5: SPAN_TABLES; 8: all of them). */
export function deleteCascadeSql(tables: Record<string, SpanTable>): string {
  return `-- Deleting a snapshot row, foreign keys on or off (the sqlite3 shell): its own rows go, spans that
-- end at it are trimmed to its neighbours, those that held only there go; it is recorded as
-- forgotten (queries about a time it answered say so), and its host goes when none is left.
CREATE TRIGGER snapshots_delete_cascade AFTER DELETE ON snapshots
BEGIN
  DELETE FROM snapshot_tags WHERE snapshot = old.id;
  DELETE FROM probes WHERE snapshot = old.id;
  DELETE FROM gaps WHERE snapshot = old.id;
${spanDeleteSql(tables)}
  INSERT INTO forgotten (host, snapshot_id, taken_at) SELECT label, old.snapshot_id, old.taken_at FROM hosts WHERE id = old.host;
  DELETE FROM ingest_log WHERE snapshot_id = old.snapshot_id AND outcome IN ('ingested', 'skipped');
${Object.values(tables)
  .map((t) => `  DELETE FROM ${t.name} WHERE host = old.host AND NOT EXISTS (SELECT 1 FROM snapshots WHERE host = old.host);`)
  .join('\n')}
  DELETE FROM interface_keys WHERE host = old.host AND NOT EXISTS (SELECT 1 FROM snapshots WHERE host = old.host);
  DELETE FROM hosts WHERE id = old.host AND NOT EXISTS (SELECT 1 FROM snapshots WHERE host = old.host);
END;
`;
}

/** One snapshot's facts read from the per-snapshot tables of schema 4, in the form ingest writes them. */
const OLD_SQL = {
  namespaces: 'SELECT inode, is_host, captured, problem, entered_via, entered_path FROM namespaces WHERE snapshot = ?',
  handles: 'SELECT netns, kind, path, name, error FROM handles WHERE snapshot = ? ORDER BY id',
  containers: 'SELECT netns, runtime, container_id, pod_uid, cgroup_version FROM containers WHERE snapshot = ? ORDER BY id',
  processes: `SELECT p.pid, p.netns, p.netns_error, p.comm, p.start_time, c.runtime, c.container_id
    FROM processes p LEFT JOIN containers c ON c.id = p.container WHERE p.snapshot = ? ORDER BY p.pid`,
  interfaces: `SELECT netns, ifindex, ifname, kind, slave_kind, master, link_index, link_netnsid, link_name, link_netns_name, mtu, operstate, flags,
    address, link_type, alias, altnames, underlay, addresses FROM interfaces WHERE snapshot = ? ORDER BY id`,
  links: `SELECT l.id, l.relation, a.netns, a.ifindex, b.netns, b.ifindex, l.status, l.method, l.detail
    FROM links l JOIN interfaces a ON a.id = l.a LEFT JOIN interfaces b ON b.id = l.b WHERE l.snapshot = ? ORDER BY l.id`,
  candidates: `SELECT lc.link, c.netns, c.ifindex FROM links l JOIN link_candidates lc ON lc.link = l.id JOIN interfaces c ON c.id = lc.interface
    WHERE l.snapshot = ?`,
  nsids: 'SELECT observer, nsid, target, method FROM nsids WHERE snapshot = ?',
} as const;

type Row = (string | number | null)[];

/** Replays every snapshot of schema 4, oldest first per host, into the span tables; then the views take the tables' places. */
export function convertToIntervals(db: Database): void {
  const writer = spanWriter(db, SPAN_TABLES);
  const keysOf = interfaceKeys(db);
  const read = Object.fromEntries(Object.entries(OLD_SQL).map(([k, sql]) => [k, db.prepare(sql).raw()])) as Record<keyof typeof OLD_SQL, Statement>;
  const snapshots = db.prepare('SELECT id AS row, host, taken_at AS at FROM snapshots ORDER BY host, taken_at, id').all() as { row: number; host: number; at: string }[];
  for (const s of snapshots) {
    const all = (k: keyof typeof OLD_SQL) => read[k].all(s.row) as Row[];
    const interfaces = all('interfaces');
    // Links and candidates name interfaces of their own snapshot (schema 4's foreign keys).
    const keys = keysOf(s.host, interfaces.map((r) => [r[0] as number, r[1] as number] as const));
    const key = (netns: unknown, ifindex: unknown) => keys.get(endKey(netns as number, ifindex as number)) as number;
    const candidates = new Map<number, number[]>();
    for (const [link, netns, ifindex] of all('candidates')) candidates.set(link as number, [...(candidates.get(link as number) ?? []), key(netns, ifindex)]);
    const facts: Record<keyof typeof SPAN_TABLES, Fact[]> = {
      namespaces: all('namespaces'),
      handles: all('handles'),
      containers: all('containers'),
      processes: all('processes'),
      interfaces: interfaces.map((r): Fact => [key(r[0], r[1]), ...r]),
      links: all('links').map(([id, relation, an, ai, bn, bi, ...rest]): Fact => [
        relation as string, key(an, ai), bn === null ? null : key(bn, bi), ...(rest as Row), candidateText(candidates.get(id as number) ?? []),
      ]),
      nsids: all('nsids'),
    };
    writer.apply(s.host, { row: s.row, at: s.at }, facts);
  }
  db.exec(VIEWS_SQL);
}
