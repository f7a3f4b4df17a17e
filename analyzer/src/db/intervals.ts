import type { Database, Statement } from 'better-sqlite3';

/**
 * The interval model (docs/schema.md): a fact of a host — a namespace, a handle, a container, a
 * process, an interface, a link, an nsid, a namespace's routing list, a runtime's name — is one row that holds for a span of that host's
 * snapshots, in their order (taken_at, then row id). `first`/`first_at` and `last`/`last_at` name
 * the span's ends; an open span (`last_at` = OPEN_AT, `last` = 0) goes on to the host's newest
 * snapshot. A snapshot that changes nothing writes no fact row.
 */
export const OPEN_AT = '~';

/** A span table and the columns that make up its fact (equal columns: the same fact). */
export interface SpanTable {
  name: string;
  columns: readonly string[];
}

export const SPAN_TABLES = {
  namespaces: { name: 'namespace_spans', columns: ['inode', 'is_host', 'captured', 'problem', 'entered_via', 'entered_path'] },
  handles: { name: 'handle_spans', columns: ['netns', 'kind', 'path', 'name', 'error'] },
  containers: { name: 'container_spans', columns: ['netns', 'runtime', 'container_id', 'pod_uid', 'cgroup_version'] },
  processes: { name: 'process_spans', columns: ['pid', 'netns', 'netns_error', 'comm', 'start_time', 'container_runtime', 'container_id'] },
  interfaces: {
    name: 'interface_spans',
    columns: ['iface', 'netns', 'ifindex', 'ifname', 'kind', 'slave_kind', 'master', 'link_index', 'link_netnsid', 'link_name', 'link_netns_name', 'mtu',
      'operstate', 'flags', 'address', 'link_type', 'alias', 'altnames', 'underlay', 'addresses'],
  },
  links: { name: 'link_spans', columns: ['relation', 'a', 'b', 'status', 'method', 'detail', 'candidates'] },
  nsids: { name: 'nsid_spans', columns: ['observer', 'nsid', 'target', 'method'] },
} as const satisfies Record<string, SpanTable>;

/**
 * Span tables of migration 8: a namespace's routes, rules and neighbours (the content-addressed set it
 * referenced) and the runtimes' pod and container names, per snapshot until then.
 */
export const NAME_SPAN_TABLES = {
  routing: { name: 'routing_spans', columns: ['netns', 'kind', 'routing_set'] },
  runtimePods: { name: 'runtime_pod_spans', columns: ['pod_uid', 'namespace', 'name'] },
  runtimeContainers: { name: 'runtime_container_spans', columns: ['source', 'container_id', 'name', 'image', 'pod_uid', 'pod_namespace', 'pod_name'] },
} as const satisfies Record<string, SpanTable>;

/** Every span table of the current schema: what a snapshot's ingest writes and its delete trims. */
export const ALL_SPAN_TABLES = { ...SPAN_TABLES, ...NAME_SPAN_TABLES } as const;

export type FactKind = keyof typeof ALL_SPAN_TABLES;
/** One fact: its columns' values in `ALL_SPAN_TABLES[kind].columns` order, as SQLite stores them. */
export type Fact = (string | number | null)[];
export type Facts = Record<FactKind, Fact[]>;

/**
 * A fact as a key for equality: each value with its type and length, so that no text can pass for
 * other values (hostile names reach here). Cheaper than JSON.stringify, which escapes every character.
 */
export function factKey(fact: Fact): string {
  let key = '';
  for (const v of fact) key += v === null ? 'z' : typeof v === 'number' ? `n${v};` : `s${v.length}:${v}`;
  return key;
}

/** A snapshot's place in its host's order. */
export interface SnapshotPoint {
  row: number;
  at: string;
}

/**
 * `x` holds at snapshot (@at, @row) of its host: (first_at, first) <= (at, row) <= (last_at, last).
 * The first two terms are what the (host, last_at, first_at) index ranges over.
 */
