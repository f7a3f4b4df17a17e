/**
 * The table catalogue: one description of every table the lake holds (`nsnap export`), from which
 * the Parquet schema (parquet-schema.ts) and the table docs (docs.ts, in docs/fleet.md) are derived,
 * and against which a test checks the SQLite layer the export reads (catalogue.test.ts).
 *
 * Keys are natural, usable outside one database: a snapshot is its `snapshot_id`; a namespace is
 * its `netns` inode within one boot (`boot_id`) of one host (the `host` partition); an interface is
 * (`netns`, `ifindex`) within a snapshot. Names follow the `--json` answers and docs/schema.md.
 * `host` and `date` are not stored in the files: they are the Hive partition columns of the path
 * `<table>/host=<host>/date=<YYYY-MM-DD>/<snapshot_id>.parquet`.
 */

export type Scalar = 'string' | 'int32' | 'int64' | 'bool' | 'double' | 'timestamp';

/** A struct field inside a list column. */
export interface Field {
  type: Scalar;
  nullable: boolean;
}

export type ColumnType = Scalar | { list: Scalar } | { list: { struct: Record<string, Field> } };

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
  doc: string;
  /** The column of today's SQLite schema (docs/schema.md) the value is read from, when it is one column. */
  sqlite?: { table: string; column: string };
}

export interface Table {
  name: TableName;
  doc: string;
  /** Columns that identify a row within one snapshot's file, also the order rows are written in. */
  key: string[];
  columns: Column[];
}

