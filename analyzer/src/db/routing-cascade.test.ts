import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { routingInserter } from '../ingest/insert-routing.js';
import { ROUTING_SQL } from '../query/routing.js';
import { assertNoFullScan, planOf } from '../../../test/support/query-plan.js';
import { migrate } from './migrate.js';

function snapshot(db: Sqlite.Database, row: number) {
  db.prepare('INSERT OR IGNORE INTO hosts (id, label) VALUES (1, ?)').run('web-1');
  db.prepare(`INSERT INTO snapshots (id, snapshot_id, host, taken_at, taken_end, hostname, root, uid, tags, collector_name, collector_version, collector_mode, content_sha256, json_bytes, ingested_at)
    VALUES (?, ?, 1, '2026-11-29T10:00:00.000Z', '2026-11-29T10:00:01.000Z', 'web-1', 1, 0, '{}', 'nsnap-collect', '0.1.0', 'live', ?, 1, '2026-11-29T10:00:02.000Z')`).run(row, `s${row}`, `sha-${row}`);
}

const counts = (db: Sqlite.Database) => Object.fromEntries(['routing_sets', 'routing_entries', 'namespace_routing'].map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()]));

describe('routing lists stored by content', () => {
  for (const foreignKeys of ['ON', 'OFF']) {
    it(`are shared between snapshots and go with the last one that uses them (foreign keys ${foreignKeys})`, () => {
      const db = new Sqlite(':memory:');
      db.pragma(`foreign_keys = ${foreignKeys}`);
      migrate(db);
      const insert = routingInserter(db);
      const shared = { netns: 5, kind: 'routes' as const, sha256: 'a'.repeat(64), entries: [{ key: 'k1', text: 'r1' }, { key: 'k2', text: 'r2' }] };
      const own = { netns: 5, kind: 'neighbours' as const, sha256: 'b'.repeat(64), entries: [] };
      snapshot(db, 1);
      snapshot(db, 2);
      db.transaction(() => insert.insert(1, [shared, own]))();
      db.transaction(() => insert.insert(2, [shared]))();
      expect(counts(db)).toEqual({ routing_sets: 2, routing_entries: 2, namespace_routing: 3 });
      db.prepare('DELETE FROM snapshots WHERE id = 1').run();
      expect(counts(db)).toEqual({ routing_sets: 1, routing_entries: 2, namespace_routing: 1 });
      db.prepare('DELETE FROM snapshots WHERE id = 2').run();
      expect(counts(db)).toEqual({ routing_sets: 0, routing_entries: 0, namespace_routing: 0 });
    });
  }

  it('are read for a snapshot through indexes, and the delete trigger finds an unused set through one', () => {
    const db = new Sqlite(':memory:');
    migrate(db);
    const tables = ['namespace_routing', 'routing_entries', 'routing_sets'];
    assertNoFullScan(planOf(db, ROUTING_SQL, [1]), tables);
    const unused = planOf(db, 'DELETE FROM routing_sets WHERE id = ? AND NOT EXISTS (SELECT 1 FROM namespace_routing WHERE routing_set = ?)', [1, 1]);
    assertNoFullScan(unused, tables);
    expect(unused.join(' | ')).toMatch(/namespace_routing USING COVERING INDEX namespace_routing_set/);
  });
});
