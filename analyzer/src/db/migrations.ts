import type { Database } from 'better-sqlite3';
import { INTERVALS_SQL, convertToIntervals } from './interval-migration.js';
import { runtimeNamesMigration } from './migration-runtime-names.js';
import { NAME_SPANS_SQL, convertNameSpans } from './migration-name-spans.js';
/**
 * The database schema as an ordered list of migrations; migration N brings a
 * database from `user_version` N-1 to N. Never edit a released migration:
 * append one. docs/schema.md describes the result for people using sqlite3.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Work SQL alone cannot do (converting rows), run after `sql` in the same transaction. */
  run?: (db: Database) => void;
}

const initial = `
CREATE TABLE hosts (
  id INTEGER PRIMARY KEY,
  label TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY,
  snapshot_id TEXT NOT NULL UNIQUE,
  host INTEGER NOT NULL REFERENCES hosts(id),
  taken_at TEXT NOT NULL,
  taken_end TEXT NOT NULL,
  hostname TEXT NOT NULL,
  machine_id TEXT,
  boot_id TEXT,
  kernel_release TEXT,
  iproute2_version TEXT,
  root INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  host_netns INTEGER,
  host_netns_error TEXT,
  tags TEXT NOT NULL,
  collector_name TEXT NOT NULL,
  collector_version TEXT NOT NULL,
  collector_mode TEXT NOT NULL,
  content_sha256 TEXT NOT NULL UNIQUE,
  json_bytes INTEGER NOT NULL,
  ingested_at TEXT NOT NULL
) STRICT;
CREATE INDEX snapshots_host_taken_at ON snapshots(host, taken_at);
CREATE INDEX snapshots_taken_at ON snapshots(taken_at);

CREATE TABLE snapshot_tags (
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (snapshot, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX snapshot_tags_key_value ON snapshot_tags(key, value);

CREATE TABLE probes (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  ok INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  error TEXT
) STRICT;
CREATE INDEX probes_snapshot ON probes(snapshot);

CREATE TABLE gaps (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  source TEXT NOT NULL CHECK (source IN ('collector', 'ingest')),
  probe TEXT NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL
) STRICT;
CREATE INDEX gaps_snapshot ON gaps(snapshot);

CREATE TABLE namespaces (
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  inode INTEGER NOT NULL,
  is_host INTEGER NOT NULL,
  captured INTEGER NOT NULL,
  problem TEXT,
  entered_via TEXT,
  entered_path TEXT,
  PRIMARY KEY (snapshot, inode)
) STRICT, WITHOUT ROWID;

CREATE TABLE handles (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  netns INTEGER,
  kind TEXT NOT NULL CHECK (kind IN ('named', 'bind', 'mount')),
  path TEXT NOT NULL,
  name TEXT,
  error TEXT,
  FOREIGN KEY (snapshot, netns) REFERENCES namespaces(snapshot, inode) ON DELETE CASCADE
) STRICT;
CREATE INDEX handles_snapshot_netns ON handles(snapshot, netns);
CREATE INDEX handles_name ON handles(name) WHERE name IS NOT NULL;

CREATE TABLE containers (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  netns INTEGER,
  runtime TEXT NOT NULL,
  container_id TEXT NOT NULL,
  pod_uid TEXT,
  cgroup_version INTEGER NOT NULL,
  FOREIGN KEY (snapshot, netns) REFERENCES namespaces(snapshot, inode) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX containers_snapshot_netns ON containers(snapshot, netns, runtime, container_id);
CREATE INDEX containers_container_id ON containers(container_id);
CREATE INDEX containers_pod_uid ON containers(pod_uid) WHERE pod_uid IS NOT NULL;

CREATE TABLE processes (
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  pid INTEGER NOT NULL,
  netns INTEGER,
  netns_error TEXT,
  comm TEXT,
  start_time INTEGER,
  container INTEGER REFERENCES containers(id) ON DELETE SET NULL,
  PRIMARY KEY (snapshot, pid),
  FOREIGN KEY (snapshot, netns) REFERENCES namespaces(snapshot, inode) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
-- Covering (with the primary key's pid) for owners per namespace.
CREATE INDEX processes_snapshot_netns ON processes(snapshot, netns, pid, comm, start_time);
CREATE INDEX processes_container ON processes(container) WHERE container IS NOT NULL;

CREATE TABLE interfaces (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  netns INTEGER NOT NULL,
  ifindex INTEGER NOT NULL,
  ifname TEXT NOT NULL,
  kind TEXT,
  slave_kind TEXT,
  master TEXT,
  link_index INTEGER,
  link_netnsid INTEGER,
  link_name TEXT,
  link_netns_name TEXT,
  mtu INTEGER,
  operstate TEXT,
  flags TEXT NOT NULL,
  address TEXT,
  link_type TEXT,
  alias TEXT,
  altnames TEXT NOT NULL,
  underlay ANY,
  addresses TEXT NOT NULL,
  raw TEXT NOT NULL,
  FOREIGN KEY (snapshot, netns) REFERENCES namespaces(snapshot, inode) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX interfaces_snapshot_netns_ifindex ON interfaces(snapshot, netns, ifindex);
CREATE INDEX interfaces_ifname ON interfaces(ifname, snapshot);

CREATE TABLE links (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  relation TEXT NOT NULL CHECK (relation IN ('veth', 'lower', 'master')),
  a INTEGER NOT NULL REFERENCES interfaces(id) ON DELETE CASCADE,
  b INTEGER REFERENCES interfaces(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('resolved', 'ambiguous', 'dangling', 'no-peer-index', 'unresolved')),
  method TEXT CHECK (method IN ('same-netns', 'nsid-map', 'unique-candidate', 'nsid-consistency')),
  detail TEXT,
  CHECK ((status = 'resolved') = (b IS NOT NULL))
) STRICT;
CREATE INDEX links_snapshot_relation ON links(snapshot, relation);
CREATE INDEX links_a ON links(a);
CREATE INDEX links_b ON links(b) WHERE b IS NOT NULL;

CREATE TABLE link_candidates (
  link INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
  interface INTEGER NOT NULL REFERENCES interfaces(id) ON DELETE CASCADE,
  PRIMARY KEY (link, interface)
) STRICT, WITHOUT ROWID;
CREATE INDEX link_candidates_interface ON link_candidates(interface);

CREATE TABLE nsids (
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  observer INTEGER NOT NULL,
  nsid INTEGER NOT NULL,
  target INTEGER NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('nsid-map', 'inferred')),
  PRIMARY KEY (snapshot, observer, nsid)
) STRICT, WITHOUT ROWID;

CREATE TABLE ingest_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  source TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ingested', 'skipped', 'failed')),
  snapshot_id TEXT,
  content_sha256 TEXT,
  stored_sha256 TEXT,
  stored_bytes INTEGER,
  reason TEXT,
  duration_ms REAL NOT NULL
) STRICT;
CREATE INDEX ingest_log_snapshot_id ON ingest_log(snapshot_id) WHERE snapshot_id IS NOT NULL;

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
JOIN interfaces ia ON ia.id = l.a
JOIN interfaces ib ON ib.id = l.b
JOIN snapshots s ON s.id = l.snapshot
JOIN hosts hs ON hs.id = s.host
JOIN namespace_owners oa ON oa.snapshot = ia.snapshot AND oa.netns = ia.netns
JOIN namespace_owners ob ON ob.snapshot = ib.snapshot AND ob.netns = ib.netns
WHERE l.relation = 'veth' AND l.status = 'resolved';

CREATE VIEW unpaired_veths AS
SELECT l.snapshot, s.snapshot_id, hs.label AS host, s.taken_at, i.netns, i.ifindex, i.ifname,
       l.status AS reason, l.detail,
       (SELECT group_concat(c.netns || ':' || c.ifindex || ':' || c.ifname, ' ')
          FROM link_candidates lc JOIN interfaces c ON c.id = lc.interface WHERE lc.link = l.id) AS candidates
FROM links l
JOIN interfaces i ON i.id = l.a
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
`;