export const holdsAt = (x: string, at = '@at', row = '@row') =>
  `${x}.last_at >= ${at} AND ${x}.first_at <= ${at} AND (${x}.first_at < ${at} OR ${x}.first <= ${row}) AND (${x}.last_at > ${at} OR ${x}.last >= ${row})`;

const SPAN_COLUMNS = 'id INTEGER PRIMARY KEY, host INTEGER NOT NULL REFERENCES hosts(id), first INTEGER NOT NULL, first_at TEXT NOT NULL, last INTEGER NOT NULL, last_at TEXT NOT NULL';

/** The span tables' DDL (migration 5: `SPAN_TABLES`; migration 8: `NAME_SPAN_TABLES`). */
export function spanTablesSql(tables: Record<string, SpanTable> = SPAN_TABLES): string {
  const types: Record<string, string> = {
    inode: 'INTEGER NOT NULL', is_host: 'INTEGER NOT NULL', captured: 'INTEGER NOT NULL', problem: 'TEXT', entered_via: 'TEXT', entered_path: 'TEXT',
    netns: 'INTEGER', kind: 'TEXT', path: 'TEXT NOT NULL', name: 'TEXT', error: 'TEXT',
    runtime: 'TEXT NOT NULL', container_id: 'TEXT', pod_uid: 'TEXT', cgroup_version: 'INTEGER NOT NULL',
    pid: 'INTEGER NOT NULL', netns_error: 'TEXT', comm: 'TEXT', start_time: 'INTEGER', container_runtime: 'TEXT',
    iface: 'INTEGER NOT NULL', ifindex: 'INTEGER NOT NULL', ifname: 'TEXT NOT NULL', slave_kind: 'TEXT', master: 'TEXT', link_index: 'INTEGER',
    link_netnsid: 'INTEGER', link_name: 'TEXT', link_netns_name: 'TEXT', mtu: 'INTEGER', operstate: 'TEXT', flags: 'TEXT NOT NULL', address: 'TEXT',
    link_type: 'TEXT', alias: 'TEXT', altnames: 'TEXT NOT NULL', underlay: 'ANY', addresses: 'TEXT NOT NULL',
    relation: 'TEXT NOT NULL', a: 'INTEGER NOT NULL', b: 'INTEGER', status: 'TEXT NOT NULL', method: 'TEXT', detail: 'TEXT', candidates: 'TEXT NOT NULL',
    observer: 'INTEGER NOT NULL', nsid: 'INTEGER NOT NULL', target: 'INTEGER NOT NULL',
    routing_set: 'INTEGER NOT NULL REFERENCES routing_sets(id)', namespace: 'TEXT', source: 'TEXT NOT NULL', image: 'TEXT', pod_namespace: 'TEXT', pod_name: 'TEXT',
  };
  // Columns whose type differs between tables.
  const own: Record<string, Record<string, string>> = {
    handle_spans: { kind: 'TEXT NOT NULL' },
    container_spans: { container_id: 'TEXT NOT NULL' },
    nsid_spans: { method: 'TEXT NOT NULL' },
    interface_spans: { netns: 'INTEGER NOT NULL' },
    routing_spans: { netns: 'INTEGER NOT NULL', kind: "TEXT NOT NULL CHECK (kind IN ('routes', 'rules', 'neighbours'))" },
    runtime_pod_spans: { pod_uid: 'TEXT NOT NULL' },
    runtime_container_spans: { container_id: 'TEXT NOT NULL' },
  };
  return Object.values(tables)
    .map((t: SpanTable) => {
      const cols = t.columns.map((c) => `${c} ${own[t.name]?.[c] ?? types[c]}`).join(', ');
      return `CREATE TABLE ${t.name} (${SPAN_COLUMNS}, ${cols}) STRICT;
CREATE INDEX ${t.name}_held ON ${t.name}(host, last_at, first_at);
CREATE INDEX ${t.name}_first ON ${t.name}(first);`;
    })
    .join('\n');
}

interface SpanRow {
  id: number;
  last: number;
  last_at: string;
  fact: Fact;
  key: string;
}

