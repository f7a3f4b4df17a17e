import { toDbText, type EndRef } from '@nsnap/shared';
import type { SnapshotRows } from '../ingest/normalize.js';
import { sortTables, type LakeRow, type LakeSnapshot } from './lake-rows.js';

/**
 * A text column as a database that ingested it reads it back: better-sqlite3 writes a lone surrogate as
 * its three WTF-8 bytes (ED A0 80…), which read back as three U+FFFD. Names are kept exactly instead (`name`).
 */
export const wellFormed = (s: string): string => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd\ufffd\ufffd');
const text = (s: string | null): string | null => (s === null ? null : wellFormed(s));
/** Names as insert-snapshot.ts stores them (`toDbText`): reversible, and valid UTF-8. */
const name = (s: string | null): string | null => (s === null ? null : toDbText(s));

const uniqueSorted = (values: string[]) => [...new Set(values)].sort();
const endKey = (e: EndRef) => `${e.netns}:${e.ifindex}`;

/**
 * One normalized bundle (ingest/normalize.ts, with the ingest gaps read-bundle.ts adds) as lake rows:
 * the same rows rows-from-db.ts reads back from a database that ingested it.
 */
export function lakeRowsFromBundle(rows: SnapshotRows, identity: { contentSha256: string; jsonBytes: number }): LakeSnapshot {
  const b = rows.bundle;
  const base = { snapshot_id: b.snapshotId, taken_at: rows.takenAt, boot_id: text(b.host.bootId) };
  const ifname = new Map(rows.interfaces.map(({ netns, link }) => [endKey({ netns, ifindex: link.ifindex, ifname: link.ifname }), toDbText(link.ifname)]));
  const end = (prefix: string, e: EndRef) => ({ [`${prefix}netns`]: e.netns, [`${prefix}ifindex`]: e.ifindex, [`${prefix}ifname`]: ifname.get(endKey(e)) ?? toDbText(e.ifname) });

  const snapshots: LakeRow[] = [{
    ...base,
    taken_end: rows.takenEnd,
    hostname: wellFormed(b.host.hostname),
    machine_id: text(b.host.machineId),
    kernel_release: text(b.host.kernelRelease),
    iproute2_version: text(b.host.iproute2Version),
    root: b.host.root,
    uid: b.host.uid,
    host_netns: b.hostNetns.inode,
    host_netns_error: text(b.hostNetns.error),
    tags: Object.entries(b.tags).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([key, value]) => ({ key: wellFormed(key), value: wellFormed(value) })),
    collector_name: wellFormed(b.collector.name),
    collector_version: wellFormed(b.collector.version),
    collector_mode: b.collector.mode,
    content_sha256: identity.contentSha256,
    json_bytes: identity.jsonBytes,
  }];

  const handlesOf = (inode: number) => rows.handles.filter((h) => h.netns === inode);
  const namespaces: LakeRow[] = rows.namespaces.map((n) => ({
    ...base,
    netns: n.inode,
    is_host: n.isHost,
    captured: n.captured,
    problem: text(n.problem),
    entered_via: n.enteredVia,
    entered_path: text(n.enteredPath),
    names: uniqueSorted(handlesOf(n.inode).flatMap((h) => (h.kind === 'named' && h.name !== null ? [wellFormed(h.name)] : []))),
    mounts: uniqueSorted(handlesOf(n.inode).flatMap((h) => (h.kind !== 'named' ? [wellFormed(h.path)] : []))),
  }));

  const processes: LakeRow[] = rows.processes.map((p) => {
    const c = p.container !== null ? rows.containers[p.container] : undefined;
    return { ...base, pid: p.pid, netns: p.netns, netns_error: text(p.netnsError), comm: text(p.comm), start_time: p.startTime, runtime: c?.runtime ?? null, container_id: c ? wellFormed(c.id) : null };
  });
  const containers: LakeRow[] = rows.containers.map((c) => ({ ...base, netns: c.netns, runtime: c.runtime, container_id: wellFormed(c.id), pod_uid: text(c.podUid), cgroup_version: c.cgroupVersion }));

  const interfaces: LakeRow[] = rows.interfaces.map(({ netns, link: l }) => ({
    ...base,
    netns,
    ifindex: l.ifindex,
    ifname: toDbText(l.ifname),
    kind: text(l.kind),
    slave_kind: text(l.slaveKind),
    master: name(l.master),
    link_index: l.linkIndex,
    link_netnsid: l.linkNetnsid,
    link_name: name(l.linkName),
    link_netns_name: name(l.linkNetnsName),
    mtu: l.mtu,
    operstate: text(l.operstate),
    flags: l.flags.map(wellFormed),
    address: text(l.address),
    link_type: text(l.linkType),
    alias: name(l.alias),
    altnames: l.altnames.map(toDbText),
    underlay_ifindex: typeof l.underlay === 'number' ? l.underlay : null,
    underlay_name: typeof l.underlay === 'string' ? toDbText(l.underlay) : null,
    addresses: l.addresses.map((a) => ({ family: wellFormed(a.family), local: wellFormed(a.local), prefixlen: a.prefixlen })),
  }));

  const veth_pairs: LakeRow[] = [];
  const unpaired_veths: LakeRow[] = [];
  const lowers: LakeRow[] = [];
  for (const l of rows.links) {
    if (l.relation === 'veth' && l.b !== null) {
      veth_pairs.push({ ...base, method: l.method, ...end('a_', l.a), ...end('b_', l.b) });
    } else if (l.relation === 'veth') {
      // The database keeps each candidate once (link_candidates' primary key).
      const seen = new Map(l.candidates.map((c) => [endKey(c), end('', c)]));
      const candidates = [...seen.values()].sort((x, y) => (x.netns as number) - (y.netns as number) || (x.ifindex as number) - (y.ifindex as number));
      unpaired_veths.push({ ...base, ...end('', l.a), reason: l.status, detail: text(l.detail), candidates });
    } else {
      const target = l.b ? end('target_', l.b) : { target_netns: null, target_ifindex: null, target_ifname: null };
      lowers.push({ ...base, relation: l.relation, ...end('', l.a), status: l.status, method: l.method, detail: text(l.detail), ...target });
    }
  }
  const gaps: LakeRow[] = rows.gaps.map((g) => ({ ...base, source: g.source, probe: wellFormed(g.probe), subject: wellFormed(g.subject), reason: g.reason, detail: wellFormed(g.detail) }));

  return {
    host: b.host.label,
    snapshotId: b.snapshotId,
    takenAt: rows.takenAt,
    tables: sortTables({ snapshots, namespaces, processes, containers, interfaces, veth_pairs, unpaired_veths, lowers, gaps }),
  };
}
