import type { Database } from 'better-sqlite3';
import { OPEN_AT } from '../db/intervals.js';
import type { LoadedSnapshot } from './diff-snapshots.js';
import type { SnapshotState } from '../diff/state.js';
import { fromDbText, type RoutingEntry, type RoutingKind } from '@nsnap/shared/core';
import type { GapView, Owners } from '../answer/common.js';
import type { InterfaceState, NamespaceState } from '../diff/state.js';
import { interfaceState, namespaceState, textParsers, type InterfaceRow } from './load-state.js';
import { hostFirstOrder } from './peers.js';
import { ownersFromRows, withRuntimeNames, type OwnerRows } from './owners.js';
import { RuntimeNames } from './runtime-names.js';
import type { NamespaceRouting } from './routing.js';
import type { SnapshotRef } from './select.js';

/**
 * Every span of a host over a time range, per table: what `history` reads instead of every snapshot.
 * The span comes last, as its first snapshot's row and time and its last one's (both null while it
 * is open): `spanOrdinals` checks the times against the range's own snapshots, which two subqueries
 * per row did in SQL (~45 ms per 30,000 rows).
 */
const SPANS = (table: string, columns: string, where = '') =>
  `SELECT ${columns}, first, first_at, CASE WHEN last_at = '${OPEN_AT}' THEN NULL ELSE last END, CASE WHEN last_at = '${OPEN_AT}' THEN NULL ELSE last_at END
    FROM ${table} WHERE host = (SELECT id FROM hosts WHERE label = @host) AND last_at >= @since AND first_at <= @until${where} ORDER BY id`;
const TABLES = {
  namespaces: 'namespace_spans',
  handles: 'handle_spans',
  processes: 'process_spans',
  containers: 'container_spans',
  interfaces: 'interface_spans',
  pairs: 'link_spans',
  routing: 'routing_spans',
} as const;

export const SWEEP_SQL = {
  namespaces: SPANS(TABLES.namespaces, 'inode, is_host, captured, problem'),
  handles: SPANS(TABLES.handles, 'netns, kind, path, name'),
  /** In the order `ownersFromRows` takes them. */
  processes: SPANS(TABLES.processes, 'pid, netns, comm, start_time'),
  containers: SPANS(TABLES.containers, 'netns, runtime, container_id, pod_uid'),
  interfaces: SPANS(TABLES.interfaces, 'iface, netns, ifindex, ifname, kind, mtu, operstate, master, address, alias, flags, addresses'),
  /** Veth pairs only: the other links (a master, a lower) are no pair, and what they join is an interface's own column. */
  pairs: SPANS(TABLES.pairs, 'a, b', " AND relation = 'veth' AND b IS NOT NULL"),
  /** Routes, rules and neighbours: which set each namespace's list is, over spans of snapshots. */
  routing: SPANS(TABLES.routing, 'netns, kind, routing_set'),
  routingEntries: 'SELECT key, text FROM routing_entries WHERE routing_set = ? ORDER BY position',
  gaps: `SELECT g.snapshot, g.source, g.probe, g.subject, g.reason, g.detail FROM snapshots s JOIN gaps g ON g.snapshot = s.id
    WHERE s.host = (SELECT id FROM hosts WHERE label = @host) AND s.taken_at >= @since AND s.taken_at <= @until ORDER BY g.snapshot, g.id`,
} as const;

type Cell = string | number | null;
export type SpanRow = Cell[];
/** The span's cells at the end of a row of `SPANS`. */
const SPAN_CELLS = 4;

/** Where a span starts and ends among `snaps` (ordinals), by (taken_at, row) order; null if it holds at none of them. */
export function ordinals(snaps: SnapshotRef[], r: SpanRow): [number, number] | null {
  const before = (at: string, row: number, s: SnapshotRef) => s.takenAt < at || (s.takenAt === at && s.row < row);
  const after = (at: string, row: number, s: SnapshotRef) => s.takenAt > at || (s.takenAt === at && s.row > row);
  let lo = 0;
  let hi = snaps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(r[1] as string, r[0] as number, snaps[mid] as SnapshotRef)) lo = mid + 1;
    else hi = mid;
  }
  const start = lo;
  let end = snaps.length - 1;
  if (r[3] !== OPEN_AT) {
    lo = start;
    hi = snaps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (!after(r[3] as string, r[2] as number, snaps[mid] as SnapshotRef)) lo = mid + 1;
      else hi = mid;
    }
    end = lo - 1;
  }
  return start <= end ? [start, end] : null;
}

