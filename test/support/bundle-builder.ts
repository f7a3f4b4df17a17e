import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BundleSchema, bundleKey, uuidv7, type Bundle, type Capture, type Gap } from '@nsnap/shared';

/** One interface, in the terms `ip -d -j link show` prints it. */
export interface LinkSpec {
  ifindex: number;
  ifname: string;
  /** linkinfo.info_kind; omitted for physical devices and lo. */
  kind?: string;
  /** Peer/lower in another namespace: link_index + link_netnsid. */
  linkIndex?: number;
  linkNetnsid?: number;
  /** Peer/lower in the same namespace, by name (`link`). */
  link?: string;
  master?: string;
  operstate?: string;
  mtu?: number;
  alias?: string;
  address?: string;
  addrs?: { family: 'inet' | 'inet6'; local: string; prefixlen: number }[];
}

export interface NamespaceSpec {
  inode: number;
  host?: boolean;
  /** `ip netns` names: /run/netns/NAME handles. */
  names?: string[];
  /** Runtime bind mounts (/run/docker/netns/…). */
  binds?: string[];
  links?: LinkSpec[];
  /** The namespace's own `netns list-id` output (names resolve through /run/netns). */
  listId?: { nsid: number; name?: string }[];
  /** Set when the collector could not capture it: no dump, a failure and a gap. */
  failure?: { reason: Gap['reason']; detail: string };
  /** `route show table all`, `rule show`, `neigh show` entries, as `ip -j` prints them: the batch then asks for them. */
  routing?: { routes: unknown[]; rules: unknown[]; neighbours: unknown[] };
}

export interface ProcessSpec {
  pid: number;
  netns: number | null;
  comm: string;
  cgroup?: string;
  netnsError?: Gap['reason'];
}

/**
 * A device's MAC unless the test gives one: fixed by its namespace and ifindex, so the same
 * topology built twice is the same devices (identity over time compares MACs), as a real veth
 * keeps its random MAC for its whole life. A test that means a recreated device gives an address.
 */