// Incremental ingest from a store asks, for every listed key, whether its location was already taken.
const ingestLogSource = `
CREATE INDEX ingest_log_source ON ingest_log(source, outcome);
`;

// A veth end with no peer gets its own reason when its peer is out of sight (docs/correlation.md).
// SQLite cannot change a CHECK in place: `links` is rebuilt, its candidates kept aside (dropping
// `links` would cascade to them), and the views over it made again as they were.
const unpairedReasons = `
DROP VIEW veth_pairs;
DROP VIEW unpaired_veths;
CREATE TABLE links_v3 (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  relation TEXT NOT NULL CHECK (relation IN ('veth', 'lower', 'master')),
  a INTEGER NOT NULL REFERENCES interfaces(id) ON DELETE CASCADE,
  b INTEGER REFERENCES interfaces(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('resolved', 'ambiguous', 'unconfirmed', 'unseen-peer', 'unreadable-peer', 'dangling', 'no-peer-index', 'unresolved')),
  method TEXT CHECK (method IN ('same-netns', 'nsid-map', 'unique-candidate', 'nsid-consistency')),
  detail TEXT,
  CHECK ((status = 'resolved') = (b IS NOT NULL))
) STRICT;
INSERT INTO links_v3 (id, snapshot, relation, a, b, status, method, detail)
  SELECT id, snapshot, relation, a, b, status, method, detail FROM links;
CREATE TABLE link_candidates_kept AS SELECT link, interface FROM link_candidates;
DROP TABLE link_candidates;
DROP TABLE links;
ALTER TABLE links_v3 RENAME TO links;
CREATE INDEX links_snapshot_relation ON links(snapshot, relation);
CREATE INDEX links_a ON links(a);
CREATE INDEX links_b ON links(b) WHERE b IS NOT NULL;
CREATE TABLE link_candidates (
  link INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
  interface INTEGER NOT NULL REFERENCES interfaces(id) ON DELETE CASCADE,
  PRIMARY KEY (link, interface)
) STRICT, WITHOUT ROWID;
INSERT INTO link_candidates (link, interface) SELECT link, interface FROM link_candidates_kept;
DROP TABLE link_candidates_kept;
CREATE INDEX link_candidates_interface ON link_candidates(interface);

CREATE VIEW veth_pairs AS
SELECT l.snapshot, s.snapshot_id, hs.label AS host, s.taken_at, l.method,
       ia.netns AS a_netns, ia.ifindex AS a_ifindex, ia.ifname AS a_ifname, ia.master AS a_master,
       oa.is_host AS a_is_host, oa.names AS a_names, oa.processes AS a_processes, oa.containers AS a_containers,
       ib.netns AS b_netns, ib.ifindex AS b_ifindex, ib.ifname AS b_ifname, ib.master AS b_master,
       ob.is_host AS b_is_host, ob.names AS b_names, ob.processes AS b_processes, ob.containers AS b_containers
FROM links l
JOIN interfaces ia ON ia.id = l.a
JOIN interfaces ib ON ib.id = l.b
JOIN snapshots s ON s.id = l.snapshot
JOIN hosts hs ON hs.id = s.host
JOIN namespace_owners oa ON oa.snapshot = ia.snapshot AND oa.netns = ia.netns
JOIN namespace_owners ob ON ob.snapshot = ib.snapshot AND ob.netns = ib.netns
WHERE l.relation = 'veth' AND l.status = 'resolved';

CREATE VIEW unpaired_veths AS
SELECT l.snapshot, s.snapshot_id, hs.label AS host, s.taken_at, i.netns, i.ifindex, i.ifname,
       l.status AS reason, l.detail,
       (SELECT group_concat(c.netns || ':' || c.ifindex || ':' || c.ifname, ' ')
          FROM link_candidates lc JOIN interfaces c ON c.id = lc.interface WHERE lc.link = l.id) AS candidates
FROM links l
JOIN interfaces i ON i.id = l.a
JOIN snapshots s ON s.id = l.snapshot
JOIN hosts hs ON hs.id = s.host
WHERE l.relation = 'veth' AND l.status <> 'resolved';
`;