/** Each snapshot's ordinal among `snaps`, by its row. */
const ordinalsByRow = (snaps: SnapshotRef[]): Map<number, number> => new Map(snaps.map((s, i) => [s.row, i]));

/**
 * `ordinals` of the span in the cells of a row of `SPANS` from `k` on, found from the snapshots it
 * names (`byRow`) when their times are its own (always, in a database nsnap wrote): the ordinal of a
 * snapshot of `snaps` is where both searches end, and an open span ends at the last one. Searched as
 * `ordinals` does when it names one outside them, or its times are not theirs.
 */
function spanOrdinals(snaps: SnapshotRef[], byRow: Map<number, number>, r: SpanRow, k: number): [number, number] | null {
  const first = r[k] as number;
  const firstAt = r[k + 1] as string;
  const last = r[k + 2] as number | null;
  const lastAt = r[k + 3] as string | null;
  const a = byRow.get(first);
  const b = last === null ? snaps.length - 1 : byRow.get(last);
  if (a === undefined || b === undefined || (snaps[a] as SnapshotRef).takenAt !== firstAt || (lastAt !== null && (snaps[b] as SnapshotRef).takenAt !== lastAt)) {
    return ordinals(snaps, [first, firstAt, last ?? 0, lastAt ?? OPEN_AT]);
  }
  return a <= b ? [a, b] : null;
}

const NONE: SpanRow[] = [];

/** Rows bucketed by ordinal, in row order within one (a counting sort): one flat list, not a list per snapshot. */
class Buckets {
  private readonly rows: SpanRow[];
  private readonly start: Int32Array;
  constructor(rows: SpanRow[], at: Int32Array, size: number) {
    this.start = new Int32Array(size + 1);
    for (const o of at) if (o >= 0) (this.start[o + 1] as number)++;
    for (let i = 0; i < size; i++) this.start[i + 1] = (this.start[i + 1] as number) + (this.start[i] as number);
    const next = this.start.slice(0, size);
    this.rows = new Array<SpanRow>(this.start[size] as number);
    for (let k = 0; k < rows.length; k++) {
      const o = at[k] as number;
      if (o >= 0) this.rows[(next[o] as number)++] = rows[k] as SpanRow;
    }
  }

  at(i: number): SpanRow[] {
    const from = this.start[i] as number;
    const to = this.start[i + 1] as number;
    return from === to ? NONE : this.rows.slice(from, to);
  }
}

/** What a table's readers ask of its sweep besides each step's rows: those held now, all (`held`) or by namespace (`byNetns`). */
interface Keep {
  held: boolean;
  byNetns: boolean;
}

/**
 * A table's spans as add/remove events per ordinal, and the rows held at the current one, also by
 * namespace, as `keep` asks (each is a set operation per row per step). Once placed, a row holds its
 * facts only (the columns before the span's): the same array.
 */
