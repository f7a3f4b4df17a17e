import { createHash } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { toDbText, type Bundle } from '@nsnap/shared';
import { BundleBuilder, type NamespaceSpec, type ProcessSpec } from '../../../test/support/bundle-builder.js';
import { insertV4 } from '../../../test/support/v4-inserter.js';
import { forgetSnapshots } from '../forget/forget.js';
import { snapshotInserter } from '../ingest/insert-snapshot.js';
import { normalizeBundle } from '../ingest/normalize.js';
import { routingRows } from '../ingest/routing-rows.js';
import { checkSelected } from '../query/check-snapshot.js';
import { diffSelected, loadForDiff } from '../query/diff-snapshots.js';
import { historyRange, walkHistory } from '../query/history.js';
import { peersOf } from '../query/peers.js';
import { loadRouting, withRouting } from '../query/routing.js';
import { selectSnapshot } from '../query/select.js';
import { showSnapshot } from '../query/show.js';
import { listSnapshots } from '../query/snapshots.js';
import { whoisAll, whoisAt } from '../query/whois.js';
import { nameHistoryPerSnapshot } from '../query/whois-history.js';
import { renderDot } from '../render/dot.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

/** The version before facts became intervals: the per-snapshot tables. */
const V4 = MIGRATIONS.findIndex((m) => m.name === 'facts stored as intervals of snapshots');
/** The version before routing lists and runtime names became intervals: they were rows per snapshot. */
const V7 = MIGRATIONS.findIndex((m) => m.name === 'routing lists and runtime names stored as intervals of snapshots');

const BOOT_A = '6f1c3c1e-0000-4000-8000-00000000000a';
const BOOT_B = '6f1c3c1e-0000-4000-8000-00000000000b';
const HOST = 4026531840;
const CONTAINER = (n: number) => n.toString(16).padStart(64, 'c');

/** A container: its namespace, its process (with a docker cgroup), its veth end (ifindex 2) and the host end. */
interface Pod {
  inode: number;
  slot: number;
  mtu?: number;
  named?: string;
  uncaptured?: boolean;
  mac?: string;
  /** The default route's gateway (10.0.0.N) when routes, rules and neighbours are captured. */
  gw?: number;
}

/** One snapshot of a host with the given pods, as the collector would bundle it. */
function snapshot(host: string, at: string, boot: string, pods: Pod[], extra: { ambiguous?: boolean } = {}): Bundle {
  const b = new BundleBuilder({ host, takenAt: at, bootId: boot });
  const hostLinks: NonNullable<NamespaceSpec['links']> = [
    { ifindex: 2, ifname: 'eth0', addrs: [{ family: 'inet', local: '10.0.0.5', prefixlen: 24 }] },
    { ifindex: 3, ifname: 'br0', kind: 'bridge' },
  ];
  pods.forEach((p, i) => hostLinks.push({ ifindex: 10 + p.slot, ifname: `veth${p.slot}`, kind: 'veth', linkIndex: 2, linkNetnsid: i, master: 'br0' }));
  if (extra.ambiguous) hostLinks.push({ ifindex: 90, ifname: 'vethx', kind: 'veth', linkIndex: 2, linkNetnsid: 77 });
  b.namespace({ inode: HOST, host: true, links: hostLinks });
  b.process({ pid: 1, netns: HOST, comm: 'systemd' });
  pods.forEach((p) => {
    const spec: NamespaceSpec = p.uncaptured
      ? { inode: p.inode, failure: { reason: 'denied', detail: 'nsenter: Operation not permitted' } }
      : {
          inode: p.inode,
          links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 10 + p.slot, linkNetnsid: 0, mtu: p.mtu, address: p.mac, addrs: [{ family: 'inet', local: `172.17.0.${p.slot}`, prefixlen: 16 }] }],
          ...(p.gw !== undefined
            ? { routing: { routes: [{ dst: 'default', gateway: `10.0.0.${p.gw}`, dev: 'eth0', flags: [] }], rules: [{ priority: 0, src: 'all', table: 'local' }], neighbours: [] } }
            : {}),
        };
    if (p.named) spec.names = [p.named];
    b.namespace(spec);
    const proc: ProcessSpec = { pid: 100 + p.slot, netns: p.inode, comm: `app${p.slot}`, cgroup: `0::/system.slice/docker-${CONTAINER(p.inode % 1000)}.scope` };
    b.process(proc);
  });
  b.lsns(HOST, pods.map((p, i) => ({ inode: p.inode, nsid: i })));
  b.process({ pid: 999, netns: null, comm: 'hidden', netnsError: 'denied' });
  const bundle = b.build();
  // Names from the runtimes' files: each container by its id, named after its gateway (names change with routes).
  const named = pods.filter((p) => p.gw !== undefined);
  if (named.length > 0) {
    bundle.runtimeNames = {
      pods: named.map((p) => ({ uid: `uid-${p.inode % 1000}`, namespace: 'shop', name: `api-${p.gw}` })),
      containers: named.map((p) => ({ source: 'docker' as const, id: CONTAINER(p.inode % 1000), name: `app${p.slot}-gw${p.gw}`, image: 'nginx', pod: null })),
    };
  }
  return bundle;
}


