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
 * The span comes last, as two numbers rather than four columns (each cell of each row is a value to
 * make): its first snapshot's row and its last one's (0 while it is open), where their times are those
 * snapshots' own (always, in a database nsnap wrote); else the span's id, negated, to read it whole
 * (`SPAN_OF`).
 */
const SPANS = (table: string, columns: string) =>
  `SELECT ${columns},
      CASE WHEN first <> 0 AND first_at = (SELECT taken_at FROM snapshots WHERE id = first) THEN first ELSE -id END,
      CASE WHEN last_at = '${OPEN_AT}' THEN 0 WHEN last <> 0 AND last_at = (SELECT taken_at FROM snapshots WHERE id = last) THEN last ELSE -id END
    FROM ${table} WHERE host = (SELECT id FROM hosts WHERE label = @host) AND last_at >= @since AND first_at <= @until ORDER BY id`;
/** One span's columns, as `ordinals` takes them. */
const SPAN_OF = (table: string) => `SELECT first, first_at, last, last_at FROM ${table} WHERE id = ?`;
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
  pairs: SPANS(TABLES.pairs, 'a, b, relation'),
  /** Routes, rules and neighbours: which set each namespace's list is, over spans of snapshots. */
  routing: SPANS(TABLES.routing, 'netns, kind, routing_set'),
  routingEntries: 'SELECT key, text FROM routing_entries WHERE routing_set = ? ORDER BY position',
  takenAt: 'SELECT taken_at FROM snapshots WHERE id = ?',
  gaps: `SELECT g.snapshot, g.source, g.probe, g.subject, g.reason, g.detail FROM snapshots s JOIN gaps g ON g.snapshot = s.id
    WHERE s.host = (SELECT id FROM hosts WHERE label = @host) AND s.taken_at >= @since AND s.taken_at <= @until ORDER BY g.snapshot, g.id`,
} as const;

type Cell = string | number | null;
export type SpanRow = Cell[];
/** The span's cells at the end of a row of `SPANS`. */
const SPAN_CELLS = 2;

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
 * `ordinals` of the span at the end of a row of `SPANS`, found from the snapshots it names (`byRow`):
 * the ordinal of a snapshot of `snaps` is where both searches end, and an open span ends at the last
 * one. Searched as `ordinals` does when it names one outside them, or its times are not theirs.
 */
function spanOrdinals(snaps: SnapshotRef[], byRow: Map<number, number>, r: SpanRow, k: number, read: SpanReader): [number, number] | null {
  const first = r[k] as number;
  const last = r[k + 1] as number;
  const a = first > 0 ? byRow.get(first) : undefined;
  const b = last === 0 ? snaps.length - 1 : last > 0 ? byRow.get(last) : undefined;
  if (a === undefined || b === undefined) return ordinals(snaps, first < 0 ? read.span(-first) : last < 0 ? read.span(-last) : [first, read.takenAt(first), last, last === 0 ? OPEN_AT : read.takenAt(last)]);
  return a <= b ? [a, b] : null;
}