/**
 * Applies made through any span writer, per connection: a writer's remembered spans are good only
 * while no other writer on its connection applied since (two inserters, or a migration, on one database).
 */
const applies = new WeakMap<Database, { count: number }>();

/** Writes one snapshot's facts into the span tables: extends, splits, merges and opens spans. */
export interface SpanWriter<K extends string = FactKind> {
  /** Call inside the transaction that inserted the snapshot row. */
  apply(host: number, snap: SnapshotPoint, facts: Record<K, Fact[]>): void;
}

/**
 * Ids bound as one JSON array per statement, so a statement serves any count: chunks bound the
 * text one binding carries (a snapshot that changes everything closes every span it held).
 */
export const ID_CHUNK = 10_000;

export function spanWriter<K extends string = FactKind>(db: Database, tables: Record<K, SpanTable> = ALL_SPAN_TABLES as unknown as Record<K, SpanTable>): SpanWriter<K> {
  const neighbour = {
    prev: db.prepare(`SELECT id AS row, taken_at AS at FROM snapshots WHERE host = @host AND (taken_at < @at OR (taken_at = @at AND id < @row))
      ORDER BY taken_at DESC, id DESC LIMIT 1`),
    next: db.prepare(`SELECT id AS row, taken_at AS at FROM snapshots WHERE host = @host AND (taken_at > @at OR (taken_at = @at AND id > @row))
      ORDER BY taken_at, id LIMIT 1`),
  };
  const kinds = Object.keys(tables) as K[];
  const statements = new Map<K, Record<'held' | 'insert' | 'setLast' | 'closeAll' | 'setFirst' | 'remove', Statement>>();
  for (const kind of kinds) {
    const t: SpanTable = tables[kind];
    statements.set(kind, {
      held: db.prepare(`SELECT id, first, first_at, last, last_at, ${t.columns.join(', ')} FROM ${t.name} x WHERE x.host = @host AND ${holdsAt('x')}`).raw(),
      insert: db.prepare(`INSERT INTO ${t.name} (host, first, first_at, last, last_at, ${t.columns.join(', ')}) VALUES (${Array(5 + t.columns.length).fill('?').join(', ')})`),
      setLast: db.prepare(`UPDATE ${t.name} SET last = ?, last_at = ? WHERE id = ?`),
      closeAll: db.prepare(`UPDATE ${t.name} SET last = ?, last_at = ? WHERE id IN (SELECT value FROM json_each(?))`),
      setFirst: db.prepare(`UPDATE ${t.name} SET first = ?, first_at = ? WHERE id = ?`),
      remove: db.prepare(`DELETE FROM ${t.name} WHERE id = ?`),
    });
  }
  const held = (st: Statement, host: number, p: SnapshotPoint | undefined): Map<number, SpanRow> => {
    const out = new Map<number, SpanRow>();
    if (!p) return out;
    for (const r of st.all({ host, at: p.at, row: p.row }) as (string | number | null)[][]) {
      const fact = r.slice(5);
      out.set(r[0] as number, { id: r[0] as number, last: r[3] as number, last_at: r[4] as string, fact, key: factKey(fact) });
    }
    return out;
  };
  const shared = applies.get(db) ?? { count: 0 };
  applies.set(db, shared);
  /**
   * The spans held at the snapshot this writer applied last, when it was its host's newest: the next
   * snapshot of an ingest in time order finds them here instead of reading them back (that read was
   * 13% of ingest: bench/analyzer.mjs). Good only while the database is as that apply left it: the
   * same previous snapshot (a rolled-back apply's row is gone, so another one is the previous), no
   * commit by another connection (`data_version`), no apply by another writer on this connection.
   */
  let remembered: { host: number; point: SnapshotPoint; dataVersion: number; applies: number; held: Map<K, Map<number, SpanRow>> } | null = null;
  const version = db.prepare('PRAGMA data_version').pluck();
  const dataVersion = () => version.get() as number;

  return {
    apply(host, snap, facts) {
      const prev = neighbour.prev.get({ host, ...snap }) as SnapshotPoint | undefined;
      const next = neighbour.next.get({ host, ...snap }) as SnapshotPoint | undefined;
      const r = remembered;
      const known =
        r !== null && prev !== undefined && r.host === host && r.point.row === prev.row && r.point.at === prev.at && r.applies === shared.count && r.dataVersion === dataVersion()
          ? r.held
          : null;
      remembered = null;
      shared.count += 1;
      // What this snapshot holds, when it is the newest: every span it keeps or opens, open.
      const heldNow = next ? null : new Map<K, Map<number, SpanRow>>();
      // The newest snapshot opens what it starts; one ingested between two others closes at itself.
      const end: [number, string] = next ? [snap.row, snap.at] : [0, OPEN_AT];
      for (const kind of kinds) {
        const st = statements.get(kind) as NonNullable<ReturnType<typeof statements.get>>;
        const now = new Map<number, SpanRow>();
        heldNow?.set(kind, now);
        const keep = (id: number, fact: Fact, key: string) => now.set(id, { id, last: 0, last_at: OPEN_AT, fact, key });
        // The snapshot's facts as a multiset: two equal handles are two rows, as they were.
        const wanted = new Map<string, { fact: Fact; count: number }>();
        for (const fact of facts[kind]) {
          const key = factKey(fact);
          const w = wanted.get(key);
          if (w) w.count += 1;
          else wanted.set(key, { fact, count: 1 });
        }
        const take = (key: string) => {
          const w = wanted.get(key);
          if (!w || w.count === 0) return false;
          w.count -= 1;
          return true;
        };
        const atPrev = known?.get(kind) ?? held(st.held, host, prev);
        const atNext = held(st.held, host, next);
        const extended = new Map<string, SpanRow[]>();
        // Spans that end at the previous snapshot now: closed together below, one statement per chunk.
        const closed: number[] = [];
        // Spans over both neighbours: they go on over this snapshot, or are cut around it.
        for (const s of atPrev.values()) {
          if (!atNext.has(s.id)) continue;
          if (take(s.key)) continue;
          const n = next as SnapshotPoint;
          closed.push(s.id);
          st.insert.run(host, n.row, n.at, s.last, s.last_at, ...s.fact);
        }
        // Spans that end at the previous snapshot (or run open into this one, when it is the newest).
        for (const s of atPrev.values()) {
          if (atNext.has(s.id)) continue;
          const key = s.key;
          if (s.last_at === OPEN_AT) {
            if (!take(key)) closed.push(s.id);
            else if (heldNow) keep(s.id, s.fact, key);
          } else if (take(key)) {
            st.setLast.run(end[0], end[1], s.id);
            extended.set(key, [...(extended.get(key) ?? []), s]);
            if (heldNow) keep(s.id, s.fact, key);
          }
        }
        for (let i = 0; i < closed.length; i += ID_CHUNK) {
          const p = prev as SnapshotPoint;
          st.closeAll.run(p.row, p.at, JSON.stringify(closed.slice(i, i + ID_CHUNK)));
        }
        // Spans that start at the next snapshot: they start here now, or join a span extended above.
        for (const s of atNext.values()) {
          if (atPrev.has(s.id)) continue;
          const key = s.key;
          const joined = extended.get(key)?.pop();
          if (joined) {
            st.setLast.run(s.last, s.last_at, joined.id);
            st.remove.run(s.id);
          } else if (take(key)) {
            st.setFirst.run(snap.row, snap.at, s.id);
          }
        }
        for (const [key, w] of wanted) {
          for (let i = 0; i < w.count; i++) {
            const id = Number(st.insert.run(host, snap.row, snap.at, end[0], end[1], ...w.fact).lastInsertRowid);
            if (heldNow) keep(id, w.fact, key);
          }
        }
      }
      if (heldNow) remembered = { host, point: { row: snap.row, at: snap.at }, dataVersion: dataVersion(), applies: shared.count, held: heldNow };
    },
  };
}

