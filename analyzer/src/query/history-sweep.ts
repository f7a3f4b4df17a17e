import type { Database } from 'better-sqlite3';
import { OPEN_AT } from '../db/intervals.js';
import type { LoadedSnapshot } from './diff-snapshots.js';
import { loadRouting } from './routing.js';
import type { GapView } from '../answer/common.js';
import { stateFromRows, type InterfaceRow, type PairRow } from './load-state.js';
import { ownersFromRows, withRuntimeNames, type OwnerRows } from './owners.js';
import type { SnapshotRef } from './select.js';

/** Every span of a host over a time range, per table: what `history` reads instead of every snapshot. */
const SPANS = (table: string, columns: string) =>
  `SELECT first, first_at, last, last_at, ${columns} FROM ${table} WHERE host = (SELECT id FROM hosts WHERE label = @host) AND last_at >= @since AND first_at <= @until ORDER BY id`;

export const SWEEP_SQL = {
  namespaces: SPANS('namespace_spans', 'inode, is_host, captured, problem'),
  handles: SPANS('handle_spans', 'netns, kind, path, name'),
  processes: SPANS('process_spans', 'netns, pid, comm, start_time'),
  containers: SPANS('container_spans', 'netns, runtime, container_id, pod_uid'),
  interfaces: SPANS('interface_spans', 'iface, netns, ifindex, ifname, kind, mtu, operstate, master, address, alias, flags, addresses'),
  pairs: SPANS("link_spans", 'a, b, relation'),
  gaps: `SELECT g.snapshot, g.source, g.probe, g.subject, g.reason, g.detail FROM snapshots s JOIN gaps g ON g.snapshot = s.id
    WHERE s.host = (SELECT id FROM hosts WHERE label = @host) AND s.taken_at >= @since AND s.taken_at <= @until ORDER BY g.snapshot, g.id`,
} as const;

type Cell = string | number | null;
type SpanRow = Cell[];
const FACT = 4;