const t = (minute: number) => new Date(Date.parse('2026-11-29T10:00:00Z') + minute * 60_000).toISOString();

/** A host's life: pods come and go, an MTU changes, a namespace is out of sight once, an inode is reused within a boot and across a reboot. */
function scenario(names = true): Bundle[] {
  // Without names: as a collector before routing lists and runtime names wrote them (schema 4 stored none).
  const snap = (host: string, at: string, boot: string, pods: Pod[], extra: { ambiguous?: boolean } = {}) =>
    snapshot(host, at, boot, names ? pods : pods.map(({ gw: _, ...p }) => p), extra);
  const a: Pod = { inode: 4026532701, slot: 1, named: 'blue', gw: 1 };
  const b: Pod = { inode: 4026532702, slot: 2 };
  const c: Pod = { inode: 4026532703, slot: 3 };
  const d: Pod = { inode: 4026532704, slot: 4 };
  return [
    snap('web-1', t(0), BOOT_A, [a, b, c]),
    snap('web-1', t(5), BOOT_A, [a, b, c]),
    // a's default route (and its pod's name) changes at 10:10 and changes back at 10:15.
    snap('web-1', t(10), BOOT_A, [{ ...a, gw: 2 }, { ...b, mtu: 1400 }, c], { ambiguous: true }),
    snap('web-1', t(15), BOOT_A, [a, { ...b, mtu: 1400, uncaptured: true }, c]),
    snap('web-1', t(20), BOOT_A, [a, { ...b, mtu: 1450 }, d]),
    // c's inode given to a new container (slot 5, a new MAC) within the boot.
    snap('web-1', t(25), BOOT_A, [a, { ...b, mtu: 1450 }, d, { inode: c.inode, slot: 5, mac: '02:00:00:00:05:05' }]),
    snap('web-1', t(30), BOOT_A, [a, { ...b, mtu: 1450 }, d, { inode: c.inode, slot: 5, mac: '02:00:00:00:05:05' }]),
    // A reboot: the same inodes again, other containers.
    snap('web-1', t(40), BOOT_B, [{ inode: a.inode, slot: 6 }, { inode: b.inode, slot: 2, named: 'blue' }]),
    snap('web-1', t(45), BOOT_B, [{ inode: a.inode, slot: 6 }, { inode: b.inode, slot: 2, named: 'blue' }]),
    snap('web-2', t(5), BOOT_A, [a, c]),
    snap('web-2', t(10), BOOT_A, [a]),
  ];
}

type Db = Sqlite.Database;
const sha = (b: Bundle) => createHash('sha256').update(JSON.stringify(b)).digest('hex');

