import type { Database } from 'better-sqlite3';
import { UsageError, quote } from '../errors.js';
import type { CaptureAnswer, CaptureCommand, CaptureDevice, PidCheck } from '../answer/capture.js';
import type { Owners } from '../answer/common.js';
import { ANSWER_VERSIONS } from '../answer/version.js';
import { label } from './diff-snapshots.js';
import { selectSnapshot, type Selection } from './select.js';
import { shellCommand } from './shell-command.js';
import { dbName, decodeRow, OwnerReader, WHOIS_SQL, type IfRow } from './whois.js';

/** What `capture WHAT` names: a device by its name, or the namespace of a container or pod. */
export type CaptureTarget = { kind: 'interface'; name: string } | { kind: 'container'; prefix: string } | { kind: 'pod'; uid: string };

const IFNAME = /^[^\s/:]{1,64}$/;
const CONTAINER = /^[0-9a-zA-Z_.-]{1,128}$/;
const POD_UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A bare word is tried as everything it can be: an interface name, a container id prefix (hex, 4+), a pod uid. */
export function parseCaptureTarget(what: string): CaptureTarget[] {
  const bad = () => new UsageError(`capture ${quote(what)}: expected an interface name, a container id (prefix), a pod uid, or one of if:NAME, container:ID, pod:UID`);
  const explicit = /^(if|interface|container|pod):(.*)$/s.exec(what);
  if (explicit) {
    const [, kind, rest = ''] = explicit;
    if (kind === 'pod') {
      if (!POD_UID.test(rest.toLowerCase())) throw bad();
      return [{ kind: 'pod', uid: rest.toLowerCase() }];
    }
    if (kind === 'container') {
      if (!CONTAINER.test(rest)) throw bad();
      return [{ kind: 'container', prefix: rest }];
    }
    if (!IFNAME.test(rest)) throw bad();
    return [{ kind: 'interface', name: rest }];
  }
  if (POD_UID.test(what.toLowerCase())) return [{ kind: 'pod', uid: what.toLowerCase() }];
  if (!IFNAME.test(what)) throw bad();
  const out: CaptureTarget[] = [{ kind: 'interface', name: what }];
  if (/^[0-9a-f]{4,64}$/.test(what)) out.push({ kind: 'container', prefix: what });
  return out;
}

const TCPDUMP = (ifname: string) => ['tcpdump', '-i', ifname, '-nn'];

export const CAPTURE_SQL = {
  podNetns: 'SELECT DISTINCT netns FROM containers WHERE snapshot = ? AND pod_uid = ? AND netns IS NOT NULL ORDER BY netns',
  namedNetns: "SELECT DISTINCT netns FROM handles WHERE snapshot = ? AND kind = 'named' AND name = ? AND netns IS NOT NULL",
  hostNetns: 'SELECT inode FROM namespaces WHERE snapshot = ? AND is_host = 1',
} as const;

const prefixRange = (p: string) => ({ lo: p, hi: p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1) });

/** The namespace's oldest process: a container's init or a pod's pause outlives the others, so its pid is the least likely to be reused. */
function stableProcess(o: Owners): Owners['processes'][number] | null {
  let best: Owners['processes'][number] | null = null;
  for (const p of o.processes) {
    if (!best) best = p;
    else if (p.startTime !== null && (best.startTime === null || p.startTime < best.startTime || (p.startTime === best.startTime && p.pid < best.pid))) best = p;
  }
  return best;
}

/**
 * The commands that capture on one device: the way into its namespace, then
 * tcpdump. The ways, best first: none for the host; `ip netns exec` for a
 * named one (the name cannot be reused by another namespace while it exists);
 * nsenter through the oldest process, with how to check that its pid was not
 * reused since; nsenter through a bind mount.
 */
function commandFor(device: { netns: number; ifname: string; ifindex: number }, o: Owners, on: CaptureCommand['on'], bootId: string | null): CaptureCommand {
  const base = { on, device: { netns: device.netns, ifname: device.ifname, ifindex: device.ifindex, host: o.host } };
  const tool = TCPDUMP(device.ifname);
  const roles = (offset: number): Record<number, string> => ({ [offset + 2]: 'the device name' });
  const done = (via: CaptureCommand['via'], argv: string[], rolesOf: Record<number, string>, verify: PidCheck | null = null): CaptureCommand => {
    const shell = shellCommand(argv, rolesOf);
    return 'refused' in shell ? { ...base, via, argv: null, shell: null, refused: shell.refused, verify: null } : { ...base, via, argv, shell: shell.text, refused: null, verify };
  };
  if (o.host) return done('host', tool, roles(0));
  // A name with a leading '-' would read as an option of `ip netns`; such a name, or one that cannot be quoted, leaves the other ways.
  const name = o.names.find((n) => !n.startsWith('-') && !('refused' in shellCommand([n])));
  if (name !== undefined) return done('named-netns', ['ip', 'netns', 'exec', name, ...tool], { 3: 'the namespace name', ...roles(4) });
  const p = stableProcess(o);
  if (p) {
    const checks = [{ argv: ['readlink', `/proc/${p.pid}/ns/net`], shell: `readlink /proc/${p.pid}/ns/net`, expect: `net:[${device.netns}]` }];
    // Field 22 counted after the last ") ": comm (field 2) may hold spaces and parentheses.
    if (p.startTime !== null) checks.push({ argv: ['sh', '-c', `sed 's/.*) //' /proc/${p.pid}/stat | cut -d' ' -f20`], shell: `sed 's/.*) //' /proc/${p.pid}/stat | cut -d' ' -f20`, expect: String(p.startTime) });
    if (bootId !== null) checks.push({ argv: ['cat', '/proc/sys/kernel/random/boot_id'], shell: 'cat /proc/sys/kernel/random/boot_id', expect: bootId });
    return done('pid', ['nsenter', `--net=/proc/${p.pid}/ns/net`, ...tool], roles(2), { pid: p.pid, comm: p.comm, startTime: p.startTime, bootId, checks });
  }
  const mount = o.mounts[0];
  if (mount !== undefined) return done('mount', ['nsenter', `--net=${mount}`, ...tool], { 1: 'the mount path', ...roles(2) });
  return { ...base, via: 'pid', argv: null, shell: null, refused: 'no process, name or mount led into its namespace at the snapshot', verify: null };
}

