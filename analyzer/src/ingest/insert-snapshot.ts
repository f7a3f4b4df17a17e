import type { Database } from 'better-sqlite3';
import { toDbText, type EndRef } from '@nsnap/shared';
import { candidateText, endKey, interfaceKeys, spanWriter, type Fact, type Facts } from '../db/intervals.js';
import { routingInserter } from './insert-routing.js';
import { runtimeNameFacts } from './insert-runtime-names.js';
import type { SnapshotRows } from './normalize.js';
import type { RoutingRow } from './routing-rows.js';

const bool = (v: boolean) => (v ? 1 : 0);
/** Names go in as `toDbText` keeps them: a byte that is not UTF-8 would otherwise be read back as U+FFFD. */
const nameOrNull = (name: string | null) => (name === null ? null : toDbText(name));

export interface SnapshotInserter {
  /** Inserts one snapshot's rows and its routing lists (routing-rows.ts); returns its row id. Call inside a transaction. */
  insert(rows: SnapshotRows, contentSha256: string, jsonBytes: number, ingestedAt: string, routing?: RoutingRow[]): number;
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
    unforget: db.prepare('DELETE FROM forgotten WHERE snapshot_id = ?'),
  };

  const writer = spanWriter(db);
  const keysOf = interfaceKeys(db);
  const routingSets = routingInserter(db);

  return {
    insert(rows, contentSha256, jsonBytes, ingestedAt, routing = []) {
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
      s.unforget.run(b.snapshotId);
      const keys = keysOf(host, rows.interfaces.map(({ netns, link }) => [netns, link.ifindex] as const));
      const keyOf = (netns: number, ifindex: number) => keys.get(endKey(netns, ifindex)) as number;
      writer.apply(host, { row: id, at: rows.takenAt }, { ...factsOf(rows, keyOf), routing: routingSets.facts(routing), ...runtimeNameFacts(b.runtimeNames) });
      return id;
    },
  };
}

/**
 * A snapshot's rows as facts (columns of `SPAN_TABLES`; routing and runtime names come apart), with names as `toDbText` keeps them and
 * interfaces named by their keys. A link or candidate naming an interface no dump holds is a bug of
 * the correlation: refused, as the foreign keys of schema 4 refused it.
 */
export function factsOf(rows: SnapshotRows, keyOf: (netns: number, ifindex: number) => number): Omit<Facts, 'routing' | 'runtimePods' | 'runtimeContainers'> {
  const dumped = new Set(rows.interfaces.map(({ netns, link }) => endKey(netns, link.ifindex)));
  const end = (e: EndRef): number => {
    if (!dumped.has(endKey(e.netns, e.ifindex))) throw new Error(`correlation names interface ${e.ifname} #${e.ifindex} in netns ${e.netns}, which no dump holds`);
    return keyOf(e.netns, e.ifindex);
  };
  return {
    namespaces: rows.namespaces.map((n): Fact => [n.inode, bool(n.isHost), bool(n.captured), n.problem, n.enteredVia, n.enteredPath]),
    handles: rows.handles.map((h): Fact => [h.netns, h.kind, h.path, h.name, h.error]),
    containers: rows.containers.map((c): Fact => [c.netns, c.runtime, c.id, c.podUid, c.cgroupVersion]),
    processes: rows.processes.map((p): Fact => {
      const c = p.container !== null ? rows.containers[p.container] : undefined;
      return [p.pid, p.netns, p.netnsError, p.comm, p.startTime, c?.runtime ?? null, c?.id ?? null];
    }),
    interfaces: rows.interfaces.map(({ netns, link: l }): Fact => [
      keyOf(netns, l.ifindex), netns, l.ifindex, toDbText(l.ifname), l.kind, l.slaveKind, nameOrNull(l.master), l.linkIndex, l.linkNetnsid, nameOrNull(l.linkName),
      nameOrNull(l.linkNetnsName), l.mtu, l.operstate, JSON.stringify(l.flags), l.address, l.linkType, nameOrNull(l.alias), JSON.stringify(l.altnames.map(toDbText)),
      typeof l.underlay === 'string' ? toDbText(l.underlay) : l.underlay, JSON.stringify(l.addresses),
    ]),
    links: rows.links.map((l): Fact => [l.relation, end(l.a), l.b ? end(l.b) : null, l.status, l.method, l.detail, candidateText(l.candidates.map(end))]),
    nsids: dedupeNsids(rows.nsids).map((n): Fact => [n.observer, n.nsid, n.target, n.method]),
  };
}

/** One nsid per (observer, nsid), the first listed: the key schema 4 kept with INSERT OR IGNORE. */
function dedupeNsids(list: SnapshotRows['nsids']): SnapshotRows['nsids'] {
  const seen = new Set<string>();
  return list.filter((n) => {
    const k = `${n.observer}:${n.nsid}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
