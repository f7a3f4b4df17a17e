import { fromDbText, toDbText } from '@nsnap/shared/core';
import type { Database, Statement } from 'better-sqlite3';
import { hasOwnMac, judgeSameInode } from '../diff/identity.js';
import type { NamespaceState } from '../diff/state.js';
import { UsageError, quote } from '../errors.js';
import type { ContainerView, Owners } from '../answer/common.js';
import type { InterfaceBrief, NamedLookup, PeerView, WhoisAllAnswer, WhoisAnswer, WhoisMatch } from '../answer/whois.js';
import { ANSWER_VERSIONS } from '../answer/version.js';
import { label } from './diff-snapshots.js';
import { addressMatches, whoisAddressAll } from './whois-address.js';
import { nameHistory, type NameRow } from './whois-history.js';
import { LOOKS_LIKE_ADDRESS, parseAddressQuery, type AddressQuery } from './ip-address.js';
import { RuntimeNames } from './runtime-names.js';
import { RANGE_SQL, forgottenWithin, resolveHost, selectSnapshot, type SnapshotRef } from './select.js';

/**
 * What `whois WHAT` asks about. A bare hex word may be an interface name or a container id: both are tried.
 * An interface name or a container id is also tried as a container name, `namespace/name` is a pod.
 */
export type WhoisQuery = { kind: 'address'; address: AddressQuery } | { kind: 'interface'; name: string } | { kind: 'pid'; pid: number } | { kind: 'netns'; inode: number } | { kind: 'container'; prefix: string } | { kind: 'pod'; namespace: string; name: string };

/** Docker and podman names, CRI container names: what a container name lookup accepts. */
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
/** A Kubernetes namespace (a DNS label) / pod name (a DNS subdomain). */
const POD_NAME = /^([a-z0-9][-a-z0-9]{0,62})\/([a-z0-9][-a-z0-9.]{0,252})$/;

/** Above the largest pid_max (2^22): a number this big is a namespace inode. */
const PID_MAX = 4_194_304;
const IFNAME = /^[^\s/:]{1,64}$/;

export function parseWhat(what: string): WhoisQuery[] {
  const t = what.trim();
  const explicit = /^(if|interface|pid|netns|net|container|pod):(.*)$/.exec(t);
  const bad = () => new UsageError(`whois ${quote(what)}: expected an interface name, an IPv4 or IPv6 address (with or without /LEN), a pid, a netns inode (net:[N] or a number above ${PID_MAX}), a container id prefix or name, a pod as NAMESPACE/NAME, or one of if:NAME, pid:N, netns:N, container:ID-OR-NAME, pod:NAMESPACE/NAME`);
  const pod = (text: string): WhoisQuery | null => {
    const m = POD_NAME.exec(text);
    return m ? { kind: 'pod', namespace: m[1]!, name: m[2]! } : null;
  };
  if (explicit) {
    const [, kind, rest = ''] = explicit;
    if (kind === 'pod') {
      const q = pod(rest);
      if (!q) throw bad();
      return [q];
    }
    if (kind === 'if' || kind === 'interface') {
      if (!IFNAME.test(rest)) throw bad();
      return [{ kind: 'interface', name: rest }];
    }
    if (kind === 'container') {
      if (!/^[0-9a-zA-Z_.-]{1,128}$/.test(rest)) throw bad();
      return [{ kind: 'container', prefix: rest }];
    }
    const n = /^\[?(\d{1,12})\]?$/.exec(rest);
    if (!n) throw bad();
    return [kind === 'pid' ? { kind: 'pid', pid: Number(n[1]) } : { kind: 'netns', inode: Number(n[1]) }];
  }
  if (LOOKS_LIKE_ADDRESS.test(t)) {
    const a = parseAddressQuery(t);
    if ('error' in a) throw new UsageError(`whois ${quote(what)}: ${a.error}${IFNAME.test(t) ? ` (if:${t} asks for an interface of that name)` : ''}`);
    // A dotted quad is also a valid interface name: both are tried, as for a hex word.
    return IFNAME.test(t) ? [{ kind: 'address', address: a }, { kind: 'interface', name: t }] : [{ kind: 'address', address: a }];
  }
  if (/^\d{1,12}$/.test(t)) {
    const n = Number(t);
    return [n > PID_MAX ? { kind: 'netns', inode: n } : { kind: 'pid', pid: n }];
  }
  const podQuery = pod(t);
  if (podQuery) return [podQuery];
  if (!IFNAME.test(t)) throw bad();
  const out: WhoisQuery[] = [{ kind: 'interface', name: t }];
  if (/^[0-9a-f]{4,64}$/.test(t)) out.push({ kind: 'container', prefix: t });
  return out;
}

