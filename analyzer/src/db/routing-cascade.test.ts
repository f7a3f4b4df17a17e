import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Bundle } from '@nsnap/shared';
import { BundleBuilder } from '../../../test/support/bundle-builder.js';
import { assertNoFullScan, planOf } from '../../../test/support/query-plan.js';
import { forgetSnapshots } from '../forget/forget.js';
import { bundleIngester } from '../ingest/ingest.js';
import { routingRows } from '../ingest/routing-rows.js';
import { ROUTING_SQL, loadRouting } from '../query/routing.js';
import { RUNTIME_NAMES_SQL } from '../query/runtime-names.js';
import { selectSnapshot } from '../query/select.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

const HOST = 4026531840;
const POD = 4026532701;
const t = (minute: number) => new Date(Date.parse('2026-11-29T10:00:00Z') + minute * 60_000).toISOString();
const ROUTE = (gw: number) => ({ dst: 'default', gateway: `10.0.0.${gw}`, dev: 'eth0', flags: [] });

/** A host and one pod whose default route goes via `gw`, with names from the runtimes' files when `names` is given. */
function bundle(minute: number, gw: number, names?: { pod: string; container: string }): Bundle {
  const b = new BundleBuilder({ host: 'web-1', takenAt: t(minute), bootId: '6f1c3c1e-0000-4000-8000-00000000000a' })
    .namespace({ inode: HOST, host: true, links: [{ ifindex: 2, ifname: 'eth0' }], routing: { routes: [ROUTE(254)], rules: [{ priority: 0, src: 'all', table: 'local' }], neighbours: [] } })
    .namespace({ inode: POD, links: [{ ifindex: 2, ifname: 'eth0' }], routing: { routes: [ROUTE(gw)], rules: [{ priority: 0, src: 'all', table: 'local' }], neighbours: [] } })
    .process({ pid: 1, netns: HOST, comm: 'systemd' })
    .build();
  if (names) {
    b.runtimeNames = {
      pods: [{ uid: 'uid-1', namespace: 'shop', name: names.pod }],
      containers: [{ source: 'docker', id: 'c'.repeat(64), name: names.container, image: 'nginx', pod: null }],
    };
  }
  return b;
}

type Db = Sqlite.Database;

/** Through the ingest of `nsnap ingest` (validation, one parse per dump, the content check); the outcome of each. */
function ingest(db: Db, bundles: Bundle[]): string[] {
  const ingester = bundleIngester(db);
  return bundles.map((b) => {
    const o = ingester.ingest(b.snapshotId, () => Buffer.from(JSON.stringify(b)));
    return o.outcome === 'failed' ? `failed: ${o.reason}` : o.outcome;
  });
}

const rowOf = (db: Db, b: Bundle) => db.prepare('SELECT id FROM snapshots WHERE snapshot_id = ?').pluck().get(b.snapshotId) as number;
/** What each held snapshot answers: its routing lists and names, against what its bundle holds. */
function expectHeld(db: Db, bundles: Bundle[]): void {
  const names = db.prepare('SELECT pod_uid, namespace, name FROM runtime_pods WHERE snapshot = ? ORDER BY id');
  const containers = db.prepare('SELECT source, container_id, name, image FROM runtime_containers WHERE snapshot = ? ORDER BY id');
  for (const b of bundles) {
    const row = rowOf(db, b);
    const expected = new Map(routingRows(b).rows.map((r) => [`${r.netns} ${r.kind}`, r.entries]));
    const got = new Map([...loadRouting(db, row)].flatMap(([netns, lists]) => Object.entries(lists).map(([kind, entries]) => [`${netns} ${kind}`, entries])));
    expect(got, b.snapshotId).toEqual(expected);
    expect(names.all(row), b.snapshotId).toEqual((b.runtimeNames?.pods ?? []).map((p) => ({ pod_uid: p.uid, namespace: p.namespace, name: p.name })));
    expect(containers.all(row), b.snapshotId).toEqual((b.runtimeNames?.containers ?? []).map((c) => ({ source: c.source, container_id: c.id, name: c.name, image: c.image })));
  }
}

