import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PRUNE_SQL } from '../forget/forget.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { assertNoFullScan, planOf } from '../../../test/support/query-plan.js';

/** One snapshot with a row in most tables, inserted with foreign keys off as the sqlite3 shell would. */
function seed(db: Sqlite.Database, row: number, sid: string) {
  db.prepare('INSERT OR IGNORE INTO hosts (id, label) VALUES (1, ?)').run('web-1');
  db.prepare(`INSERT INTO snapshots (id, snapshot_id, host, taken_at, taken_end, hostname, root, uid, tags, collector_name, collector_version, collector_mode, content_sha256, json_bytes, ingested_at)
    VALUES (?, ?, 1, '2026-11-29T10:00:00.000Z', '2026-11-29T10:00:01.000Z', 'web-1', 1, 0, '{}', 'nsnap-collect', '0.1.0', 'live', ?, 1, '2026-11-29T10:00:02.000Z')`).run(row, sid, `sha-${sid}`);
  db.prepare('INSERT INTO snapshot_tags (snapshot, key, value) VALUES (?, ?, ?)').run(row, 'k', 'v');
  db.prepare('INSERT INTO namespaces (snapshot, inode, is_host, captured) VALUES (?, 1, 1, 1)').run(row);
  db.prepare('INSERT INTO processes (snapshot, pid, netns) VALUES (?, 1, 1)').run(row);
  const a = db.prepare("INSERT INTO interfaces (snapshot, netns, ifindex, ifname, flags, altnames, addresses, raw) VALUES (?, 1, 1, 'a', '[]', '[]', '[]', '{}')").run(row).lastInsertRowid;
  const link = db.prepare("INSERT INTO links (snapshot, relation, a, status) VALUES (?, 'veth', ?, 'ambiguous')").run(row, a).lastInsertRowid;
  db.prepare('INSERT INTO link_candidates (link, interface) VALUES (?, ?)').run(link, a);
  db.prepare("INSERT INTO ingest_log (at, source, outcome, snapshot_id, duration_ms) VALUES ('t', 's', 'ingested', ?, 1)").run(sid);
}

const TABLES = ['snapshots', 'hosts', 'snapshot_tags', 'namespaces', 'processes', 'interfaces', 'links', 'link_candidates', 'ingest_log'];
const counts = (db: Sqlite.Database) => Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()]));

// Migration 4's trigger, at the layout of its time (per-snapshot tables); migration 5's is in intervals.test.ts.
describe('deleting a snapshot row (migration 4)', () => {
  it('removes what it brought with foreign keys off, as in the sqlite3 shell, and its host when none is left', () => {
    const db = new Sqlite(':memory:');
    // better-sqlite3 turns them on; the sqlite3 shell leaves them off.
    db.pragma('foreign_keys = OFF');
    migrate(db, MIGRATIONS.slice(0, 4));
    seed(db, 1, 'a');
    seed(db, 2, 'b');
    db.prepare('DELETE FROM snapshots WHERE id = 1').run();
    expect(counts(db)).toEqual({ snapshots: 1, hosts: 1, snapshot_tags: 1, namespaces: 1, processes: 1, interfaces: 1, links: 1, link_candidates: 1, ingest_log: 1 });
    db.prepare('DELETE FROM snapshots WHERE id = 2').run();
    expect(Object.values(counts(db)).every((n) => n === 0)).toBe(true);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('removes, when it runs, the rows earlier deletes left behind', () => {
    const db = new Sqlite(':memory:');
    db.pragma('foreign_keys = OFF');
    migrate(db, MIGRATIONS.slice(0, 2));
    seed(db, 1, 'a');
    seed(db, 2, 'b');
    db.prepare('DELETE FROM snapshots WHERE id = 1').run();
    expect(db.pragma('foreign_key_check')).not.toEqual([]);
    migrate(db, MIGRATIONS.slice(0, 4));
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(counts(db)).toMatchObject({ snapshots: 1, namespaces: 1, interfaces: 1, links: 1, link_candidates: 1 });
  });

  it('the trigger\'s deletes and the prune selections use indexes', () => {
    const db = new Sqlite(':memory:');
    migrate(db, MIGRATIONS.slice(0, 4));
    db.exec('ANALYZE');
    for (const t of ['snapshot_tags', 'probes', 'gaps', 'nsids', 'processes', 'containers', 'handles', 'interfaces', 'namespaces', 'links']) {
      assertNoFullScan(planOf(db, `DELETE FROM ${t} WHERE snapshot = ?`, [1]));
    }
    assertNoFullScan(planOf(db, 'DELETE FROM link_candidates WHERE link IN (SELECT id FROM links WHERE snapshot = ?)', [1]));
    assertNoFullScan(planOf(db, "DELETE FROM ingest_log WHERE snapshot_id = ? AND outcome IN ('ingested', 'skipped')", ['x']));
    assertNoFullScan(planOf(db, PRUNE_SQL.takenBefore, { before: '2026-11-29', host: 1 }));
  });
});