/** SQL of whois, exported so tests can check their query plans. */
export const WHOIS_SQL = {
    // No ORDER BY: sorting here could tempt the planner into the (snapshot, netns, ifindex) index, a walk of the whole snapshot.
  interfaceByName: 'SELECT id, netns, ifindex, ifname, kind, master, mtu, operstate FROM interfaces WHERE ifname = ? AND snapshot = ?',
  /** One period's device in its last snapshot: by namespace too, as thousands of namespaces may share the name. */
  interfaceInNetns: 'SELECT id, netns, ifindex, ifname, kind, master, mtu, operstate FROM interfaces WHERE snapshot = ? AND netns = ? AND ifname = ?',
  interfacesOfNetns: 'SELECT id, netns, ifindex, ifname, kind, master, mtu, operstate FROM interfaces WHERE snapshot = ? AND netns = ? ORDER BY ifindex',
  vethOf: `SELECT status, detail, b AS other FROM links WHERE a = @id AND snapshot = @snapshot AND relation = 'veth'
    UNION ALL SELECT status, detail, a AS other FROM links WHERE b = @id AND snapshot = @snapshot AND relation = 'veth'`,
  lowerOf: "SELECT b AS other, method, detail FROM links WHERE a = ? AND snapshot = ? AND relation = 'lower'",
  interfaceById: 'SELECT id, netns, ifindex, ifname, kind, master, mtu, operstate FROM interfaces WHERE id = ? AND snapshot = ?',
  namespace: 'SELECT is_host AS isHost, captured, problem FROM namespaces WHERE snapshot = ? AND inode = ?',
  processes: 'SELECT pid, comm, start_time AS startTime FROM processes WHERE snapshot = ? AND netns = ? ORDER BY pid',
  handles: 'SELECT kind, path, name FROM handles WHERE snapshot = ? AND netns = ?',
  containers: 'SELECT runtime, container_id AS id, pod_uid AS podUid FROM containers WHERE snapshot = ? AND netns = ? ORDER BY runtime, container_id',
  pid: 'SELECT netns, netns_error AS netnsError FROM processes WHERE snapshot = ? AND pid = ?',
  containerPrefix: 'SELECT DISTINCT netns FROM containers WHERE snapshot = @snapshot AND container_id >= @lo AND container_id < @hi AND netns IS NOT NULL ORDER BY netns',
  /**
   * Other snapshots of the host holding the name: the rows with the name first (by the ifname index), then
   * the snapshots each holds at; \`+\` keeps the planner from walking every snapshot of the host instead.
   */
  seenElsewhere: `SELECT count(DISTINCT i.snapshot) FROM interfaces i JOIN snapshots s ON s.id = i.snapshot
    WHERE i.ifname = @name AND +s.host = (SELECT host FROM snapshots WHERE id = @snapshot) AND i.snapshot <> @snapshot`,
  /** What identifies a device for `judgeSameInode`: ifindex and MAC address. */
  devicesOfNetns: 'SELECT ifindex, ifname, kind, address FROM interfaces WHERE snapshot = ? AND netns = ? ORDER BY ifindex',
  /** A snapshot that did not capture a namespace's devices. */
  uncaptured: 'SELECT captured FROM namespaces WHERE snapshot = ? AND inode = ?',
  /** A snapshot where a process of the namespace (same pid and start time) ran but its namespace could not be read. */
  hiddenProcess: `SELECT 1 FROM processes p WHERE p.snapshot = @at AND p.netns IS NULL AND EXISTS
    (SELECT 1 FROM processes q WHERE q.snapshot = @before AND q.netns = @netns AND q.pid = p.pid AND q.start_time IS p.start_time) LIMIT 1`,
} as const;

export type IfRow = { id: number; netns: number; ifindex: number; ifname: string; kind: string | null; master: string | null; mtu: number | null; operstate: string | null };

/** Names as the database keeps them (`toDbText`) back to names. */
export const decodeRow = (r: IfRow): IfRow => ({ ...r, ifname: fromDbText(r.ifname), master: r.master === null ? null : fromDbText(r.master) });
/** A name typed as the text output shows it (a byte that is not UTF-8 as \xNN, a backslash as \\) or as it is, in its database form. */
export const dbName = (typed: string): string => toDbText(fromDbText(typed));

/** Reads owners and peers of single namespaces and interfaces through the (snapshot, netns) indexes. */
export class OwnerReader {
  private readonly cache = new Map<number, Owners>();
  private readonly statements = new Map<string, Statement>();
  private row = 0;
  private readonly names: RuntimeNames;
  constructor(private readonly db: Database) {
    this.names = new RuntimeNames(db);
  }