function database(version: number): Db {
  const db = new Sqlite(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, version));
  if (version === V4) {
    // Selections ask which snapshots were forgotten: schema 4 kept no record, so none.
    db.exec(FORGOTTEN_SHIM);
    // The migrations after 5 only add tables of their own (routes, runtime names), which the queries
    // read beside the facts: the schema-4 side gets them too, as they are, to compare the facts alone.
    for (const m of MIGRATIONS.slice(V4 + 1, V7)) db.exec(m.sql);
  }
  return db;
}
const FORGOTTEN_SHIM = 'CREATE TABLE forgotten (host TEXT NOT NULL, snapshot_id TEXT NOT NULL, taken_at TEXT NOT NULL) STRICT';

/** Drops what `database(V4)` added beyond schema 4, so that `migrate` can bring it up for real. */
function dropShims(db: Db): void {
  const before = new Sqlite(':memory:');
  migrate(before, MIGRATIONS.slice(0, V4));
  const kept = new Set(before.prepare('SELECT name FROM sqlite_schema').pluck().all() as string[]);
  before.close();
  const added = db.prepare("SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'table') ORDER BY type = 'table', rowid DESC").all() as { type: string; name: string }[];
  for (const o of added) if (!kept.has(o.name)) db.exec(`DROP ${o.type === 'table' ? 'TABLE' : 'TRIGGER'} IF EXISTS "${o.name}"`);
}

function ingest(db: Db, bundles: Bundle[], layout: 'v4' | 'intervals'): void {
  const inserter = layout === 'intervals' ? snapshotInserter(db) : null;
  for (const bundle of bundles) {
    const rows = normalizeBundle(bundle);
    const routing = routingRows(bundle).rows;
    db.transaction(() => {
      if (inserter) inserter.insert(rows, sha(bundle), 1, '2026-11-29T12:00:00.000Z', routing);
      else insertPerSnapshotNames(db, insertV4(db, rows, sha(bundle), 1, '2026-11-29T12:00:00.000Z'), bundle, routing);
    }).immediate();
  }
}