export const TABLE_NAMES = ['snapshots', 'namespaces', 'processes', 'containers', 'interfaces', 'veth_pairs', 'unpaired_veths', 'lowers', 'gaps'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** Bumped when a column is added, removed or changes meaning; written into every file's metadata. */
export const CATALOGUE_VERSION = 1;

const col = (name: string, type: ColumnType, nullable: boolean, doc: string, sqlite?: string): Column => {
  const c: Column = { name, type, nullable, doc };
  if (sqlite !== undefined) {
    const [table, column] = sqlite.split('.') as [string, string];
    c.sqlite = { table, column };
  }
  return c;
};

/** Every per-snapshot table starts with these: the snapshot, its time and its boot (a netns inode is unique within one boot). */
const SNAPSHOT_KEY: Column[] = [
  col('snapshot_id', 'string', false, 'The snapshot (UUIDv7) the row belongs to.', 'snapshots.snapshot_id'),
  col('taken_at', 'timestamp', false, 'When the snapshot started (UTC, milliseconds).', 'snapshots.taken_at'),
  col('boot_id', 'string', true, 'The host boot the snapshot was taken in: netns inodes are unique only within one boot.', 'snapshots.boot_id'),
];

const END = { netns: { type: 'int64', nullable: false }, ifindex: { type: 'int32', nullable: false }, ifname: { type: 'string', nullable: false } } satisfies Record<string, Field>;

export const CATALOGUE: readonly Table[] = [
  {
    name: 'snapshots',
    doc: 'One row per snapshot: who took it, when, on which boot and kernel.',
    key: ['snapshot_id'],
    columns: [
      ...SNAPSHOT_KEY,
      col('taken_end', 'timestamp', false, 'When the collector finished.', 'snapshots.taken_end'),
      col('hostname', 'string', false, 'The kernel hostname (the `host` partition is the sanitized label).', 'snapshots.hostname'),
      col('machine_id', 'string', true, '/etc/machine-id.', 'snapshots.machine_id'),
      col('kernel_release', 'string', true, 'uname -r.', 'snapshots.kernel_release'),
      col('iproute2_version', 'string', true, 'ip -V.', 'snapshots.iproute2_version'),
      col('root', 'bool', false, 'Whether the collector ran as root.', 'snapshots.root'),
      col('uid', 'int64', false, 'The collector\'s uid.', 'snapshots.uid'),
      col('host_netns', 'int64', true, 'Inode of the host\'s network namespace.', 'snapshots.host_netns'),
      col('host_netns_error', 'string', true, 'Why the host namespace could not be read.', 'snapshots.host_netns_error'),
      col('tags', { list: { struct: { key: { type: 'string', nullable: false }, value: { type: 'string', nullable: false } } } }, false, 'The --tag KEY=VALUE pairs, by key.', 'snapshot_tags.key'),
      col('collector_name', 'string', false, 'The collector\'s name.', 'snapshots.collector_name'),
      col('collector_version', 'string', false, 'Its version.', 'snapshots.collector_version'),
      col('collector_mode', 'string', false, 'live or import.', 'snapshots.collector_mode'),
      col('content_sha256', 'string', false, 'sha256 of the bundle\'s JSON: its content identity.', 'snapshots.content_sha256'),
      col('json_bytes', 'int64', false, 'Size of the bundle\'s JSON.', 'snapshots.json_bytes'),
    ],
  },
  {
    name: 'namespaces',
    doc: 'Every network namespace a snapshot found, with the names and mounts that keep it.',
    key: ['netns'],
    columns: [
      ...SNAPSHOT_KEY,
      col('netns', 'int64', false, 'The namespace inode (`net:[N]`).', 'namespaces.inode'),
      col('is_host', 'bool', false, 'The host\'s own namespace.', 'namespaces.is_host'),
      col('captured', 'bool', false, 'Its links were dumped.', 'namespaces.captured'),
      col('problem', 'string', true, 'Why its links are unknown, when not captured.', 'namespaces.problem'),
      col('entered_via', 'string', true, 'self, pid or file: how the collector entered it.', 'namespaces.entered_via'),
      col('entered_path', 'string', true, 'The handle it entered through.', 'namespaces.entered_path'),
      col('names', { list: 'string' }, false, '`ip netns` names (/run/netns), sorted.', 'handles.name'),
      col('mounts', { list: 'string' }, false, 'Bind and nsfs mounts that keep it, sorted.', 'handles.path'),
    ],
  },
  {
    name: 'processes',
    doc: 'Every process and the namespace it is in (owners of namespaces), with its container.',
    key: ['pid'],
    columns: [
      ...SNAPSHOT_KEY,
      col('pid', 'int32', false, 'The pid (reused: `start_time` tells two apart).', 'processes.pid'),
      col('netns', 'int64', true, 'Its namespace inode; null when unreadable.', 'processes.netns'),
      col('netns_error', 'string', true, 'Why /proc/PID/ns/net was unreadable.', 'processes.netns_error'),
      col('comm', 'string', true, '/proc/PID/comm.', 'processes.comm'),
      col('start_time', 'int64', true, 'Clock ticks since boot (field 22 of /proc/PID/stat).', 'processes.start_time'),
      col('runtime', 'string', true, 'The container runtime its cgroup names.', 'containers.runtime'),
      col('container_id', 'string', true, 'The container its cgroup names.', 'containers.container_id'),
    ],
  },
  {
    name: 'containers',
    doc: 'Containers (and pods, by `pod_uid`) recognized from the cgroups of the processes in each namespace.',
    key: ['netns', 'runtime', 'container_id'],
    columns: [
      ...SNAPSHOT_KEY,
      col('netns', 'int64', true, 'The namespace its processes are in.', 'containers.netns'),
      col('runtime', 'string', false, 'docker, containerd, cri-o, podman, systemd-nspawn or lxc.', 'containers.runtime'),
      col('container_id', 'string', false, 'The runtime\'s container id.', 'containers.container_id'),
      col('pod_uid', 'string', true, 'The Kubernetes pod UID, for CRI runtimes.', 'containers.pod_uid'),
      col('cgroup_version', 'int32', false, '1 or 2.', 'containers.cgroup_version'),
    ],
  },
  {
    name: 'interfaces',
    doc: 'Every network interface of every captured namespace, with its addresses.',
    key: ['netns', 'ifindex'],
    columns: [
      ...SNAPSHOT_KEY,
      col('netns', 'int64', false, 'The namespace inode.', 'interfaces.netns'),
      col('ifindex', 'int32', false, 'The ifindex (unique within the namespace only).', 'interfaces.ifindex'),
      col('ifname', 'string', false, 'The name; a byte that is not UTF-8 is written \\xNN, a backslash \\\\ (as in SQLite).', 'interfaces.ifname'),
      col('kind', 'string', true, 'veth, bridge, macvlan… (null when the source did not say).', 'interfaces.kind'),
      col('slave_kind', 'string', true, 'bridge on bridge ports, bond on bond slaves.', 'interfaces.slave_kind'),
      col('master', 'string', true, 'Its master device, in the same namespace.', 'interfaces.master'),
      col('link_index', 'int32', true, 'The peer or lower device\'s ifindex (`@ifN`).', 'interfaces.link_index'),
      col('link_netnsid', 'int32', true, 'The nsid of the namespace link_index is in, as this namespace calls it.', 'interfaces.link_netnsid'),
      col('link_name', 'string', true, 'The peer or lower device, when in the same namespace.', 'interfaces.link_name'),
      col('link_netns_name', 'string', true, 'The named peer namespace (text form).', 'interfaces.link_netns_name'),
      col('mtu', 'int32', true, 'MTU.', 'interfaces.mtu'),
      col('operstate', 'string', true, 'UP, DOWN, UNKNOWN, LOWERLAYERDOWN…', 'interfaces.operstate'),
      col('flags', { list: 'string' }, false, 'Link flags (UP, LOWER_UP…).', 'interfaces.flags'),
      col('address', 'string', true, 'The link-layer (MAC) address.', 'interfaces.address'),
      col('link_type', 'string', true, 'ether, loopback, none…', 'interfaces.link_type'),
      col('alias', 'string', true, 'ifalias (set by root in any container: untrusted text).', 'interfaces.alias'),
      col('altnames', { list: 'string' }, false, 'Alternative names.', 'interfaces.altnames'),
      col('underlay_ifindex', 'int32', true, 'A vxlan/geneve underlay given by ifindex.', 'interfaces.underlay'),
      col('underlay_name', 'string', true, 'A vxlan/geneve underlay given by name.', 'interfaces.underlay'),
      col('addresses', { list: { struct: { family: { type: 'string', nullable: false }, local: { type: 'string', nullable: false }, prefixlen: { type: 'int32', nullable: false } } } }, false, 'IP addresses: family (inet, inet6), local, prefixlen.', 'interfaces.addresses'),
    ],
  },
  {
    name: 'veth_pairs',
    doc: 'veth pairs the correlator proved, one row per pair, with how it was proved.',
    key: ['a_netns', 'a_ifindex'],
    columns: [
      ...SNAPSHOT_KEY,
      col('method', 'string', false, 'same-netns, nsid-map, unique-candidate or nsid-consistency.', 'links.method'),
      col('a_netns', 'int64', false, 'One end\'s namespace.', 'interfaces.netns'),
      col('a_ifindex', 'int32', false, 'Its ifindex.', 'interfaces.ifindex'),
      col('a_ifname', 'string', false, 'Its name.', 'interfaces.ifname'),
      col('b_netns', 'int64', false, 'The other end\'s namespace.', 'interfaces.netns'),
      col('b_ifindex', 'int32', false, 'Its ifindex.', 'interfaces.ifindex'),
      col('b_ifname', 'string', false, 'Its name.', 'interfaces.ifname'),
    ],
  },
  {
    name: 'unpaired_veths',
    doc: 'veth ends without a proven peer, with the reason (docs/correlation.md) and the candidates.',
    key: ['netns', 'ifindex'],
    columns: [
      ...SNAPSHOT_KEY,
      col('netns', 'int64', false, 'The end\'s namespace.', 'interfaces.netns'),
      col('ifindex', 'int32', false, 'Its ifindex.', 'interfaces.ifindex'),
      col('ifname', 'string', false, 'Its name.', 'interfaces.ifname'),
      col('reason', 'string', false, 'ambiguous, unconfirmed, unseen-peer, unreadable-peer, dangling or no-peer-index.', 'links.status'),
      col('detail', 'string', true, 'Why, in words.', 'links.detail'),
      col('candidates', { list: { struct: END } }, false, 'The ends it could be paired with (ambiguous, unconfirmed), by netns and ifindex.', 'link_candidates.interface'),
    ],
  },
  {
    name: 'lowers',
    doc: 'Devices whose lower (macvlan, vlan, vxlan underlay…) or master is resolved to another device, maybe in another namespace.',
    key: ['relation', 'netns', 'ifindex'],
    columns: [
      ...SNAPSHOT_KEY,
      col('relation', 'string', false, 'lower or master.', 'links.relation'),
      col('netns', 'int64', false, 'The device\'s namespace.', 'interfaces.netns'),
      col('ifindex', 'int32', false, 'Its ifindex.', 'interfaces.ifindex'),
      col('ifname', 'string', false, 'Its name.', 'interfaces.ifname'),
      col('status', 'string', false, 'resolved or unresolved.', 'links.status'),
      col('method', 'string', true, 'How the target was found.', 'links.method'),
      col('detail', 'string', true, 'Why it is unresolved.', 'links.detail'),
      col('target_netns', 'int64', true, 'The lower or master device\'s namespace.', 'interfaces.netns'),
      col('target_ifindex', 'int32', true, 'Its ifindex.', 'interfaces.ifindex'),
      col('target_ifname', 'string', true, 'Its name.', 'interfaces.ifname'),
    ],
  },
  {
    name: 'gaps',
    doc: 'What could not be captured (collector) or read (ingest): every answer from a snapshot is as good as its gaps allow.',
    key: ['source', 'probe', 'subject', 'reason', 'detail'],
    columns: [
      ...SNAPSHOT_KEY,
      col('source', 'string', false, 'collector or ingest.', 'gaps.source'),
      col('probe', 'string', false, 'The probe or stage.', 'gaps.probe'),
      col('subject', 'string', false, 'What it is about (a namespace, a pid…).', 'gaps.subject'),
      col('reason', 'string', false, 'denied, timeout, failed, gone…', 'gaps.reason'),
      col('detail', 'string', false, 'In words.', 'gaps.detail'),
    ],
  },
];

export function tableOf(name: TableName): Table {
  const t = CATALOGUE.find((x) => x.name === name);
  if (!t) throw new Error(`no table ${name} in the catalogue`);
  return t;
}