class Sweep {
  private readonly adds: Buckets;
  private readonly removes: Buckets;
  readonly held = new Set<SpanRow>();
  /** The rows held now by namespace (`netnsAt`: the fact column naming it; rows without one are left out). */
  readonly byNetns = new Map<number, Set<SpanRow>>();
  constructor(
    rows: SpanRow[],
    snaps: SnapshotRef[],
    byRow: Map<number, number>,
    private readonly netnsAt: number,
    private readonly keep: Keep,
  ) {
    const starts = new Int32Array(rows.length).fill(-1);
    const ends = new Int32Array(rows.length).fill(-1);
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k] as SpanRow;
      // The span's cells come last (SPANS): cut off, the row is its facts, with no copy.
      const o = spanOrdinals(snaps, byRow, r, r.length - SPAN_CELLS);
      r.length -= SPAN_CELLS;
      if (!o) continue;
      starts[k] = o[0];
      if (o[1] + 1 < snaps.length) ends[k] = o[1] + 1;
    }
    this.adds = new Buckets(rows, starts, snaps.length);
    this.removes = new Buckets(rows, ends, snaps.length);
  }

  /** Moves to ordinal `i`; gives the rows that ended and started there. */
  step(i: number): { removed: SpanRow[]; added: SpanRow[] } {
    const added = this.adds.at(i);
    const removed = this.removes.at(i);
    if (this.keep.held) {
      for (const r of removed) this.held.delete(r);
      for (const r of added) this.held.add(r);
    }
    if (this.keep.byNetns) {
      for (const r of removed) {
        const n = this.netnsOf(r);
        const set = n === null ? undefined : this.byNetns.get(n);
        if (set?.delete(r) && set.size === 0) this.byNetns.delete(n as number);
      }
      for (const r of added) {
        const n = this.netnsOf(r);
        if (n === null) continue;
        let set = this.byNetns.get(n);
        if (!set) this.byNetns.set(n, (set = new Set()));
        set.add(r);
      }
    }
    return { removed, added };
  }

  netnsOf(r: SpanRow): number | null {
    return r[this.netnsAt] as number | null;
  }

  /** The facts held now, in span order, as the SQL would list them before its sort. */
  facts(): Cell[][] {
    return [...this.held];
  }

  /** The facts of one namespace held now, in span order. */
  factsOf(netns: number): Cell[][] {
    const set = this.byNetns.get(netns);
    return set ? [...set] : [];
  }
}

/** Process rows (pid, netns, …) by namespace, then pid, as `OWNERS_SQL` orders them. */
const byNetnsThenPid = (x: Cell[], y: Cell[]) => (x[1] as number) - (y[1] as number) || (x[0] as number) - (y[0] as number);
const byPid = (x: Cell[], y: Cell[]) => (x[0] as number) - (y[0] as number);
const byNetnsThenText = (x: Cell[], y: Cell[]) => (x[0] as number) - (y[0] as number) || ((x[2] as string) < (y[2] as string) ? -1 : (x[2] as string) > (y[2] as string) ? 1 : 0);

/** One snapshot of the sweep, with the namespaces whose facts, pairs or routing lists differ from the snapshot before. */
export interface SweptSnapshot extends LoadedSnapshot {
  /**
   * What differs from the snapshot before: the namespaces (inodes) whose state object or routing
   * lists are others, and the pairs (objects) in one list only. Everything else is the same object.
   * Missing when the step must be diffed whole.
   */
  touched?: Touched;
}

export interface Touched {
  namespaces: ReadonlySet<number>;
  pairs: ReadonlySet<Pair>;
}

type Pair = SnapshotState['pairs'][number];

/** One namespace as built from its own facts: the same objects until one of them starts or ends. */
interface Built {
  owner: Owners;
  state: NamespaceState;
  /** Where `ownersFromRows` places it: host namespaces first, then by inode. */
  host: number;
}

/**
 * The snapshots of `snaps` (one host's, oldest first) loaded for `diff` from the intervals: each span
 * table read once, and each snapshot's state built from the facts held at it. A step rebuilds only
 * the namespaces whose facts start or end there, and names them (with those whose pairs or routing
 * lists change) in `touched`. The same states `loadForDiff` reads snapshot by snapshot.
 */
export function* sweepStates(db: Database, snaps: SnapshotRef[], withOwners: boolean, withGaps = true): Generator<SweptSnapshot> {
  if (snaps.length === 0) return;
  const sweep = new HistorySweep(db, snaps, withOwners, withGaps);
  for (let i = 0; i < snaps.length; i++) yield sweep.at(i);
}

/** A veth pair's object, the same while its link row, its ends' rows and their namespaces' host flags are. */
interface PairEntry {
  x: SpanRow;
  y: SpanRow;
  hx: boolean;
  hy: boolean;
  pair: Pair;
  /** `pair.a`, and whether it is in a host namespace: what `hostFirstOrder` sorts by, without a lookup per comparison. */
  end: { netns: number; ifindex: number; host: boolean };
  /** Its link's place in the order links came (the held rows' order): ties keep it, as a stable sort of them does. */
  seq: number;
}