const macOf = (inode: number, ifindex: number) => {
  const h = (Math.imul(inode >>> 0, 2654435761) ^ Math.imul(ifindex, 40503)) >>> 0;
  return `02:42:${[h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
};

/** The JSON object `ip -d -j link show` prints for the interface (iproute2 6.1 shapes). */
export function linkJson(l: LinkSpec): Record<string, unknown> {
  const loopback = l.ifname === 'lo' && l.ifindex === 1;
  const obj: Record<string, unknown> = { ifindex: l.ifindex };
  if (l.linkIndex !== undefined) obj.link_index = l.linkIndex;
  if (l.link !== undefined) obj.link = l.link;
  obj.ifname = l.ifname;
  obj.flags = loopback ? ['LOOPBACK', 'UP', 'LOWER_UP'] : ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'];
  obj.mtu = l.mtu ?? (loopback ? 65536 : 1500);
  obj.qdisc = 'noqueue';
  if (l.master !== undefined) obj.master = l.master;
  obj.operstate = l.operstate ?? (loopback ? 'UNKNOWN' : 'UP');
  obj.linkmode = 'DEFAULT';
  obj.group = 'default';
  obj.txqlen = 1000;
  obj.link_type = loopback ? 'loopback' : 'ether';
  obj.address = loopback ? '00:00:00:00:00:00' : (l.address ?? '00:00:00:00:00:01');
  obj.broadcast = loopback ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff';
  if (l.linkNetnsid !== undefined) obj.link_netnsid = l.linkNetnsid;
  if (l.alias !== undefined) obj.ifalias = l.alias;
  obj.promiscuity = l.master !== undefined ? 1 : 0;
  obj.min_mtu = 68;
  obj.max_mtu = 65535;
  if (l.kind !== undefined || l.master !== undefined) {
    const linkinfo: Record<string, unknown> = {};
    if (l.kind !== undefined) linkinfo.info_kind = l.kind;
    if (l.kind === 'macvlan') linkinfo.info_data = { mode: 'bridge' };
    if (l.kind === 'bridge') linkinfo.info_data = { forward_delay: 1500, stp_state: 0, vlan_filtering: 0 };
    if (l.master !== undefined) {
      linkinfo.info_slave_kind = 'bridge';
      linkinfo.info_slave_data = { state: 'forwarding', priority: 32, cost: 2 };
    }
    obj.linkinfo = linkinfo;
  }
  obj.inet6_addr_gen_mode = 'eui64';
  obj.num_tx_queues = 1;
  obj.num_rx_queues = 1;
  return obj;
}

function addrJson(l: LinkSpec): Record<string, unknown> {
  const base = linkJson(l);
  const addr_info = (l.addrs ?? []).map((a) => ({ family: a.family, local: a.local, prefixlen: a.prefixlen, scope: 'global', valid_life_time: 4294967295, preferred_life_time: 4294967295 }));
  return { ifindex: base.ifindex, ifname: base.ifname, flags: base.flags, mtu: base.mtu, qdisc: base.qdisc, operstate: base.operstate, group: 'default', txqlen: 1000, link_type: base.link_type, address: base.address, broadcast: base.broadcast, addr_info };
}

function capture(spec: Capture['spec'], argv: string[], stdout: string, stdin: string | null = null): Capture {
  return { spec, argv, stdin, exitCode: 0, stdout, stderr: '', durationMs: 2.5, timedOut: false, failure: null };
}

/**
 * Builds bundles as the collector writes them — raw `ip -d -j -batch -`
 * output per namespace, lsns nsid maps, processes with raw cgroup text —
 * and validates them with the shared schema, so tests exercise the real
 * parsers and correlation.
 */
export class BundleBuilder {
  private readonly namespaces: NamespaceSpec[] = [];
  private readonly processes: ProcessSpec[] = [];
  private readonly maps: { observer: number; entries: { inode: number; nsid: number | null; pid?: number }[] }[] = [];
  private readonly gaps: Gap[] = [];
  readonly snapshotId: string;

  constructor(
    readonly options: { host?: string; takenAt?: string; bootId?: string; tags?: Record<string, string> } = {},
  ) {
    this.snapshotId = uuidv7(Date.parse(options.takenAt ?? '2026-11-29T10:00:00.000Z'));
  }

  get takenAt(): string {
    return this.options.takenAt ?? '2026-11-29T10:00:00.000Z';
  }

  namespace(spec: NamespaceSpec): this {
    this.namespaces.push(spec);
    return this;
  }

  process(p: ProcessSpec): this {
    this.processes.push(p);
    return this;
  }

  /** An `lsns -t net -J -o NS,PID,NETNSID,NSFS` run inside `observer`. */
  lsns(observer: number, entries: { inode: number; nsid: number | null; pid?: number }[]): this {
    this.maps.push({ observer, entries });
    return this;
  }

  gap(g: Gap): this {
    this.gaps.push(g);
    return this;
  }

  build(): Bundle {
    const host = this.namespaces.find((n) => n.host);
    if (!host) throw new Error('a bundle needs a host namespace');
    const handles: Bundle['handles'] = [];
    for (const ns of this.namespaces) {
      for (const name of ns.names ?? []) handles.push({ kind: 'named', path: `/run/netns/${name}`, name, inode: ns.inode, error: null });
      for (const p of ns.binds ?? []) handles.push({ kind: 'bind', path: p, name: null, inode: ns.inode, error: null });
    }
    const gaps = [...this.gaps];
    const namespaces: Bundle['namespaces'] = this.namespaces.map((ns) => {
      const named = ns.names?.[0];
      const pid = this.processes.find((p) => p.netns === ns.inode)?.pid;
      const entered = ns.host
        ? { via: 'self' as const, path: '/proc/self/ns/net', pid: null }
        : named !== undefined
          ? { via: 'file' as const, path: `/run/netns/${named}`, pid: null }
          : pid !== undefined
            ? { via: 'pid' as const, path: `/proc/${pid}/ns/net`, pid }
            : { via: 'file' as const, path: ns.binds?.[0] ?? '/run/netns/unknown', pid: null };
      if (ns.failure) {
        gaps.push({ probe: 'namespace-links', subject: `netns ${ns.inode}`, reason: ns.failure.reason, detail: ns.failure.detail });
        return { inode: ns.inode, isHost: ns.host ?? false, entered: null, attempts: [{ path: entered.path, reason: ns.failure.reason, detail: ns.failure.detail }], captures: [], failure: ns.failure };
      }
      const links = [{ ifindex: 1, ifname: 'lo', addrs: [{ family: 'inet' as const, local: '127.0.0.1', prefixlen: 8 }] }, ...(ns.links ?? []).map((l) => ({ ...l, address: l.address ?? macOf(ns.inode, l.ifindex) }))];
      const stdout = [
        JSON.stringify(links.map(linkJson)),
        JSON.stringify(links.map(addrJson)),
        // Only the host's batch lists its nsids, as the collector's does, unless a test gives a list.
        ...(ns.routing ? [ns.routing.routes, ns.routing.rules, ns.routing.neighbours].map((list) => JSON.stringify(list)) : []),
        ...(ns.host || ns.listId ? [JSON.stringify((ns.listId ?? []).map((e) => (e.name !== undefined ? { nsid: e.nsid, name: e.name } : { nsid: e.nsid })))] : []),
      ].join('\n');
      const batch = ['link show', 'addr show', ...(ns.routing ? ['route show table all', 'rule show', 'neigh show'] : []), ...(ns.host || ns.listId ? ['netns list-id'] : [])];
      const argv = ns.host ? ['ip', '-d', '-j', '-force', '-batch', '-'] : ['nsenter', '--net=/proc/self/fd/3', 'ip', '-d', '-j', '-force', '-batch', '-'];
      return { inode: ns.inode, isHost: ns.host ?? false, entered, attempts: [], captures: [capture('ip_batch_json', argv, `${stdout}\n`, `${batch.join('\n')}\n`)], failure: null };
    });
    const processes: Bundle['processes'] = this.processes.map((p) => ({
      pid: p.pid,
      netns: p.netns,
      netnsError: p.netnsError ?? null,
      comm: p.comm,
      cgroup: p.cgroup ?? '0::/init.scope\n',
      startTime: 1000 + p.pid,
    }));
    const nsidMaps: Bundle['nsidMaps'] = this.maps.map((m) => ({
      observer: m.observer,
      why: m.observer === host.inode ? 'host map' : 'ambiguous veth pairs',
      capture: capture(
        'lsns_net_json',
        ['lsns', '-t', 'net', '-J', '-o', 'NS,PID,NETNSID,NSFS'],
        JSON.stringify({ namespaces: m.entries.map((e) => ({ ns: e.inode, pid: e.pid ?? null, netnsid: e.nsid === null ? 'unassigned' : String(e.nsid), nsfs: null })) }, null, 3),
      ),
    }));
    const start = this.takenAt;
    const bundle = {
      schemaVersion: 1,
      snapshotId: this.snapshotId,
      takenAt: { start, end: new Date(Date.parse(start) + 180).toISOString() },
      collector: { name: 'nsnap-collect', version: '0.1.0', mode: 'live', sources: [] },
      tags: this.options.tags ?? {},
      host: {
        label: this.options.host ?? 'node-1',
        hostname: this.options.host ?? 'node-1',
        machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4',
        bootId: this.options.bootId ?? '77d9ea14-aaf3-499b-97a5-298c8b4a3794',
        kernelRelease: '6.1.0-18-amd64',
        iproute2Version: '6.1.0',
        root: true,
        uid: 0,
      },
      hostNetns: { inode: host.inode, error: null },
      processes,
      handles,
      namespaces,
      nsidMaps,
      probes: [{ name: 'proc-scan', ok: true, durationMs: 12.5, error: null }],
      gaps,
    };
    return BundleSchema.parse(bundle);
  }
}

/** Writes a bundle where the collector would: `<dir>/host=…/date=…/<stamp>_<id>.json.gz`; returns the path. */
export function writeBundle(dir: string, bundle: Bundle, options: { gzip?: boolean } = {}): string {
  const key = bundleKey({ host: bundle.host.label, takenAt: bundle.takenAt.start, snapshotId: bundle.snapshotId });
  const gzip = options.gzip ?? true;
  const file = path.join(dir, gzip ? key : key.replace(/\.gz$/, ''));
  mkdirSync(path.dirname(file), { recursive: true });
  const json = JSON.stringify(bundle);
  writeFileSync(file, gzip ? gzipSync(json) : json);
  return file;
}