/** What `spanOrdinals` reads when it must search: a span's columns by its id, a snapshot's time by its row. */
interface SpanReader {
  span: (id: number) => SpanRow;
  takenAt: (row: number) => string;
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

/**
 * A table's spans as add/remove events per ordinal, and the rows held at the current one, also by
 * namespace. Once placed, a row holds its facts only (the columns before the span's): the same array.
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
    read: SpanReader,
    private readonly netnsAt: number,
  ) {
    const starts = new Int32Array(rows.length).fill(-1);
    const ends = new Int32Array(rows.length).fill(-1);
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k] as SpanRow;
      // The span's cells come last (SPANS): cut off, the row is its facts, with no copy.
      const o = spanOrdinals(snaps, byRow, r, r.length - SPAN_CELLS, read);
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
    for (const r of removed) {
      this.held.delete(r);
      const n = this.netnsOf(r);
      if (n !== null) this.byNetns.get(n)?.delete(r);
    }
    for (const r of added) {
      this.held.add(r);
      const n = this.netnsOf(r);
      if (n === null) continue;
      let set = this.byNetns.get(n);
      if (!set) this.byNetns.set(n, (set = new Set()));
      set.add(r);
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
  const range = { host: (snaps[0] as SnapshotRef).host, since: (snaps[0] as SnapshotRef).takenAt, until: (snaps[snaps.length - 1] as SnapshotRef).takenAt };
  const byRow = ordinalsByRow(snaps);
  const takenAtSql = db.prepare(SWEEP_SQL.takenAt).pluck();
  const takenAt = (row: number) => takenAtSql.get(row) as string;
  const read = (sql: string, table: string, netnsAt: number) => {
    const spanSql = db.prepare(SPAN_OF(table)).raw();
    return new Sweep(db.prepare(sql).raw().all(range) as SpanRow[], snaps, byRow, { span: (id) => spanSql.get(id) as SpanRow, takenAt }, netnsAt);
  };
  const tables = {
    namespaces: read(SWEEP_SQL.namespaces, TABLES.namespaces, 0),
    handles: read(SWEEP_SQL.handles, TABLES.handles, 0),
    processes: read(SWEEP_SQL.processes, TABLES.processes, 1),
    containers: read(SWEEP_SQL.containers, TABLES.containers, 0),
    interfaces: read(SWEEP_SQL.interfaces, TABLES.interfaces, 1),
    pairs: read(SWEEP_SQL.pairs, TABLES.pairs, 0),
  };
  // Rows as read, per snapshot: a list of gaps is made only when it differs from the snapshot before's.
  const gaps = new Map<number, GapRow[]>();
  for (const r of withGaps ? (db.prepare(SWEEP_SQL.gaps).raw().all(range) as GapRow[]) : []) {
    let list = gaps.get(r[0]);
    if (!list) gaps.set(r[0], (list = []));
    list.push(r);
  }
  let lastRows: GapRow[] = [];
  let lastGaps: GapView[] = [];
  const lists = routingLists(db, read(SWEEP_SQL.routing, TABLES.routing, 0));
  const parse = textParsers();
  const runtimeNames = withOwners ? new RuntimeNames(db, range) : null;

  // An interface key names one (namespace, ifindex) for good: a link's ends are in those namespaces.
  const netnsOfKey = new Map<number, number>();
  const byKey = new Map<number, Cell[]>();
  const built = new Map<number, Built>();
  const owners = new Map<number, Owners>();
  /** Inodes in `ownersFromRows` order. */
  const order: number[] = [];
  let pairs: Pair[] = [];
  let kept = new Set<Pair>();
  // A veth pair's object stays the same while its link row, its ends' rows and their namespaces' host flags do.
  const pairCache = new Map<SpanRow, { x: SpanRow; y: SpanRow; hx: boolean; hy: boolean; pair: Pair }>();
  // Each interface at most one pair's end (as the ingest pairs them): once one is in two, every later step is diffed whole.
  let unique = true;
  let unreadable: LoadedSnapshot['state']['unreadable'] = [];
  let routing = new Map<number, NamespaceRouting>();
  const place = (n: number, host: number) => {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = built.get(order[mid] as number) as Built;
      if (m.host > host || (m.host === host && (order[mid] as number) < n)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // An interface's state is the same object for the whole span of its row.
  // Each namespace's interface rows held now, by ifindex (in arrival order within one, as a stable sort
  // of the held rows would put them), kept as rows come and go rather than sorted again at each step.
  const interfaceLists = new Map<number, { row: SpanRow; state: InterfaceState }[]>();
  const interfacesOf = (n: number): InterfaceState[] => (interfaceLists.get(n) ?? []).map((e) => e.state);
  const holdInterface = (r: SpanRow) => {
    let list = interfaceLists.get(r[1] as number);
    if (!list) interfaceLists.set(r[1] as number, (list = []));
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (((list[mid] as { row: SpanRow }).row[2] as number) <= (r[2] as number)) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, { row: r, state: interfaceState(r.slice(1) as InterfaceRow, parse) });
  };
  const dropInterface = (r: SpanRow) => {
    const list = interfaceLists.get(r[1] as number) as { row: SpanRow }[];
    list.splice(list.findIndex((e) => e.row === r), 1);
    if (list.length === 0) interfaceLists.delete(r[1] as number);
  };
  /** Builds namespace `n` again from its facts; only its interfaces when its owners' facts did not change. */
  const rebuild = (n: number, ownersChanged: boolean) => {
    const old = built.get(n);
    if (old && !ownersChanged) {
      const o = old.state;
      // Written out rather than spread: a step or more in most, the first thousands unoptimized.
      const state: NamespaceState = { netns: o.netns, isHost: o.isHost, names: o.names, handles: o.handles, containers: o.containers, processes: o.processes, captured: o.captured, interfaces: interfacesOf(n) };
      built.set(n, { owner: old.owner, state, host: old.host });
      return;
    }
    if (old) {
      order.splice(order.indexOf(n), 1);
      built.delete(n);
      owners.delete(n);
    }
    const rows = tables.namespaces.factsOf(n);
    if (rows.length === 0) return;
    const own = ownersFromRows(
      rows as OwnerRows['namespaces'],
      tables.handles.factsOf(n) as OwnerRows['handles'],
      tables.processes.factsOf(n).sort(byNetnsThenPid) as OwnerRows['processes'],
      tables.containers.factsOf(n).sort(byNetnsThenText) as OwnerRows['containers'],
    );
    const owner = own.get(n) as Owners;
    const state = namespaceState(owner, interfacesOf(n));
    let host = 0;
    for (const r of rows) if ((r[1] as number) > host) host = r[1] as number;
    const at = place(n, host);
    built.set(n, { owner, state, host });
    owners.set(n, owner);
    order.splice(at, 0, n);
  };

  for (let i = 0; i < snaps.length; i++) {
    const ref = snaps[i] as SnapshotRef;
    /** Namespaces to build again, and whether their owners' facts changed (else only their interfaces). */
    const rebuilt = new Map<number, boolean>();
    const touched = new Set<number>();
    let unreadableChanged = i === 0;
    for (const t of [tables.namespaces, tables.handles, tables.processes, tables.containers, tables.interfaces]) {
      const { removed, added } = t.step(i);
      for (const list of [removed, added]) {
        for (const r of list) {
          const n = t.netnsOf(r);
          if (n !== null) rebuilt.set(n, rebuilt.get(n) === true || t !== tables.interfaces);
          else if (t === tables.processes) unreadableChanged = true;
        }
      }
      if (t === tables.interfaces) {
        for (const r of removed) dropInterface(r);
        for (const r of added) holdInterface(r);
        for (const r of removed) {
          const key = r[0] as number;
          if (byKey.get(key) !== r) continue;
          // Another row of that key may still be held (a bundle listing one ifindex twice): the last one, as before.
          let last: SpanRow | undefined;
          for (const o of t.byNetns.get(r[1] as number) ?? []) if (o[0] === key) last = o;
          if (last) byKey.set(key, last);
          else byKey.delete(key);
        }
        for (const r of added) {
          byKey.set(r[0] as number, r);
          netnsOfKey.set(r[0] as number, r[1] as number);
        }
      }
    }
    const links = tables.pairs.step(i);
    for (const list of [links.removed, links.added]) {
      for (const r of list) {
        for (const key of [r[0], r[1]]) {
          const n = key === null ? undefined : netnsOfKey.get(key as number);
          if (n !== undefined) touched.add(n);
        }
      }
    }
    for (const [n, ownersChanged] of rebuilt) {
      rebuild(n, ownersChanged);
      touched.add(n);
    }
    if (unreadableChanged) {
      const procs = tables.processes.facts();
      unreadable = procs.filter((p) => p[1] === null).sort(byPid).map((p) => ({ pid: p[0] as number, comm: p[2] as string | null, startTime: p[3] as number | null }));
    }
    let pairsChanged: Set<Pair> | null = null;
    if (touched.size > 0 || i === 0) {
      const before = pairs;
      pairs = [];
      const ends = new Set<number>();
      for (const r of links.removed) pairCache.delete(r);
      for (const r of tables.pairs.held) {
        const a = r[0] as number;
        const b = r[1] as number | null;
        if (r[2] !== 'veth' || b === null) continue;
        if (ends.has(a) || ends.has(b)) unique = false;
        ends.add(a).add(b);
        const x = byKey.get(a) as SpanRow;
        const y = byKey.get(b) as SpanRow;
        const hx = (owners.get(x[1] as number) as Owners).host;
        const hy = (owners.get(y[1] as number) as Owners).host;
        let c = pairCache.get(r);
        if (!c || c.x !== x || c.y !== y || c.hx !== hx || c.hy !== hy) {
          const ex = { netns: x[1] as number, ifname: fromDbText(x[3] as string), ifindex: x[2] as number };
          const ey = { netns: y[1] as number, ifname: fromDbText(y[3] as string), ifindex: y[2] as number };
          c = { x, y, hx, hy, pair: hy && !hx ? { a: ey, b: ex } : { a: ex, b: ey } };
          pairCache.set(r, c);
        }
        pairs.push(c.pair);
      }
      const isHost = (e: { netns: number }) => (owners.get(e.netns) as Owners).host;
      const order = hostFirstOrder(isHost);
      pairs.sort((x, y) => order(x.a, y.a));
      const now = new Set(pairs);
      pairsChanged = new Set();
      for (const p of pairs) if (!kept.has(p)) pairsChanged.add(p);
      for (const p of before) if (!now.has(p)) pairsChanged.add(p);
      kept = now;
    }
    const changed = lists.step(i);
    if (changed) {
      routing = new Map(routing);
      for (const [n, r] of changed) {
        touched.add(n);
        if (r === null) routing.delete(n);
        else routing.set(n, r);
      }
    }
    const state: SnapshotState = { snapshot: { id: ref.id, host: ref.host, bootId: ref.bootId, takenAt: ref.takenAt }, namespaces: order.map((n) => (built.get(n) as Built).state), pairs, unreadable };
    // Names from their spans, read once for the range (RuntimeNames), on copies: `owners` is kept across steps.
    const named = runtimeNames ? withRuntimeNames(db, ref.row, new Map(order.map((n) => [n, { ...(owners.get(n) as Owners) }])), runtimeNames) : null;
    // The same gaps as the snapshot before (most hosts report the same few each time): the same list, which `diffLoaded` skips.
    const own = gaps.get(ref.row) ?? [];
    if (!sameGaps(own, lastRows)) {
      lastRows = own;
      lastGaps = own.map((r) => ({ source: r[1], probe: r[2], subject: r[3], reason: r[4], detail: r[5] }) as GapView);
    }
    const swept: SweptSnapshot = { ref, state, gaps: lastGaps, owners: named, routing };
    if (unique) swept.touched = { namespaces: touched, pairs: pairsChanged ?? new Set<Pair>() };
    yield swept;
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