// Deleting a snapshot row removes what it brought even where foreign keys are off (the sqlite3
// shell's default, where the ON DELETE CASCADE clauses do nothing): the rows of every table that
// holds a snapshot's facts, its ingest_log rows that made an ingest from a store skip its key, and its
// host when no snapshot of it is left. With foreign keys on, the cascades have run first and these
// find nothing. Rows orphaned by deletes before this migration are removed once here.
const SNAPSHOT_TABLES = ['snapshot_tags', 'probes', 'gaps', 'nsids', 'processes', 'containers', 'handles', 'interfaces', 'namespaces'];
const deleteCascade = `
DELETE FROM link_candidates WHERE link NOT IN (SELECT id FROM links WHERE snapshot IN (SELECT id FROM snapshots));
DELETE FROM links WHERE snapshot NOT IN (SELECT id FROM snapshots);
${SNAPSHOT_TABLES.map((t) => `DELETE FROM ${t} WHERE snapshot NOT IN (SELECT id FROM snapshots);`).join('\n')}

CREATE TRIGGER snapshots_delete_cascade AFTER DELETE ON snapshots
BEGIN
  DELETE FROM link_candidates WHERE link IN (SELECT id FROM links WHERE snapshot = old.id);
  DELETE FROM links WHERE snapshot = old.id;
${SNAPSHOT_TABLES.map((t) => `  DELETE FROM ${t} WHERE snapshot = old.id;`).join('\n')}
  DELETE FROM ingest_log WHERE snapshot_id = old.snapshot_id AND outcome IN ('ingested', 'skipped');
  DELETE FROM hosts WHERE id = old.host AND NOT EXISTS (SELECT 1 FROM snapshots WHERE host = old.host);
END;
`;