  /** Reads from this snapshot from now on. */
  at(row: number): this {
    if (row !== this.row) this.cache.clear();
    this.row = row;
    return this;
  }

  /** Statements are prepared once: `--all` reads hundreds of periods. */
  private st(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  owners(netns: number): Owners {
    const hit = this.cache.get(netns);
    if (hit) return hit;
    const ns = this.st(WHOIS_SQL.namespace).get(this.row, netns) as { isHost: number; captured: number; problem: string | null } | undefined;
    const host = ns?.isHost === 1;
    const processes = host ? [] : (this.st(WHOIS_SQL.processes).all(this.row, netns) as Owners['processes']);
    const handles = this.st(WHOIS_SQL.handles).all(this.row, netns) as { kind: string; path: string; name: string | null }[];
    const o: Owners = {
      netns,
      host,
      captured: ns?.captured === 1,
      problem: ns?.problem ?? null,
      names: [...new Set(handles.filter((h) => h.kind === 'named' && h.name !== null).map((h) => h.name as string))].sort(),
      mounts: [...new Set(handles.filter((h) => h.kind !== 'named').map((h) => h.path))].sort(),
      pids: processes.map((p) => p.pid),
      processes,
      containers: this.names.at(this.row).name(this.st(WHOIS_SQL.containers).all(this.row, netns) as ContainerView[]),
    };
    this.cache.set(netns, o);
    return o;
  }

  /** The namespace as `judgeSameInode` sees it: owners, and devices by ifindex and MAC address. */
  state(netns: number): NamespaceState {
    const o = this.owners(netns);
    const devices = this.st(WHOIS_SQL.devicesOfNetns).all(this.row, netns) as { ifindex: number; ifname: string; kind: string | null; address: string | null }[];
    return {
      netns,
      isHost: o.host,
      names: o.names,
      handles: o.mounts,
      containers: o.containers.map((c) => c.id),
      processes: o.host ? [] : (this.st(WHOIS_SQL.processes).all(this.row, netns) as NamespaceState['processes']),
      captured: o.captured,
      interfaces: devices.map((d) => ({ ...d, mtu: null, operstate: null, master: null, alias: null, flags: [], addresses: [] })),
    };
  }

  brief(i: IfRow): InterfaceBrief {
    const link = this.st(WHOIS_SQL.vethOf).get({ id: i.id, snapshot: this.row }) as { status: string; detail: string | null; other: number | null } | undefined;
    const peer = link && link.other !== null ? this.device(link.other) : null;
    const unpaired = link && link.other === null ? { reason: link.status, detail: link.detail ?? '' } : null;
    const low = this.st(WHOIS_SQL.lowerOf).get(i.id, this.row) as { other: number | null; method: string | null; detail: string | null } | undefined;
    const lower = low ? { device: low.other !== null ? this.device(low.other) : null, method: low.method, detail: low.detail } : null;
    return { ifname: i.ifname, ifindex: i.ifindex, kind: i.kind, master: i.master, mtu: i.mtu, operstate: i.operstate, peer, unpaired, lower };
  }

  private device(id: number): PeerView {
    const p = decodeRow(this.st(WHOIS_SQL.interfaceById).get(id, this.row) as IfRow);
    const o = this.owners(p.netns);
    return { netns: p.netns, ifname: p.ifname, ifindex: p.ifindex, host: o.host, names: o.names, pids: o.pids, processes: o.processes.map((x) => ({ pid: x.pid, comm: x.comm })), containers: o.containers };
  }

  interfaceMatch(i: IfRow): WhoisMatch {
    const b = this.brief(i);
    return { matchedBy: 'interface', ...this.namespaceFields(i.netns), ifname: i.ifname, ifindex: i.ifindex, kind: i.kind, master: i.master, peer: b.peer, unpaired: b.unpaired, lower: b.lower };
  }

  namespaceMatch(netns: number, by: WhoisMatch['matchedBy']): WhoisMatch {
    const interfaces = (this.st(WHOIS_SQL.interfacesOfNetns).all(this.row, netns) as IfRow[]).map((i) => this.brief(decodeRow(i)));
    return { matchedBy: by, ...this.namespaceFields(netns), ifname: null, ifindex: null, kind: null, master: null, peer: null, unpaired: null, lower: null, interfaces };
  }

  private namespaceFields(netns: number) {
    const o = this.owners(netns);
    return { netns, host: o.host, captured: o.captured, names: o.names, mounts: o.mounts, pids: o.pids, processes: o.processes.map((p) => ({ pid: p.pid, comm: p.comm })), containers: o.containers };
  }
}

const prefixRange = (p: string) => ({ lo: p, hi: p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1) });