/** Routing lists and runtime names as migrations 6 and 7 stored them, one row per snapshot (their inserters before migration 8). */
function insertPerSnapshotNames(db: Db, snapshot: number, bundle: Bundle, routing: ReturnType<typeof routingRows>['rows']): void {
  const text = (v: string | null | undefined) => (v === null || v === undefined ? null : toDbText(v));
  for (const r of routing) {
    let id = db.prepare('SELECT id FROM routing_sets WHERE kind = ? AND sha256 = ?').pluck().get(r.kind, r.sha256) as number | undefined;
    if (id === undefined) {
      id = Number(db.prepare('INSERT INTO routing_sets (kind, sha256, entries) VALUES (?, ?, ?)').run(r.kind, r.sha256, r.entries.length).lastInsertRowid);
      r.entries.forEach((e, i) => db.prepare('INSERT INTO routing_entries (routing_set, position, key, text) VALUES (?, ?, ?, ?)').run(id, i, toDbText(e.key), toDbText(e.text)));
    }
    db.prepare('INSERT OR IGNORE INTO namespace_routing (snapshot, netns, kind, routing_set) VALUES (?, ?, ?, ?)').run(snapshot, r.netns, r.kind, id);
  }
  for (const p of bundle.runtimeNames?.pods ?? []) db.prepare('INSERT INTO runtime_pods (snapshot, pod_uid, namespace, name) VALUES (?, ?, ?, ?)').run(snapshot, toDbText(p.uid), text(p.namespace), text(p.name));
  for (const c of bundle.runtimeNames?.containers ?? []) {
    db.prepare('INSERT INTO runtime_containers (snapshot, source, container_id, name, image, pod_uid, pod_namespace, pod_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(snapshot, c.source, toDbText(c.id), text(c.name), text(c.image), text(c.pod?.uid), text(c.pod?.namespace), text(c.pod?.name));
  }
}

const NAMES = ['eth0', 'veth1', 'veth2', 'veth3', 'veth5', 'vethx', 'br0', 'nope'];
const WHATS = [...NAMES, '101', '999', '4026532701', '4026532703', `container:${CONTAINER(701).slice(0, 12)}`];

/** Every query's JSON answer on every snapshot of every host, as the CLI's --json prints it. */
function answers(db: Db): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const attempt = (key: string, f: () => unknown) => {
    try {
      out[key] = JSON.parse(JSON.stringify(f()));
    } catch (error) {
      out[key] = { error: (error as Error).message };
    }
  };
  attempt('snapshots', () => listSnapshots(db, null));
  for (const host of ['web-1', 'web-2']) {
    const list = listSnapshots(db, host);
    const refs = list.map((s) => selectSnapshot(db, { snapshot: s.id, host }));
    refs.forEach((ref, i) => {
      attempt(`${host} show ${i}`, () => showSnapshot(db, ref));
      attempt(`${host} show --routes ${i}`, () => withRouting(showSnapshot(db, ref), loadRouting(db, ref.row)));
      attempt(`${host} peers ${i}`, () => peersOf(db, ref));
      attempt(`${host} graph ${i}`, () => renderDot(showSnapshot(db, ref), peersOf(db, ref)));
      attempt(`${host} check ${i}`, () => checkSelected(db, ref).result);
      for (const what of WHATS) attempt(`${host} whois ${what} at ${i}`, () => whoisAt(db, what, { at: ref.takenAt, host, now: new Date(ref.takenAt) }));
      for (const j of [i + 1, refs.length - 1]) if (refs[j]) attempt(`${host} diff ${i} ${j}`, () => diffSelected(db, ref, refs[j] as typeof ref).diff);
    });
    // The row id is the database's own, not in any answer.
    attempt(`${host} @between`, () => ({ ...selectSnapshot(db, { snapshot: `@${t(12)}`, host }), row: undefined }));
    // Schema 4 has no spans: its rows are each snapshot's, as nsnap read them before.
    for (const what of NAMES) attempt(`${host} whois --all ${what}`, () => whoisAll(db, what, host, undefined, layout(db) === 'v4' ? nameHistoryPerSnapshot : undefined));
    for (const verbose of [false, true]) {
      attempt(`${host} history ${verbose}`, () => {
        const steps: unknown[] = [];
        const range = historyRange(db, host, null, null).snapshots;
        // Schema 4 has no intervals to sweep: its history is the definition, every snapshot loaded.
        const states = layout(db) === 'v4' ? range.map((ref) => loadForDiff(db, ref, false)) : undefined;
        walkHistory(db, range, { verbose, withOwners: false }, (step) => steps.push(step), states);
        return steps;
      });
    }
  }
  return out;
}

const layout = (db: Db) => (db.prepare("SELECT type FROM sqlite_schema WHERE name = 'interfaces'").pluck().get() === 'table' ? 'v4' : 'intervals');
const snapshotRow = (db: Db, b: Bundle) => selectSnapshot(db, { snapshot: b.snapshotId, host: null });