const hostEndFirst = hostFirstOrder((e: PairEntry['end']) => e.host);
const byHostEnd = (x: PairEntry, y: PairEntry) => hostEndFirst(x.end, y.end) || x.seq - y.seq;

/** An interface row held now, with its state: the same object for the whole span of the row. */
interface HeldInterface {
  row: SpanRow;
  state: InterfaceState;
}

/**
 * `sweepStates`' state from one step to the next. Its steps are methods of their own rather than one
 * loop body: V8 optimizes each sooner (a big function is compiled late, and for long, while the first
 * thousands of steps run unoptimized).
 */
class HistorySweep {
  private readonly tables: Record<'namespaces' | 'handles' | 'processes' | 'containers' | 'interfaces' | 'pairs', Sweep>;
  /** The five tables a namespace's state is built from, in the order a step moves them. */
  private readonly stateTables: Sweep[];
  /** Rows as read, per snapshot: a list of gaps is made only when it differs from the snapshot before's. */
  private readonly gaps = new Map<number, GapRow[]>();
  private lastRows: GapRow[] = [];
  private lastGaps: GapView[] = [];
  private readonly lists: ReturnType<typeof routingLists>;
  private readonly parse = textParsers();
  private readonly runtimeNames: RuntimeNames | null;
  /** An interface key names one (namespace, ifindex) for good: a link's ends are in those namespaces. */
  private readonly netnsOfKey = new Map<number, number>();
  /** Each interface key's rows held now, in the order they came (a bundle may list one ifindex twice): the last one is the key's. */
  private readonly keyRows = new Map<number, SpanRow[]>();
  private readonly built = new Map<number, Built>();
  private readonly owners = new Map<number, Owners>();
  /** Inodes in `ownersFromRows` order. */
  private readonly order: number[] = [];
  private pairs: Pair[] = [];
  /** The pairs held now with what they were made from, in `pairs`' order. */
  private entries: PairEntry[] = [];
  /** Each held veth link's entry. */
  private readonly entryOf = new Map<SpanRow, PairEntry>();
  /** The held veth links by the interface keys of their ends. */
  private readonly linksOfKey = new Map<number, SpanRow[]>();
  private seq = 0;
  /** Interface keys whose row came or went at this step: the pairs they end may be other objects now. */
  private readonly keysMoved = new Set<number>();
  /** Whether a namespace's host flag changed at this step: every pair is sorted again. */
  private hostMoved = false;
  /** Each interface at most one pair's end (as the ingest pairs them): once one is in two, every later step is diffed whole. */
  private unique = true;
  private unreadable: LoadedSnapshot['state']['unreadable'] = [];
  private routing = new Map<number, NamespaceRouting>();
  /**
   * Each namespace's interface rows held now, by ifindex (in arrival order within one, as a stable sort
   * of the held rows would put them), kept as rows come and go rather than sorted again at each step.
   */
  private readonly interfaceLists = new Map<number, HeldInterface[]>();