/** Who held WHAT in the snapshot in force at `at` (an ISO time; null: the latest snapshot). */
export function whoisAt(db: Database, what: string, options: { at: string | null; host: string | null; now?: Date }): WhoisAnswer {
  const queries = parseWhat(what);
  const snap = selectSnapshot(db, { snapshot: options.at === null ? 'latest' : `@${options.at}`, host: options.host });
  const at = options.at ?? (options.now ?? new Date()).toISOString();
  const reader = new OwnerReader(db).at(snap.row);
  const matches: WhoisMatch[] = [];
  const names = new RuntimeNames(db).at(snap.row);
  const named: NamedLookup[] = [];
  /** Each holder's namespaces as matches, a namespace once per lookup (a pod's containers share one). */
  const byName = (kind: NamedLookup['kind'], name: string, holders: NamedLookup['holders']) => {
    if (holders.length === 0) return;
    named.push({ kind, name, holders, ambiguous: holders.length > 1 });
    for (const netns of new Set(holders.flatMap((h) => h.netns))) matches.push(reader.namespaceMatch(netns, kind === 'pod' ? 'pod' : 'container-name'));
  };
  for (const q of queries) {
    if (q.kind === 'pod') {
      byName('pod', `${q.namespace}/${q.name}`, names.podsNamed(q.namespace, q.name));
      continue;
    }
    const asName = q.kind === 'interface' ? q.name : q.kind === 'container' ? q.prefix : null;
    if (asName !== null && CONTAINER_NAME.test(asName) && !named.some((n) => n.kind === 'container' && n.name === asName)) byName('container', asName, names.containersNamed(asName));
    if (q.kind === 'address') {
      matches.push(...addressMatches(db, snap.row, q.address, reader));
    } else if (q.kind === 'interface') {
      const found = (db.prepare(WHOIS_SQL.interfaceByName).all(dbName(q.name), snap.row) as IfRow[]).map(decodeRow).sort((x, y) => x.netns - y.netns || x.ifindex - y.ifindex);
      for (const i of found) matches.push(reader.interfaceMatch(i));
    } else if (q.kind === 'pid') {
      const p = db.prepare(WHOIS_SQL.pid).get(snap.row, q.pid) as { netns: number | null; netnsError: string | null } | undefined;
      if (p?.netns != null) matches.push(reader.namespaceMatch(p.netns, 'pid'));
    } else if (q.kind === 'netns') {
      if (db.prepare(WHOIS_SQL.namespace).get(snap.row, q.inode)) matches.push(reader.namespaceMatch(q.inode, 'netns'));
    } else {
      for (const netns of db.prepare(WHOIS_SQL.containerPrefix).pluck().all({ snapshot: snap.row, ...prefixRange(q.prefix) }) as number[]) {
        matches.push(reader.namespaceMatch(netns, 'container'));
      }
    }
  }
  const result: WhoisAnswer = { answerVersion: ANSWER_VERSIONS.whois, query: what, at, snapshot: { ...label(snap), ageSeconds: Math.round((Date.parse(at) - Date.parse(snap.takenAt)) / 1000) }, matches, ...(named.length > 0 ? { named } : {}) };
  const name = queries.find((q) => q.kind === 'interface');
  if (matches.length === 0 && name?.kind === 'interface') {
    const count = db.prepare(WHOIS_SQL.seenElsewhere).pluck().get({ name: dbName(name.name), snapshot: snap.row }) as number;
    if (count > 0) {
      result.seenElsewhere = count;
      // `--all` follows an interface name: say so when the bare word would be read as something else.
      const arg = parseWhat(name.name)[0]?.kind === 'interface' ? name.name : `if:${name.name}`;
      result.suggest = ['whois', arg, '--all', '--host', snap.host];
    }
  }
  return result;
}

/**
 * Every period during which a host's snapshots held an interface name with
 * one owner. A period ends when the name disappears from a snapshot that
 * captured its namespace, or comes back as another device: another boot,
 * namespace inode, ifindex, named netns or container set — or the same
 * inode judged another namespace (`judgeSameInode`: the kernel reused it).
 * A snapshot that could not capture or read the namespace is a gap: the
 * period goes on over it. Where nothing proves either way, a new period
 * starts and says it is uncertain.
 */