describe('facts as intervals answer every query as the per-snapshot tables did', () => {
  const bundles = scenario();
  // Out of time order: the newest first, a middle one last, the second host interleaved.
  const shuffled = [bundles[8], bundles[0], bundles[10], bundles[6], bundles[2], bundles[9], bundles[4], bundles[1], bundles[7], bundles[3], bundles[5]] as Bundle[];

  it('in order and out of order, the same answers as schema 4 on every snapshot', () => {
    const old = database(V4);
    ingest(old, bundles, 'v4');
    const expected = answers(old);
    for (const order of [bundles, shuffled, [...bundles].reverse()]) {
      const db = database(MIGRATIONS.length);
      ingest(db, order, 'intervals');
      expect(answers(db)).toEqual(expected);
    }
    // The scenario has answers worth comparing: changes, an uncertain or reused inode, a gap.
    const history = expected['web-1 history false'] as { counts: { interfaces: { changed: number } } }[];
    expect(history).toHaveLength(8);
    expect(history.some((s) => s.counts.interfaces.changed > 0)).toBe(true);
    expect((expected['web-1 whois --all veth2'] as { periods: unknown[] }).periods.length).toBeGreaterThan(0);
    // And routing lists and runtime names that change and change back: the diffs across them say so.
    const routingChanged = (k: string) => (expected[k] as { routing: { changed: unknown[] } }).routing.changed.length;
    expect([routingChanged('web-1 diff 1 2'), routingChanged('web-1 diff 2 3'), routingChanged('web-1 diff 0 1')]).toEqual([1, 1, 0]);
    expect(JSON.stringify(expected['web-1 show 2'])).toContain('"name":"app1-gw2"');
    expect(JSON.stringify(expected['web-1 show 3'])).toContain('"name":"app1-gw1"');
  });

  it('stores a fact once for the span it held: an unchanged snapshot adds no fact row', () => {
    const db = database(MIGRATIONS.length);
    ingest(db, bundles.slice(0, 1), 'intervals');
    const rows = () => db.prepare("SELECT sum(n) FROM (SELECT count(*) AS n FROM interface_spans UNION ALL SELECT count(*) FROM link_spans UNION ALL SELECT count(*) FROM namespace_spans UNION ALL SELECT count(*) FROM process_spans UNION ALL SELECT count(*) FROM routing_spans UNION ALL SELECT count(*) FROM runtime_pod_spans UNION ALL SELECT count(*) FROM runtime_container_spans)").pluck().get() as number;
    const before = rows();
    ingest(db, bundles.slice(1, 2), 'intervals');
    expect(rows()).toBe(before);
  });

  it('forget trims and splits spans: the same answers as schema 4 after the same forgets, and again after re-ingest', () => {
    const old = database(V4);
    ingest(old, bundles, 'v4');
    const db = database(MIGRATIONS.length);
    ingest(db, shuffled, 'intervals');
    // A middle snapshot, the newest and the oldest of web-1, and the only change of web-2's second.
    // Schema 4 kept no record of what was forgotten: a time only a forgotten snapshot answered is refused
    // now (web-2 at 10:12, once its 10:10 is gone), where schema 4 answered from an older one. Only that differs.
    const refusedAfter = [[], [], [], ['web-2 @between']];
    for (const [i, b] of ([bundles[4], bundles[8], bundles[0], bundles[10]] as Bundle[]).entries()) {
      forgetSnapshots(old, [snapshotRow(old, b)]);
      forgetSnapshots(db, [snapshotRow(db, b)]);
      const expected = answers(old);
      const withForgotten = answers(db);
      if (i === 0) {
        // An answer over the forgotten snapshot says so: the diff across it, the periods of a name over it.
        const last = Object.keys(withForgotten).filter((k) => k.startsWith('web-1 diff 0 ')).sort().pop() as string;
        expect((withForgotten[last] as { forgotten?: unknown }).forgotten).toEqual({ snapshots: 1, from: t(20), to: t(20) });
        expect((withForgotten['web-1 whois --all eth0'] as { periods: { forgotten?: unknown }[] }).periods.some((p) => p.forgotten)).toBe(true);
      }
      // Schema 4 kept no record of forgotten snapshots: apart from saying so, the same answers.
      const got = JSON.parse(JSON.stringify(withForgotten, (k, v: unknown) => (k === 'forgotten' ? undefined : v))) as Record<string, unknown>;
      const refused = Object.keys(got).filter((k) => /is gone/.test(String((got[k] as { error?: string }).error)));
      expect(refused).toEqual(refusedAfter[i]);
      for (const k of refused) delete got[k], delete expected[k];
      expect(got).toEqual(expected);
    }
    ingest(old, [bundles[0], bundles[4], bundles[10]] as Bundle[], 'v4');
    ingest(db, [bundles[10], bundles[4], bundles[0]] as Bundle[], 'intervals');
    expect(answers(db)).toEqual(answers(old));
    // Every span ends at snapshots that are there (or is open).
    for (const table of ['interface_spans', 'link_spans', 'namespace_spans', 'process_spans', 'handle_spans', 'container_spans', 'nsid_spans', 'routing_spans', 'runtime_pod_spans', 'runtime_container_spans']) {
      expect(db.prepare(`SELECT count(*) FROM ${table} WHERE first NOT IN (SELECT id FROM snapshots) OR (last_at <> '~' AND last NOT IN (SELECT id FROM snapshots))`).pluck().get()).toBe(0);
    }
  });

  it('deleting every snapshot of a host in the sqlite3 shell (foreign keys off) leaves no span, key or host behind', () => {
    const db = database(MIGRATIONS.length);
    db.pragma('foreign_keys = OFF');
    ingest(db, shuffled, 'intervals');
    db.prepare("DELETE FROM snapshots WHERE host = (SELECT id FROM hosts WHERE label = 'web-2')").run();
    const web2 = db.prepare("SELECT id FROM hosts WHERE label = 'web-2'").pluck().get();
    expect(web2).toBeUndefined();
    const left = db.prepare('SELECT count(*) FROM interface_spans WHERE host NOT IN (SELECT id FROM hosts)').pluck().get();
    expect(left).toBe(0);
    expect(db.prepare('SELECT count(*) FROM interface_keys WHERE host NOT IN (SELECT id FROM hosts)').pluck().get()).toBe(0);
    db.pragma('foreign_keys = ON');
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('a time whose snapshot was forgotten is refused, saying it is gone; a time before it still answers from the snapshot then', () => {
    const db = database(MIGRATIONS.length);
    ingest(db, bundles.slice(0, 5), 'intervals');
    forgetSnapshots(db, [snapshotRow(db, bundles[2] as Bundle)]);
    expect(() => selectSnapshot(db, { snapshot: `@${t(12)}`, host: 'web-1' })).toThrow(/state at .* is gone: snapshot .* was forgotten/);
    expect(() => whoisAt(db, 'veth2', { at: t(12), host: 'web-1' })).toThrow(/is gone/);
    expect(selectSnapshot(db, { snapshot: `@${t(7)}`, host: 'web-1' }).id).toBe((bundles[1] as Bundle).snapshotId);
    expect(selectSnapshot(db, { snapshot: `@${t(16)}`, host: 'web-1' }).id).toBe((bundles[3] as Bundle).snapshotId);
    // Taken again, it answers again.
    ingest(db, [bundles[2] as Bundle], 'intervals');
    expect(selectSnapshot(db, { snapshot: `@${t(12)}`, host: 'web-1' }).id).toBe((bundles[2] as Bundle).snapshotId);
  });

  it('migration 5 converts a database of schema 4 in place: the same answers after as before', () => {
    // Schema 4 stored no routing lists or runtime names: bundles of its time (migration 8's conversion is in routing-cascade.test.ts).
    const bundles = scenario(false);
    const shuffled = [bundles[8], bundles[0], bundles[10], bundles[6], bundles[2], bundles[9], bundles[4], bundles[1], bundles[7], bundles[3], bundles[5]] as Bundle[];
    const db = database(V4);
    ingest(db, shuffled, 'v4');
    forgetSnapshots(db, [snapshotRow(db, bundles[4] as Bundle)]);
    const before = answers(db);
    dropShims(db);
    expect(migrate(db)).toEqual({ from: V4, to: MIGRATIONS.length });
    expect(db.prepare("SELECT type FROM sqlite_schema WHERE name = 'interfaces'").pluck().get()).toBe('view');
    expect(answers(db)).toEqual(before);
    // And it goes on: the forgotten one back, out of order.
    ingest(db, [bundles[4] as Bundle], 'intervals');
    const fresh = database(MIGRATIONS.length);
    ingest(fresh, bundles, 'intervals');
    expect(answers(db)).toEqual(answers(fresh));
  });
});