const count = (db: Db, table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
const SPANS = ['routing_spans', 'runtime_pod_spans', 'runtime_container_spans'];
const noDanglingEnds = (db: Db) => {
  for (const table of SPANS) {
    expect(db.prepare(`SELECT count(*) FROM ${table} WHERE first NOT IN (SELECT id FROM snapshots) OR (last_at <> '~' AND last NOT IN (SELECT id FROM snapshots))`).pluck().get(), table).toBe(0);
  }
  // A set no span references is gone, and its entries with it.
  expect(count(db, 'routing_sets WHERE id NOT IN (SELECT routing_set FROM routing_spans)')).toBe(0);
  expect(count(db, 'routing_entries WHERE routing_set NOT IN (SELECT id FROM routing_sets)')).toBe(0);
};

describe('routing lists and runtime names as spans', () => {
  const names = { pod: 'api', container: 'web' };
  // The pod's route changes at 10:10 and changes back at 10:15; its names change at 10:10 and come back at 10:15.
  const bundles = [bundle(0, 1, names), bundle(5, 1, names), bundle(10, 2, { pod: 'api', container: 'web-2' }), bundle(15, 1, names), bundle(20, 1, names)];

  it('an unchanged snapshot adds no span row; a list that changes and changes back is two spans of one set', () => {
    const db = new Sqlite(':memory:');
    migrate(db);
    ingest(db, bundles.slice(0, 1));
    const spans = () => SPANS.map((s) => count(db, s));
    const first = spans();
    ingest(db, bundles.slice(1, 2));
    expect(spans()).toEqual(first);
    ingest(db, bundles.slice(2));
    // Routes via .1 over 10:00-10:05 and from 10:15 on: two spans of one set; via .2 one span of another.
    const routeSpans = db.prepare("SELECT routing_set, first, last FROM routing_spans WHERE netns = ? AND kind = 'routes' ORDER BY first").raw().all(POD) as number[][];
    expect(routeSpans).toHaveLength(3);
    expect(routeSpans[0]![0]).toBe(routeSpans[2]![0]);
    expect(routeSpans[1]![0]).not.toBe(routeSpans[0]![0]);
    expect(count(db, "routing_sets WHERE kind = 'routes'")).toBe(3);
    expectHeld(db, bundles);
  });

  const orders: [string, Bundle[]][] = [
    ['in order', bundles],
    ['out of order', [bundles[4], bundles[0], bundles[2], bundles[3], bundles[1]] as Bundle[]],
    ['newest first', [...bundles].reverse()],
  ];
  for (const [name, order] of orders) {
    it(`${name}: every snapshot reads its own lists and names, after a forget in the middle, a raw delete and re-ingest`, () => {
      const db = new Sqlite(':memory:');
      migrate(db);
      expect(ingest(db, order)).toEqual(order.map(() => 'ingested'));
      expectHeld(db, bundles);
      // Re-ingesting the same content is skipped and changes nothing.
      const before = SPANS.map((s) => count(db, s));
      expect(ingest(db, order)).toEqual(order.map(() => 'skipped'));
      expect(SPANS.map((s) => count(db, s))).toEqual(before);

      forgetSnapshots(db, [selectSnapshot(db, { snapshot: (bundles[2] as Bundle).snapshotId, host: null })]);
      const held = bundles.filter((_, i) => i !== 2);
      expectHeld(db, held);
      noDanglingEnds(db);
      // The set only the forgotten snapshot used is gone.
      expect(count(db, "routing_sets WHERE kind = 'routes'")).toBe(2);

      db.pragma('foreign_keys = OFF');
      db.prepare('DELETE FROM snapshots WHERE id = ?').run(rowOf(db, bundles[4] as Bundle));
      db.pragma('foreign_keys = ON');
      expectHeld(db, held.slice(0, 3));
      noDanglingEnds(db);
      expect(db.pragma('foreign_key_check')).toEqual([]);

      ingest(db, [bundles[4], bundles[2]] as Bundle[]);
      expectHeld(db, bundles);
      noDanglingEnds(db);
      db.prepare('DELETE FROM snapshots').run();
      expect([...SPANS, 'routing_sets', 'routing_entries', 'interface_keys', 'hosts'].map((s) => count(db, s))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    });
  }

  it('migration 8 converts the per-snapshot rows of schema 7 in place: each snapshot reads the same rows after as before', () => {
    const db = new Sqlite(':memory:');
    migrate(db, MIGRATIONS.slice(0, 7));
    const snap = db.prepare(`INSERT INTO snapshots (snapshot_id, host, taken_at, taken_end, hostname, root, uid, tags, collector_name, collector_version, collector_mode, content_sha256, json_bytes, ingested_at)
      VALUES (?, 1, ?, ?, 'web-1', 1, 0, '{}', 'nsnap-collect', '0.1.0', 'live', ?, 1, ?)`);
    const set = db.prepare("INSERT INTO routing_sets (kind, sha256, entries) VALUES ('routes', ?, 1) RETURNING id").pluck();
    const entry = db.prepare('INSERT INTO routing_entries (routing_set, position, key, text) VALUES (?, 0, ?, ?)');
    const use = db.prepare("INSERT INTO namespace_routing (snapshot, netns, kind, routing_set) VALUES (?, ?, 'routes', ?)");
    const pod = db.prepare('INSERT INTO runtime_pods (snapshot, pod_uid, namespace, name) VALUES (?, ?, ?, ?)');
    const ctr = db.prepare("INSERT INTO runtime_containers (snapshot, source, container_id, name, image, pod_uid, pod_namespace, pod_name) VALUES (?, 'containerd', ?, ?, NULL, ?, 'shop', 'api')");
    db.prepare("INSERT INTO hosts (id, label) VALUES (1, 'web-1')").run();
    const sets = [1, 2].map((n) => {
      const id = set.get(`${n}`.repeat(64)) as number;
      entry.run(id, `k${n}`, `default via 10.0.0.${n}`);
      return id;
    });
    // Taken out of order, with a list that changes and changes back, and a name that is there twice.
    const plan = [[3, 0, 'api'], [0, 0, 'api'], [1, 1, 'api'], [2, 0, null], [4, 0, 'api']] as const;
    for (const [minute, which, name] of plan) {
      const row = Number(snap.run(`s${minute}`, t(minute), t(minute), `sha-${minute}`, t(99)).lastInsertRowid);
      use.run(row, POD, sets[which]);
      use.run(row, HOST, sets[0]);
      pod.run(row, 'uid-1', 'shop', name);
      ctr.run(row, 'a'.repeat(64), name, 'uid-1');
      ctr.run(row, 'a'.repeat(64), name, 'uid-1');
    }
    const read = (snapshot: number) => ({
      routing: db.prepare('SELECT netns, kind, routing_set FROM namespace_routing WHERE snapshot = ? ORDER BY netns, kind').all(snapshot),
      pods: db.prepare('SELECT snapshot, pod_uid, namespace, name FROM runtime_pods WHERE snapshot = ?').all(snapshot),
      containers: db.prepare('SELECT snapshot, source, container_id, name, image, pod_uid, pod_namespace, pod_name FROM runtime_containers WHERE snapshot = ?').all(snapshot),
    });
    const rows = db.prepare('SELECT id FROM snapshots ORDER BY id').pluck().all() as number[];
    const before = rows.map(read);
    expect(migrate(db)).toEqual({ from: 7, to: MIGRATIONS.length });
    expect(db.prepare("SELECT type FROM sqlite_schema WHERE name = 'namespace_routing'").pluck().get()).toBe('view');
    expect(rows.map(read)).toEqual(before);
    // Five snapshots, three spans of the pod's routes (.1, .2, .1 again), one of the host's.
    expect(count(db, 'routing_spans')).toBe(4);
    expect(count(db, 'runtime_container_spans')).toBe(2 * 3);
    noDanglingEnds(db);
  });

  it('are read for a snapshot through indexes, and the delete trigger finds an unused set through one', () => {
    const db = new Sqlite(':memory:');
    migrate(db);
    // Without statistics, as a new database is planned: a few rows of statistics make a scan the cheaper plan.
    const tables = [...SPANS, 'routing_entries', 'routing_sets', 'snapshots'];
    assertNoFullScan(planOf(db, ROUTING_SQL, [1]), tables);
    for (const sql of Object.values(RUNTIME_NAMES_SQL)) {
      assertNoFullScan(planOf(db, sql, sql.includes('@') ? { snapshot: 1, uid: 'u', name: 'n', namespace: 'ns' } : [1, 'x']), tables);
    }
    const unused = planOf(db, 'DELETE FROM routing_sets WHERE id = ? AND NOT EXISTS (SELECT 1 FROM routing_spans WHERE routing_set = ?)', [1, 1]);
    assertNoFullScan(unused, tables);
    expect(unused.join(' | ')).toMatch(/routing_spans USING COVERING INDEX routing_spans_set/);
  });
});