/** Where a span starts and ends among `snaps` (ordinals), by (taken_at, row) order; null if it holds at none of them. */
function ordinals(snaps: SnapshotRef[], r: SpanRow): [number, number] | null {
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

/** A table's spans as add/remove events per ordinal, and the rows held at the current one. */
class Sweep {
  private readonly adds: SpanRow[][];
  private readonly removes: SpanRow[][];
  readonly held = new Set<SpanRow>();
  constructor(rows: SpanRow[], snaps: SnapshotRef[]) {
    this.adds = snaps.map(() => []);
    this.removes = snaps.map(() => []);
    for (const r of rows) {
      const o = ordinals(snaps, r);
      if (!o) continue;
      (this.adds[o[0]] as SpanRow[]).push(r);
      if (o[1] + 1 < snaps.length) (this.removes[o[1] + 1] as SpanRow[]).push(r);
    }
  }

  /** Moves to ordinal `i`; says whether anything changed. */
  step(i: number): boolean {
    const add = this.adds[i] as SpanRow[];
    const remove = this.removes[i] as SpanRow[];
    for (const r of remove) this.held.delete(r);
    for (const r of add) this.held.add(r);
    return add.length + remove.length > 0;
  }

  /** The facts held now, in span order, as the SQL would list them before its sort. */
  facts(): Cell[][] {
    return [...this.held].map((r) => r.slice(FACT));
  }
}

const byNumbers = (...at: number[]) => (x: Cell[], y: Cell[]) => {
  for (const i of at) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return 0;
};
const byNetnsThenText = (x: Cell[], y: Cell[]) => (x[0] as number) - (y[0] as number) || ((x[2] as string) < (y[2] as string) ? -1 : (x[2] as string) > (y[2] as string) ? 1 : 0);

/**
 * The snapshots of `snaps` (one host's, oldest first) loaded for `diff` from the intervals: each span
 * table read once, and each snapshot's state built from the facts held at it, rebuilt only where
 * one starts or ends. The same states `loadForDiff` reads snapshot by snapshot.
 */
export function* sweepStates(db: Database, snaps: SnapshotRef[], withOwners: boolean): Generator<LoadedSnapshot> {
  if (snaps.length === 0) return;
  const range = { host: (snaps[0] as SnapshotRef).host, since: (snaps[0] as SnapshotRef).takenAt, until: (snaps[snaps.length - 1] as SnapshotRef).takenAt };
  const read = (sql: string) => new Sweep(db.prepare(sql).raw().all(range) as SpanRow[], snaps);
  const tables = {
    namespaces: read(SWEEP_SQL.namespaces),
    handles: read(SWEEP_SQL.handles),
    processes: read(SWEEP_SQL.processes),
    containers: read(SWEEP_SQL.containers),
    interfaces: read(SWEEP_SQL.interfaces),
    pairs: read(SWEEP_SQL.pairs),
  };
  const gaps = new Map<number, GapView[]>();
  for (const g of db.prepare(SWEEP_SQL.gaps).all(range) as (GapView & { snapshot: number })[]) {
    const { snapshot, ...gap } = g;
    gaps.set(snapshot, [...(gaps.get(snapshot) ?? []), gap]);
  }

  let owners = new Map() as ReturnType<typeof ownersFromRows>;
  let interfaces: InterfaceRow[] = [];
  let byKey = new Map<number, Cell[]>();
  let pairs: PairRow[] = [];
  let unreadable: LoadedSnapshot['state']['unreadable'] = [];
  // Names come per snapshot (runtime_containers is not a span table), on copies: `owners` is kept across steps.
  const named = (snapshot: number) => withRuntimeNames(db, snapshot, new Map([...owners].map(([netns, o]) => [netns, { ...o }])));
  for (let i = 0; i < snaps.length; i++) {
    const changed = Object.fromEntries(Object.entries(tables).map(([k, t]) => [k, t.step(i)])) as Record<keyof typeof tables, boolean>;
    if (changed.namespaces || changed.handles || changed.processes || changed.containers) {
      const procs = tables.processes.facts();
      owners = ownersFromRows(
        tables.namespaces.facts() as OwnerRows['namespaces'],
        tables.handles.facts().filter((h) => h[0] !== null) as OwnerRows['handles'],
        procs.filter((p) => p[0] !== null).map((p): Cell[] => [p[1] as Cell, p[0] as Cell, p[2] as Cell, p[3] as Cell]).sort(byNumbers(1, 0)) as OwnerRows['processes'],
        tables.containers.facts().filter((c) => c[0] !== null).sort(byNetnsThenText) as OwnerRows['containers'],
      );
      unreadable = procs.filter((p) => p[0] === null).sort(byNumbers(1)).map((p) => ({ pid: p[1] as number, comm: p[2] as string | null, startTime: p[3] as number | null }));
    }
    if (changed.interfaces) {
      const facts = tables.interfaces.facts();
      byKey = new Map(facts.map((f) => [f[0] as number, f]));
      interfaces = facts.map((f) => f.slice(1) as InterfaceRow).sort(byNumbers(0, 1));
    }
    if (changed.interfaces || changed.pairs) {
      pairs = [];
      for (const [a, b, relation] of tables.pairs.facts()) {
        if (relation !== 'veth' || b === null) continue;
        const x = byKey.get(a as number) as Cell[];
        const y = byKey.get(b as number) as Cell[];
        pairs.push([x[1], x[3], x[2], y[1], y[3], y[2]] as PairRow);
      }
    }
    const ref = snaps[i] as SnapshotRef;
    // Routes, rules and neighbours are stored by content per snapshot (migration 6), not as spans: read each snapshot's.
    yield { ref, state: stateFromRows(ref, owners, interfaces, pairs, unreadable), gaps: gaps.get(ref.row) ?? [], owners: withOwners ? named(ref.row) : null, routing: loadRouting(db, ref.row) };
  }
}