const deviceOf = (i: IfRow, o: Owners): CaptureDevice => ({ netns: i.netns, ifname: i.ifname, ifindex: i.ifindex, kind: i.kind, host: o.host, names: o.names, processes: o.processes.map((p) => ({ pid: p.pid, comm: p.comm })), containers: o.containers });

/**
 * The command that captures packets on the device WHAT names, as of one
 * snapshot (the latest by default): on the device itself and, for a veth
 * with a proven peer, on the peer. Several devices are an ambiguous answer
 * with all of them, never one picked; `netns` (an inode or a named-netns
 * name) narrows a device name to one namespace.
 */
export function captureCommand(db: Database, what: string, options: Selection & { netns: string | null; now?: Date }): CaptureAnswer {
  const targets = parseCaptureTarget(what);
  const snap = selectSnapshot(db, options);
  const now = options.now ?? new Date();
  const reader = new OwnerReader(db).at(snap.row);
  const answer = (rest: Omit<CaptureAnswer, 'answerVersion' | 'query' | 'snapshot'>): CaptureAnswer => ({
    answerVersion: ANSWER_VERSIONS.capture,
    query: what,
    snapshot: { ...label(snap), ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(snap.takenAt)) / 1000)) },
    ...rest,
  });
  let netnsFilter: Set<number> | null = null;
  if (options.netns !== null) {
    const n = /^\d{1,12}$/.test(options.netns)
      ? [Number(options.netns)]
      : (db.prepare(options.netns === 'host' ? CAPTURE_SQL.hostNetns : CAPTURE_SQL.namedNetns).pluck().all(snap.row, ...(options.netns === 'host' ? [] : [options.netns])) as number[]);
    if (n.length === 0) throw new UsageError(`--netns ${quote(options.netns)}: no namespace of that inode or name in snapshot ${snap.id}`);
    netnsFilter = new Set(n);
  }
  const devices = new Map<number, IfRow>();
  const namespaces = new Set<number>();
  for (const t of targets) {
    if (t.kind === 'interface') {
      for (const r of db.prepare(WHOIS_SQL.interfaceByName).all(dbName(t.name), snap.row) as IfRow[]) devices.set(r.id, decodeRow(r));
    } else if (t.kind === 'container') {
      for (const n of db.prepare(WHOIS_SQL.containerPrefix).pluck().all({ snapshot: snap.row, ...prefixRange(t.prefix) }) as number[]) namespaces.add(n);
    } else {
      for (const n of db.prepare(CAPTURE_SQL.podNetns).pluck().all(snap.row, t.uid) as number[]) namespaces.add(n);
    }
  }
  // A container or pod names a namespace: its device is the one that is not loopback.
  const unusable: string[] = [];
  for (const netns of namespaces) {
    const own = (db.prepare(WHOIS_SQL.interfacesOfNetns).all(snap.row, netns) as IfRow[]).map(decodeRow).filter((i) => i.ifname !== 'lo');
    const o = reader.owners(netns);
    if (o.host) unusable.push(`it shares the host's namespace: name the host device to capture on`);
    else if (!o.captured) unusable.push(`its namespace ${netns} was not captured${o.problem ? ` (${o.problem})` : ''}`);
    else if (own.length === 0) unusable.push(`its namespace ${netns} has no device but lo`);
    for (const i of o.host ? [] : own) devices.set(i.id, i);
  }
  const found = [...devices.values()].filter((i) => netnsFilter === null || netnsFilter.has(i.netns)).sort((a, b) => a.netns - b.netns || a.ifindex - b.ifindex);
  const candidates = found.map((i) => deviceOf(i, reader.owners(i.netns)));
  if (found.length === 0) {
    const reason = unusable[0] ?? `nothing in snapshot ${snap.id} is ${targets.map((t) => (t.kind === 'interface' ? 'a device of that name' : t.kind === 'container' ? 'a container id starting so' : 'a pod of that uid')).join(', or ')}${netnsFilter ? ' in that namespace' : ''}`;
    return answer({ status: 'unknown', reason, device: null, commands: [], candidates: [] });
  }
  if (found.length > 1) {
    return answer({ status: 'ambiguous', reason: `${found.length} devices match: name one (if:NAME) and its namespace (--netns INODE|NAME)`, device: null, commands: [], candidates });
  }
  const i = found[0] as IfRow;
  const o = reader.owners(i.netns);
  const commands = [commandFor(i, o, 'device', snap.bootId)];
  const peer = reader.brief(i).peer;
  if (peer) commands.push(commandFor(peer, reader.owners(peer.netns), 'peer', snap.bootId));
  const ok = commands.some((c) => c.refused === null);
  return answer({
    status: ok ? 'ok' : 'refused',
    reason: ok ? null : commands.map((c) => `${c.on === 'peer' ? 'on the peer: ' : ''}${c.refused}`).join('; '),
    device: deviceOf(i, o),
    commands,
    candidates: [],
  });
}