/**
 * Deleting a snapshot trims the spans that end at it and drops those that held only there (a span
 * it was inside of goes on over the gap). Generated per span table for the delete trigger.
 */
export function spanDeleteSql(tables: Record<string, SpanTable> = SPAN_TABLES): string {
  const next = `(SELECT n.id FROM snapshots n WHERE n.host = old.host AND (n.taken_at > old.taken_at OR (n.taken_at = old.taken_at AND n.id > old.id)) ORDER BY n.taken_at, n.id LIMIT 1)`;
  const nextAt = `(SELECT n.taken_at FROM snapshots n WHERE n.host = old.host AND (n.taken_at > old.taken_at OR (n.taken_at = old.taken_at AND n.id > old.id)) ORDER BY n.taken_at, n.id LIMIT 1)`;
  const prev = `(SELECT p.id FROM snapshots p WHERE p.host = old.host AND (p.taken_at < old.taken_at OR (p.taken_at = old.taken_at AND p.id < old.id)) ORDER BY p.taken_at DESC, p.id DESC LIMIT 1)`;
  const prevAt = `(SELECT p.taken_at FROM snapshots p WHERE p.host = old.host AND (p.taken_at < old.taken_at OR (p.taken_at = old.taken_at AND p.id < old.id)) ORDER BY p.taken_at DESC, p.id DESC LIMIT 1)`;
  return Object.values(tables)
    .map(
      (t: SpanTable) => `  DELETE FROM ${t.name} WHERE first = old.id AND (last = old.id OR (last_at = '${OPEN_AT}' AND ${next} IS NULL));
  UPDATE ${t.name} SET first = ${next}, first_at = ${nextAt} WHERE first = old.id;
  UPDATE ${t.name} SET last = ${prev}, last_at = ${prevAt} WHERE host = old.host AND last_at = old.taken_at AND last = old.id;`,
    )
    .join('\n');
}

