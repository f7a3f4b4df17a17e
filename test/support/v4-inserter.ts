import { toDbText, type EndRef } from '@nsnap/shared';
import type { SnapshotRows, openDatabase } from '@nsnap/analyzer';

type Database = ReturnType<typeof openDatabase>;

// Schema 4's inserter (analyzer/src/ingest/insert-snapshot.ts before facts became intervals), kept as it
// was: the differential and migration tests fill a database of the old layout with it.

const bool = (v: boolean) => (v ? 1 : 0);
const endKey = (e: EndRef) => `${e.netns}:${e.ifindex}`;
/** Names go in as `toDbText` keeps them: a byte that is not UTF-8 would otherwise be read back as U+FFFD. */
const nameOrNull = (name: string | null) => (name === null ? null : toDbText(name));

export interface SnapshotInserter {
  /** Inserts one snapshot's rows; returns its row id. Call inside a transaction. */
  insert(rows: SnapshotRows, contentSha256: string, jsonBytes: number, ingestedAt: string): number;
}

/** Prepares every statement once, for a whole ingest run. */
export function snapshotInserter(db: Database): SnapshotInserter {
  const s = {
    host: db.prepare('INSERT INTO hosts (label) VALUES (?) ON CONFLICT (label) DO UPDATE SET label = excluded.label RETURNING id'),
    snapshot: db.prepare(`INSERT INTO snapshots (snapshot_id, host, taken_at, taken_end, hostname, machine_id, boot_id, kernel_release,
        iproute2_version, root, uid, host_netns, host_netns_error, tags, collector_name, collector_version, collector_mode,
        content_sha256, json_bytes, ingested_at)
      VALUES (@snapshotId, @host, @takenAt, @takenEnd, @hostname, @machineId, @bootId, @kernelRelease, @iproute2Version, @root, @uid,
        @hostNetns, @hostNetnsError, @tags, @collectorName, @collectorVersion, @collectorMode, @contentSha256, @jsonBytes, @ingestedAt)`),
    tag: db.prepare('INSERT INTO snapshot_tags (snapshot, key, value) VALUES (?, ?, ?)'),
    probe: db.prepare('INSERT INTO probes (snapshot, name, ok, duration_ms, error) VALUES (?, ?, ?, ?, ?)'),
    gap: db.prepare('INSERT INTO gaps (snapshot, source, probe, subject, reason, detail) VALUES (?, ?, ?, ?, ?, ?)'),
    namespace: db.prepare('INSERT INTO namespaces (snapshot, inode, is_host, captured, problem, entered_via, entered_path) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    handle: db.prepare('INSERT INTO handles (snapshot, netns, kind, path, name, error) VALUES (?, ?, ?, ?, ?, ?)'),
    container: db.prepare('INSERT INTO containers (snapshot, netns, runtime, container_id, pod_uid, cgroup_version) VALUES (?, ?, ?, ?, ?, ?)'),
    process: db.prepare('INSERT INTO processes (snapshot, pid, netns, netns_error, comm, start_time, container) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    iface: db.prepare(`INSERT INTO interfaces (snapshot, netns, ifindex, ifname, kind, slave_kind, master, link_index, link_netnsid, link_name,
        link_netns_name, mtu, operstate, flags, address, link_type, alias, altnames, underlay, addresses, raw)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    link: db.prepare('INSERT INTO links (snapshot, relation, a, b, status, method, detail) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    candidate: db.prepare('INSERT OR IGNORE INTO link_candidates (link, interface) VALUES (?, ?)'),
    nsid: db.prepare('INSERT OR IGNORE INTO nsids (snapshot, observer, nsid, target, method) VALUES (?, ?, ?, ?, ?)'),
  };

  return {
    insert(rows, contentSha256, jsonBytes, ingestedAt) {
      const b = rows.bundle;
      const host = (s.host.get(b.host.label) as { id: number }).id;
      const id = Number(
        s.snapshot.run({
          snapshotId: b.snapshotId,
          host,
          takenAt: rows.takenAt,
          takenEnd: rows.takenEnd,
          hostname: b.host.hostname,
          machineId: b.host.machineId,
          bootId: b.host.bootId,
          kernelRelease: b.host.kernelRelease,
          iproute2Version: b.host.iproute2Version,
          root: bool(b.host.root),
          uid: b.host.uid,
          hostNetns: b.hostNetns.inode,
          hostNetnsError: b.hostNetns.error,
          tags: JSON.stringify(b.tags),
          collectorName: b.collector.name,
          collectorVersion: b.collector.version,
          collectorMode: b.collector.mode,
          contentSha256,
          jsonBytes,
          ingestedAt,
        }).lastInsertRowid,
      );
      for (const [key, value] of Object.entries(b.tags)) s.tag.run(id, key, value);
      for (const p of b.probes) s.probe.run(id, p.name, bool(p.ok), p.durationMs, p.error);
      for (const g of rows.gaps) s.gap.run(id, g.source, g.probe, g.subject, g.reason, g.detail);
      for (const n of rows.namespaces) s.namespace.run(id, n.inode, bool(n.isHost), bool(n.captured), n.problem, n.enteredVia, n.enteredPath);
      for (const h of rows.handles) s.handle.run(id, h.netns, h.kind, h.path, h.name, h.error);
      const containerIds = rows.containers.map((c) => Number(s.container.run(id, c.netns, c.runtime, c.id, c.podUid, c.cgroupVersion).lastInsertRowid));
      for (const p of rows.processes) s.process.run(id, p.pid, p.netns, p.netnsError, p.comm, p.startTime, p.container !== null ? containerIds[p.container] : null);
      const ifaceIds = new Map<string, number>();
      for (const { netns, link: l } of rows.interfaces) {
        const rowid = s.iface.run(
          id, netns, l.ifindex, toDbText(l.ifname), l.kind, l.slaveKind, nameOrNull(l.master), l.linkIndex, l.linkNetnsid, nameOrNull(l.linkName), nameOrNull(l.linkNetnsName), l.mtu,
          l.operstate, JSON.stringify(l.flags), l.address, l.linkType, nameOrNull(l.alias), JSON.stringify(l.altnames.map(toDbText)), typeof l.underlay === 'string' ? toDbText(l.underlay) : l.underlay, JSON.stringify(l.addresses), l.raw,
        ).lastInsertRowid;
        ifaceIds.set(endKey({ netns, ifindex: l.ifindex, ifname: l.ifname }), Number(rowid));
      }
      const ifaceId = (e: EndRef): number => {
        const found = ifaceIds.get(endKey(e));
        if (found === undefined) throw new Error(`correlation names interface ${e.ifname} #${e.ifindex} in netns ${e.netns}, which no dump holds`);
        return found;
      };
      for (const l of rows.links) {
        const linkId = s.link.run(id, l.relation, ifaceId(l.a), l.b ? ifaceId(l.b) : null, l.status, l.method, l.detail).lastInsertRowid;
        for (const c of l.candidates) s.candidate.run(linkId, ifaceId(c));
      }
      for (const n of rows.nsids) s.nsid.run(id, n.observer, n.nsid, n.target, n.method);
      return id;
    },
  };
}

/** One snapshot's rows into a database of schema 4. */
export function insertV4(db: Database, rows: SnapshotRows, contentSha256: string, jsonBytes: number, ingestedAt: string): number {
  return snapshotInserter(db).insert(rows, contentSha256, jsonBytes, ingestedAt);
}