  constructor(
    private readonly db: Database,
    private readonly snaps: SnapshotRef[],
    withOwners: boolean,
    withGaps: boolean,
  ) {
    const range = { host: (snaps[0] as SnapshotRef).host, since: (snaps[0] as SnapshotRef).takenAt, until: (snaps[snaps.length - 1] as SnapshotRef).takenAt };
    const byRow = ordinalsByRow(snaps);
    const read = (sql: string, netnsAt: number, keep: Keep) => new Sweep(db.prepare(sql).raw().all(range) as SpanRow[], snaps, byRow, netnsAt, keep);
    // A namespace is built from its own rows of the first four; processes of none are listed from all
    // held; interfaces are held in lists of their own (`interfaceLists`, `keyRows`); pairs from all held.
    const byNetns = { held: false, byNetns: true };
    this.tables = {
      namespaces: read(SWEEP_SQL.namespaces, 0, byNetns),
      handles: read(SWEEP_SQL.handles, 0, byNetns),
      processes: read(SWEEP_SQL.processes, 1, { held: true, byNetns: true }),
      containers: read(SWEEP_SQL.containers, 0, byNetns),
      interfaces: read(SWEEP_SQL.interfaces, 1, { held: false, byNetns: false }),
      pairs: read(SWEEP_SQL.pairs, 0, { held: true, byNetns: false }),
    };
    const t = this.tables;
    this.stateTables = [t.namespaces, t.handles, t.processes, t.containers, t.interfaces];
    for (const r of withGaps ? (db.prepare(SWEEP_SQL.gaps).raw().all(range) as GapRow[]) : []) {
      let list = this.gaps.get(r[0]);
      if (!list) this.gaps.set(r[0], (list = []));
      list.push(r);
    }
    this.lists = routingLists(db, read(SWEEP_SQL.routing, 0, byNetns));
    this.runtimeNames = withOwners ? new RuntimeNames(db, range) : null;
  }

  /** Moves to ordinal `i` (each in turn, from 0) and gives that snapshot. */
  at(i: number): SweptSnapshot {
    /** Namespaces to build again, and whether their owners' facts changed (else only their interfaces). */
    const rebuilt = new Map<number, boolean>();
    const touched = new Set<number>();
    const unreadableChanged = this.stepFacts(i, rebuilt) || i === 0;
    const links = this.tables.pairs.step(i);
    this.touchLinks(links.removed, touched);
    this.touchLinks(links.added, touched);
    for (const [n, ownersChanged] of rebuilt) {
      this.rebuild(n, ownersChanged);
      touched.add(n);
    }
    if (unreadableChanged) this.readUnreadable();
    const pairsChanged = i === 0 || this.hostMoved ? this.repair() : this.movePairs(links.removed, links.added);
    this.keysMoved.clear();
    this.hostMoved = false;
    this.stepRouting(i, touched);
    return this.snapshot(i, touched, pairsChanged);
  }

  /** Moves the tables a namespace's state is built from; says whether a process of no namespace came or went. */
  private stepFacts(i: number, rebuilt: Map<number, boolean>): boolean {
    let unreadableChanged = false;
    for (const t of this.stateTables) {
      const { removed, added } = t.step(i);
      const owning = t !== this.tables.interfaces;
      const gone = this.mark(t, removed, rebuilt, owning);
      const come = this.mark(t, added, rebuilt, owning);
      if (gone || come) unreadableChanged = true;
      if (!owning) this.stepInterfaces(removed, added);
    }
    return unreadableChanged;
  }

  /** Marks the namespaces of `rows` to build again; says whether a process row of no namespace is among them. */
  private mark(t: Sweep, rows: SpanRow[], rebuilt: Map<number, boolean>, owning: boolean): boolean {
    let unreadable = false;
    for (const r of rows) {
      const n = t.netnsOf(r);
      if (n !== null) rebuilt.set(n, owning || rebuilt.get(n) === true);
      else if (t === this.tables.processes) unreadable = true;
    }
    return unreadable;
  }

  private stepInterfaces(removed: SpanRow[], added: SpanRow[]): void {
    for (const r of removed) this.dropInterface(r);
    for (const r of added) this.holdInterface(r);
    for (const r of removed) this.keysMoved.add(r[0] as number);
    for (const r of added) this.keysMoved.add(r[0] as number);
    for (const r of removed) {
      const rows = this.keyRows.get(r[0] as number) as SpanRow[];
      rows.splice(rows.indexOf(r), 1);
      if (rows.length === 0) this.keyRows.delete(r[0] as number);
    }
    for (const r of added) {
      const rows = this.keyRows.get(r[0] as number);
      if (rows) rows.push(r);
      else this.keyRows.set(r[0] as number, [r]);
      this.netnsOfKey.set(r[0] as number, r[1] as number);
    }
  }

  /** The row of interface key `key` held now. */
  private rowOfKey(key: number): SpanRow {
    const rows = this.keyRows.get(key) as SpanRow[];
    return rows[rows.length - 1] as SpanRow;
  }