/**
 * Interfaces are keyed by (host, netns inode, ifindex): the id links and candidates name an end by, in
 * every snapshot. One snapshot's keys are made and read in bulk (a statement per chunk, not two per interface).
 */
export function interfaceKeys(db: Database): (host: number, ends: readonly (readonly [number, number])[]) => Map<string, number> {
  const add = db.prepare(`INSERT INTO interface_keys (host, netns, ifindex) SELECT @host, j.value ->> 0, j.value ->> 1 FROM json_each(@ends) j WHERE true
    ON CONFLICT (host, netns, ifindex) DO NOTHING`);
  // CROSS JOIN keeps the list outside: the planner would otherwise walk every key of the host for each end.
  const read = db.prepare(`SELECT k.netns, k.ifindex, k.id FROM json_each(@ends) j
    CROSS JOIN interface_keys k ON k.host = @host AND k.netns = j.value ->> 0 AND k.ifindex = j.value ->> 1`).raw();
  // Most ends have their key from an earlier snapshot: read first, then make only the missing ones.
  return (host, ends) => {
    const out = new Map<string, number>();
    const readInto = (list: readonly (readonly [number, number])[]) => {
      for (let i = 0; i < list.length; i += ID_CHUNK) {
        for (const [netns, ifindex, id] of read.all({ host, ends: JSON.stringify(list.slice(i, i + ID_CHUNK)) }) as [number, number, number][]) out.set(endKey(netns, ifindex), id);
      }
    };
    readInto(ends);
    const missing = ends.filter(([netns, ifindex]) => !out.has(endKey(netns, ifindex)));
    for (let i = 0; i < missing.length; i += ID_CHUNK) add.run({ host, ends: JSON.stringify(missing.slice(i, i + ID_CHUNK)) });
    readInto(missing);
    return out;
  };
}

/** An interface end as a key of `interfaceKeys`' map. */
export const endKey = (netns: number, ifindex: number) => `${netns}:${ifindex}`;

/** Candidates as stored: their interface keys, sorted, once each. */
export const candidateText = (keys: number[]) => JSON.stringify([...new Set(keys)].sort((x, y) => x - y));
