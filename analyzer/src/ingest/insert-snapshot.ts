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

/** A snapshot's head: the bundle's fields the `snapshots` row and its tags and probes hold. */
export type SnapshotHead = Pick<SnapshotRows['bundle'], 'snapshotId' | 'host' | 'hostNetns' | 'tags' | 'collector' | 'probes'>;

/** A link between two interfaces, each named by its place in `SnapshotFacts.ends`. */
export interface LinkFact {
  relation: string;
  a: number;
  b: number | null;
  status: string;
  method: string | null;
  detail: string | null;
  candidates: number[];
}

/**
 * What a snapshot adds, computed without the database (so a worker thread can: ingest.ts): every
 * fact but the interface keys, which only the database gives. Plain data, cheap to pass between threads.
 */
export interface SnapshotFacts {
  head: SnapshotHead;
  takenAt: string;
  takenEnd: string;
  gaps: SnapshotRows['gaps'];
  /** Each interface's (netns, ifindex), in the order of `facts.interfaces`. */
  ends: [number, number][];
  /** Interfaces' first column (`iface`) holds the interface's place in `ends` until the insert puts its key there. */
  facts: Omit<Facts, 'routing' | 'links'>;
  links: LinkFact[];
  routing: RoutingRow[];
}

export interface SnapshotInserter {
  /** Inserts one snapshot's rows and its routing lists (routing-rows.ts); returns its row id. Call inside a transaction. */
  insert(rows: SnapshotRows, contentSha256: string, jsonBytes: number, ingestedAt: string, routing?: RoutingRow[]): number;
  /** Inserts what `snapshotFacts` made of a snapshot; returns its row id. Call inside a transaction. */
  insertFacts(facts: SnapshotFacts, contentSha256: string, jsonBytes: number, ingestedAt: string): number;
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

  const insertFacts = (f: SnapshotFacts, contentSha256: string, jsonBytes: number, ingestedAt: string): number => {
    const b = f.head;
    const host = (s.host.get(b.host.label) as { id: number }).id;
    const id = Number(
      s.snapshot.run({
        snapshotId: b.snapshotId,
        host,
        takenAt: f.takenAt,
        takenEnd: f.takenEnd,
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
    for (const g of f.gaps) s.gap.run(id, g.source, g.probe, g.subject, g.reason, g.detail);
    s.unforget.run(b.snapshotId);
    const byEnd = keysOf(host, f.ends);
    const keys = f.ends.map(([netns, ifindex]) => byEnd.get(endKey(netns, ifindex)) as number);
    for (const fact of f.facts.interfaces) fact[0] = keys[fact[0] as number] as number;
    const links = f.links.map((l): Fact => [l.relation, keys[l.a] as number, l.b === null ? null : (keys[l.b] as number), l.status, l.method, l.detail, candidateText(l.candidates.map((c) => keys[c] as number))]);
    writer.apply(host, { row: id, at: f.takenAt }, { ...f.facts, links, routing: routingSets.facts(f.routing) });
    return id;
  };

  return {
    insert: (rows, contentSha256, jsonBytes, ingestedAt, routing = []) => insertFacts(snapshotFacts(rows, routing), contentSha256, jsonBytes, ingestedAt),
    insertFacts,
  };
}

/**
 * A snapshot's rows as facts (columns of `ALL_SPAN_TABLES`), with names as `toDbText` keeps them and
 * interfaces named by their place in `ends`. Pure. A link or candidate naming an interface no dump
 * holds is a bug of the correlation: refused, as the foreign keys of schema 4 refused it.
 */
export function snapshotFacts(rows: SnapshotRows, routing: RoutingRow[]): SnapshotFacts {
  const b = rows.bundle;
  const ends = rows.interfaces.map(({ netns, link }): [number, number] => [netns, link.ifindex]);
  const place = new Map<string, number>();
  ends.forEach(([netns, ifindex], i) => {
    if (!place.has(endKey(netns, ifindex))) place.set(endKey(netns, ifindex), i);
  });
  const end = (e: EndRef): number => {
    const i = place.get(endKey(e.netns, e.ifindex));
    if (i === undefined) throw new Error(`correlation names interface ${e.ifname} #${e.ifindex} in netns ${e.netns}, which no dump holds`);
    return i;
  };
  return {
    head: { snapshotId: b.snapshotId, host: b.host, hostNetns: b.hostNetns, tags: b.tags, collector: b.collector, probes: b.probes },
    takenAt: rows.takenAt,
    takenEnd: rows.takenEnd,
    gaps: rows.gaps,
    ends,
    facts: {
      namespaces: rows.namespaces.map((n): Fact => [n.inode, bool(n.isHost), bool(n.captured), n.problem, n.enteredVia, n.enteredPath]),
      handles: rows.handles.map((h): Fact => [h.netns, h.kind, h.path, h.name, h.error]),
      containers: rows.containers.map((c): Fact => [c.netns, c.runtime, c.id, c.podUid, c.cgroupVersion]),
      processes: rows.processes.map((p): Fact => {
        const c = p.container !== null ? rows.containers[p.container] : undefined;
        return [p.pid, p.netns, p.netnsError, p.comm, p.startTime, c?.runtime ?? null, c?.id ?? null];
      }),
      interfaces: rows.interfaces.map(({ netns, link: l }, i): Fact => [
        i, netns, l.ifindex, toDbText(l.ifname), l.kind, l.slaveKind, nameOrNull(l.master), l.linkIndex, l.linkNetnsid, nameOrNull(l.linkName),
        nameOrNull(l.linkNetnsName), l.mtu, l.operstate, JSON.stringify(l.flags), l.address, l.linkType, nameOrNull(l.alias), JSON.stringify(l.altnames.map(toDbText)),
        typeof l.underlay === 'string' ? toDbText(l.underlay) : l.underlay, JSON.stringify(l.addresses),
      ]),
      nsids: dedupeNsids(rows.nsids).map((n): Fact => [n.observer, n.nsid, n.target, n.method]),
      ...runtimeNameFacts(b.runtimeNames),
    },
    links: rows.links.map((l): LinkFact => ({ relation: l.relation, a: end(l.a), b: l.b ? end(l.b) : null, status: l.status, method: l.method, detail: l.detail, candidates: l.candidates.map(end) })),
    routing,
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