  private holdInterface(r: SpanRow): void {
    let list = this.interfaceLists.get(r[1] as number);
    if (!list) this.interfaceLists.set(r[1] as number, (list = []));
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (((list[mid] as HeldInterface).row[2] as number) <= (r[2] as number)) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, { row: r, state: interfaceState(r.slice(1) as InterfaceRow, this.parse) });
  }

  private dropInterface(r: SpanRow): void {
    const list = this.interfaceLists.get(r[1] as number) as HeldInterface[];
    list.splice(list.findIndex((e) => e.row === r), 1);
    if (list.length === 0) this.interfaceLists.delete(r[1] as number);
  }

  private interfacesOf(n: number): InterfaceState[] {
    return (this.interfaceLists.get(n) ?? []).map((e) => e.state);
  }

  /** The namespaces of a link's ends: its pair, if it is one, comes or goes. */
  private touchLinks(rows: SpanRow[], touched: Set<number>): void {
    for (const r of rows) {
      for (let e = 0; e < 2; e++) {
        const key = r[e];
        const n = key === null ? undefined : this.netnsOfKey.get(key as number);
        if (n !== undefined) touched.add(n);
      }
    }
  }

  /** Where namespace `n` goes in `order`: host namespaces first, then by inode. */
  private place(n: number, host: number): number {
    const order = this.order;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.built.get(order[mid] as number) as Built;
      if (m.host > host || (m.host === host && (order[mid] as number) < n)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Builds namespace `n` again from its facts; only its interfaces when its owners' facts did not change. */
  private rebuild(n: number, ownersChanged: boolean): void {
    const old = this.built.get(n);
    if (old && !ownersChanged) {
      const o = old.state;
      // Written out rather than spread: a step or more in most, the first thousands unoptimized.
      const state: NamespaceState = { netns: o.netns, isHost: o.isHost, names: o.names, handles: o.handles, containers: o.containers, processes: o.processes, captured: o.captured, interfaces: this.interfacesOf(n) };
      this.built.set(n, { owner: old.owner, state, host: old.host });
      return;
    }
    if (old) {
      this.order.splice(this.order.indexOf(n), 1);
      this.built.delete(n);
      this.owners.delete(n);
    }
    const t = this.tables;
    const rows = t.namespaces.factsOf(n);
    if (rows.length === 0) return;
    const own = ownersFromRows(
      rows as OwnerRows['namespaces'],
      t.handles.factsOf(n) as OwnerRows['handles'],
      t.processes.factsOf(n).sort(byNetnsThenPid) as OwnerRows['processes'],
      t.containers.factsOf(n).sort(byNetnsThenText) as OwnerRows['containers'],
    );
    const owner = own.get(n) as Owners;
    if (old && old.owner.host !== owner.host) this.hostMoved = true;
    const state = namespaceState(owner, this.interfacesOf(n));
    let host = 0;
    for (const r of rows) if ((r[1] as number) > host) host = r[1] as number;
    const at = this.place(n, host);
    this.built.set(n, { owner, state, host });
    this.owners.set(n, owner);
    this.order.splice(at, 0, n);
  }

  private readUnreadable(): void {
    const procs = this.tables.processes.facts();
    this.unreadable = procs.filter((p) => p[1] === null).sort(byPid).map((p) => ({ pid: p[0] as number, comm: p[2] as string | null, startTime: p[3] as number | null }));
  }

  /**
   * The veth pairs held now, made and sorted again from every held link (the first step, and one where
   * a namespace's host flag changed: the order of every pair with an end there may change); gives those
   * in one list only (old or new).
   */
  private repair(): Set<Pair> {
    const before = this.pairs;
    const old = new Map(this.entryOf);
    this.entryOf.clear();
    this.linksOfKey.clear();
    const entries: PairEntry[] = [];
    for (const r of this.tables.pairs.held) {
      const e = this.pairOf(r, old.get(r));
      this.link(r, e);
      entries.push(e);
    }
    entries.sort(byHostEnd);
    this.entries = entries;
    this.pairs = entries.map((e) => e.pair);
    const now = new Set(this.pairs);
    const kept = new Set(before);
    const changed = new Set<Pair>();
    for (const p of this.pairs) if (!kept.has(p)) changed.add(p);
    for (const p of before) if (!now.has(p)) changed.add(p);
    return changed;
  }

  /**
   * The pairs after a step, from the one before: the links that went and came, and those whose ends'
   * rows came or went (`keysMoved`), each taken out or put in its place; the same list when none
   * changed. Gives the pairs in one list only (old or new).
   */
  private movePairs(removed: SpanRow[], added: SpanRow[]): Set<Pair> {
    const changed = new Set<Pair>();
    const entries = this.entries;
    for (const r of removed) {
      const e = this.entryOf.get(r) as PairEntry;
      entries.splice(entries.indexOf(e), 1);
      changed.add(e.pair);
      this.entryOf.delete(r);
      this.unlink(r);
    }
    for (const key of this.keysMoved) {
      // Only entries change here, not which links a key has: the list itself is walked.
      for (const r of this.linksOfKey.get(key) ?? []) {
        const e = this.entryOf.get(r) as PairEntry;
        const now = this.pairOf(r, e);
        if (now === e) continue;
        entries.splice(entries.indexOf(e), 1);
        this.insertPair(entries, now);
        this.entryOf.set(r, now);
        changed.add(e.pair).add(now.pair);
      }
    }
    for (const r of added) {
      const e = this.pairOf(r, undefined);
      this.link(r, e);
      this.insertPair(entries, e);
      changed.add(e.pair);
    }
    if (changed.size > 0) this.pairs = entries.map((e) => e.pair);
    return changed;
  }

  /** Puts `e` where `byHostEnd` sorts it. */
  private insertPair(entries: PairEntry[], e: PairEntry): void {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byHostEnd(entries[mid] as PairEntry, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    entries.splice(lo, 0, e);
  }

  /** Holds link `r` with its entry; an interface at the end of two held pairs makes every later step diffed whole. */
  private link(r: SpanRow, e: PairEntry): void {
    this.entryOf.set(r, e);
    const a = r[0] as number;
    const b = r[1] as number;
    if (this.linksOfKey.has(a) || this.linksOfKey.has(b)) this.unique = false;
    for (const key of a === b ? [a] : [a, b]) {
      const links = this.linksOfKey.get(key);
      if (links) links.push(r);
      else this.linksOfKey.set(key, [r]);
    }
  }

  private unlink(r: SpanRow): void {
    for (const key of r[0] === r[1] ? [r[0] as number] : [r[0] as number, r[1] as number]) {
      const links = this.linksOfKey.get(key) as SpanRow[];
      links.splice(links.indexOf(r), 1);
      if (links.length === 0) this.linksOfKey.delete(key);
    }
  }

  /** Link `r`'s pair: `old` while its ends' rows and their namespaces' host flags are the same, else made anew. */
  private pairOf(r: SpanRow, old: PairEntry | undefined): PairEntry {
    const x = this.rowOfKey(r[0] as number);
    const y = this.rowOfKey(r[1] as number);
    const hx = (this.owners.get(x[1] as number) as Owners).host;
    const hy = (this.owners.get(y[1] as number) as Owners).host;
    if (old && old.x === x && old.y === y && old.hx === hx && old.hy === hy) return old;
    const ex = { netns: x[1] as number, ifname: fromDbText(x[3] as string), ifindex: x[2] as number };
    const ey = { netns: y[1] as number, ifname: fromDbText(y[3] as string), ifindex: y[2] as number };
    const pair = hy && !hx ? { a: ey, b: ex } : { a: ex, b: ey };
    return { x, y, hx, hy, pair, end: { netns: pair.a.netns, ifindex: pair.a.ifindex, host: hx || hy }, seq: old?.seq ?? this.seq++ };
  }

  private stepRouting(i: number, touched: Set<number>): void {
    const changed = this.lists.step(i);
    if (!changed) return;
    const routing = new Map(this.routing);
    for (const [n, r] of changed) {
      touched.add(n);
      if (r === null) routing.delete(n);
      else routing.set(n, r);
    }
    this.routing = routing;
  }

  private snapshot(i: number, touched: Set<number>, pairsChanged: Set<Pair> | null): SweptSnapshot {
    const ref = this.snaps[i] as SnapshotRef;
    const built = this.built;
    const namespaces = this.order.map((n) => (built.get(n) as Built).state);
    const state: SnapshotState = { snapshot: { id: ref.id, host: ref.host, bootId: ref.bootId, takenAt: ref.takenAt }, namespaces, pairs: this.pairs, unreadable: this.unreadable };
    // Names from their spans, read once for the range (RuntimeNames), on copies: `owners` is kept across steps.
    const named = this.runtimeNames ? withRuntimeNames(this.db, ref.row, new Map(this.order.map((n) => [n, { ...(this.owners.get(n) as Owners) }])), this.runtimeNames) : null;
    // The same gaps as the snapshot before (most hosts report the same few each time): the same list, which `diffLoaded` skips.
    const own = this.gaps.get(ref.row) ?? [];
    if (!sameGaps(own, this.lastRows)) {
      this.lastRows = own;
      this.lastGaps = own.map((r) => ({ source: r[1], probe: r[2], subject: r[3], reason: r[4], detail: r[5] }) as GapView);
    }
    const swept: SweptSnapshot = { ref, state, gaps: this.lastGaps, owners: named, routing: this.routing };
    if (this.unique) swept.touched = { namespaces: touched, pairs: pairsChanged ?? new Set<Pair>() };
    return swept;
  }
}

/** A row of `SWEEP_SQL.gaps`: snapshot, source, probe, subject, reason, detail. */
type GapRow = [number, string, string, string, string, string];

function sameGaps(a: GapRow[], b: GapRow[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as GapRow;
    const y = b[i] as GapRow;
    for (let k = 1; k < 6; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}

/**
 * The routing lists of a range from their spans, handed out snapshot by snapshot as what changed:
 * each namespace whose lists are other sets than at the snapshot before, with its lists (null: none).
 */
function routingLists(db: Database, spans: Sweep) {
  const entriesSql = db.prepare(SWEEP_SQL.routingEntries).raw();
  const entries = new Map<number, RoutingEntry[]>();
  const entriesOf = (set: number) => {
    let list = entries.get(set);
    if (!list) entries.set(set, (list = (entriesSql.all(set) as [string, string][]).map(([key, text]) => ({ key: fromDbText(key), text: fromDbText(text) }))));
    return list;
  };
  const sets = new Map<number, Record<RoutingKind, number | null>>();
  const same = (x: Record<RoutingKind, number | null>, y: Record<RoutingKind, number | null> | undefined) => y !== undefined && x.routes === y.routes && x.rules === y.rules && x.neighbours === y.neighbours;
  return {
    /** Moves to ordinal `i`: only the namespaces with a span starting or ending there can change. */
    step(i: number): Map<number, NamespaceRouting | null> | null {
      const { removed, added } = spans.step(i);
      if (removed.length === 0 && added.length === 0) return null;
      const candidates = new Set<number>();
      for (const list of [removed, added]) for (const r of list) candidates.add(r[0] as number);
      const changed = new Map<number, NamespaceRouting | null>();
      for (const netns of candidates) {
        const held = spans.byNetns.get(netns);
        if (!held || held.size === 0) {
          if (sets.delete(netns)) changed.set(netns, null);
          continue;
        }
        const ns: Record<RoutingKind, number | null> = { routes: null, rules: null, neighbours: null };
        // In span order, as the view lists them: the last row of a kind wins, as before.
        for (const r of held) ns[r[1] as RoutingKind] = r[2] as number;
        if (same(ns, sets.get(netns))) continue;
        sets.set(netns, ns);
        const lists = { routes: null, rules: null, neighbours: null } as NamespaceRouting;
        for (const kind of ['routes', 'rules', 'neighbours'] as const) {
          const set = ns[kind];
          if (set !== null) lists[kind] = entriesOf(set);
        }
        changed.set(netns, lists);
      }
      return changed.size > 0 ? changed : null;
    },
  };
}