// Routes, rules and neighbours, stored by content: a namespace's list is one routing_sets row
// (its kind and the sha256 of its entries), referenced per (snapshot, netns), so the same routes
// in every snapshot of a pod are stored once. A namespace without a row for a kind did not have
// that list captured (an older collector, a failed command), which is not the same as an empty set.
// A set no snapshot references any more goes with the last reference (one index lookup per row).
const routing = `
CREATE TABLE routing_sets (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('routes', 'rules', 'neighbours')),
  sha256 TEXT NOT NULL,
  entries INTEGER NOT NULL,
  UNIQUE (kind, sha256)
) STRICT;

CREATE TABLE routing_entries (
  routing_set INTEGER NOT NULL REFERENCES routing_sets(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  key TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (routing_set, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE namespace_routing (
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  netns INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('routes', 'rules', 'neighbours')),
  routing_set INTEGER NOT NULL REFERENCES routing_sets(id),
  PRIMARY KEY (snapshot, netns, kind)
) STRICT, WITHOUT ROWID;
CREATE INDEX namespace_routing_set ON namespace_routing(routing_set);

CREATE TRIGGER snapshots_delete_routing AFTER DELETE ON snapshots
BEGIN
  DELETE FROM namespace_routing WHERE snapshot = old.id;
END;

CREATE TRIGGER namespace_routing_delete_set AFTER DELETE ON namespace_routing
BEGIN
  DELETE FROM routing_sets WHERE id = old.routing_set AND NOT EXISTS (SELECT 1 FROM namespace_routing WHERE routing_set = old.routing_set);
END;

CREATE TRIGGER routing_sets_delete_entries AFTER DELETE ON routing_sets
BEGIN
  DELETE FROM routing_entries WHERE routing_set = old.id;
END;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: initial },
  { version: 2, name: 'ingest_log by source', sql: ingestLogSource },
  { version: 3, name: 'unpaired reasons for peers out of sight', sql: unpairedReasons },
  { version: 4, name: 'deleting a snapshot removes what it brought, foreign keys on or off', sql: deleteCascade },
  { version: 5, name: 'facts stored as intervals of snapshots', sql: INTERVALS_SQL, run: convertToIntervals },
  { version: 6, name: 'routes, rules and neighbours by content', sql: routing },
  { version: 7, name: 'pod and container names from the runtimes\' files', sql: runtimeNamesMigration },
  { version: 8, name: 'routing lists and runtime names stored as intervals of snapshots', sql: NAME_SPANS_SQL, run: convertNameSpans },
];