export function whoisAll(
  db: Database,
  what: string,
  hostLabel: string | null,
  progress?: (done: number, total: number) => void,
  history: typeof nameHistory = nameHistory,
): WhoisAllAnswer {
  const queries = parseWhat(what);
  // An address (a dotted quad is a valid interface name too, but rarely one) is followed by its holders.
  const address = queries.find((x) => x.kind === 'address');
  if (address?.kind === 'address') return whoisAddressAll(db, what, address.address, resolveHost(db, hostLabel, 'whois --all'), new OwnerReader(db), new OwnerReader(db), progress);
  const q = queries.find((x) => x.kind === 'interface');
  if (!q || q.kind !== 'interface') throw new UsageError(`whois --all follows an interface name or an address over time; ${quote(what)} is neither`);
  const host = resolveHost(db, hostLabel, 'whois --all');
  const snaps = db.prepare(RANGE_SQL).all({ host: host.id, since: '', until: '9999' }) as SnapshotRef[];
  type HistRow = NameRow;
  // Read from the spans: the snapshots an ingest adds meanwhile are not in the list above, and wait for the next run.
  const rows = history(db, dbName(q.name), host.id, snaps);
  type Period = { rows: HistRow[]; lastOrdinal: number; gaps: number; uncertain?: string };
  const periods: Period[] = [];
  const open = new Map<string, Period>();
  const judge = new OwnerReader(db);
  const uncaptured = db.prepare(WHOIS_SQL.uncaptured).pluck();
  const hidden = db.prepare(WHOIS_SQL.hiddenProcess).pluck();
  /** Snapshots strictly between two ordinals that could not see the namespace, or -1 if one saw it without the name. */
  const gapsBetween = (before: HistRow, from: number, to: number): number => {
    for (let n = from + 1; n < to; n++) {
      const row = (snaps[n] as SnapshotRef).row;
      const captured = uncaptured.get(row, before.netns) as number | undefined;
      if (captured === 1) return -1;
      if (captured === undefined && hidden.get({ at: row, before: before.row, netns: before.netns }) === undefined) return -1;
    }
    return to - from - 1;
  };
  for (const r of rows) {
    const n = r.ordinal;
    const s = snaps[n] as SnapshotRef;
    const key = JSON.stringify([s.bootId, r.netns, r.ifindex, r.isHost, r.containers, r.names]);
    const current = open.get(key);
    let uncertain: string | undefined;
    if (current && current.lastOrdinal < n) {
      const last = current.rows[current.rows.length - 1] as HistRow;
      const gaps = current.lastOrdinal === n - 1 ? 0 : gapsBetween(last, current.lastOrdinal, n);
      // The device itself carried over (same ifindex, same MAC of its own): proof enough, and no owners to read.
      const kept = hasOwnMac(r) && hasOwnMac(last) && r.address.toLowerCase() === last.address.toLowerCase();
      const verdict = gaps < 0 || r.isHost === 1 || kept ? null : judgeSameInode(judge.at(last.row).state(last.netns), judge.at(r.row).state(r.netns));
      if (gaps >= 0 && (r.isHost === 1 || kept || verdict?.verdict === 'same')) {
        current.rows.push(r);
        current.lastOrdinal = n;
        current.gaps += gaps;
        continue;
      }
      if (verdict?.verdict === 'uncertain') uncertain = verdict.reason;
    }
    const p: Period = { rows: [r], lastOrdinal: n, gaps: 0, ...(uncertain !== undefined ? { uncertain } : {}) };
    periods.push(p);
    open.set(key, p);
  }
  const reader = new OwnerReader(db);
  const inNetns = db.prepare(WHOIS_SQL.interfaceInNetns);
  return {
    answerVersion: ANSWER_VERSIONS.whoisAll,
    query: what,
    host: host.label,
    periods: periods.map((p) => {
      const first = snaps[(p.rows[0] as HistRow).ordinal] as SnapshotRef;
      const lastRow = p.rows[p.rows.length - 1] as HistRow;
      const last = snaps[lastRow.ordinal] as SnapshotRef;
      const i = decodeRow(inNetns.get(last.row, lastRow.netns, dbName(q.name)) as IfRow);
      const forgotten = forgottenWithin(db, host.label, first.takenAt, last.takenAt);
      return {
        first: { id: first.id, takenAt: first.takenAt },
        last: { id: last.id, takenAt: last.takenAt },
        snapshots: p.rows.length,
        gaps: p.gaps,
        ...(p.uncertain !== undefined ? { uncertain: p.uncertain } : {}),
        ...(forgotten ? { forgotten } : {}),
        bootId: last.bootId,
        netns: lastRow.netns,
        ifindex: lastRow.ifindex,
        match: reader.at(last.row).interfaceMatch(i),
      };
    }),
  };
}
