import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../errors.js';
import { STATE_SQL, UNREADABLE_SQL } from '../query/load-state.js';
import { OWNERS_SQL } from '../query/owners.js';
import { PEERS_SQL } from '../query/peers.js';
import { SELECT_SQL } from '../query/select.js';
import { SHOW_SQL } from '../query/show.js';
import { WHOIS_SQL } from '../query/whois.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { assertNoFullScan, planOf } from '../../../test/support/query-plan.js';

const fresh = () => {
  const db = new Sqlite(':memory:');
  db.pragma('foreign_keys = ON');
  return db;
};

describe('migrate', () => {
  it('brings an empty database to the newest schema and records it in user_version', () => {
    const db = fresh();
    expect(migrate(db)).toEqual({ from: 0, to: MIGRATIONS.length });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const names = db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name").pluck().all();
    expect(names).toEqual(
      expect.arrayContaining(['hosts', 'snapshots', 'snapshot_tags', 'namespaces', 'processes', 'containers', 'handles', 'interfaces', 'links', 'link_candidates', 'nsids', 'gaps', 'probes', 'ingest_log', 'veth_pairs', 'unpaired_veths', 'namespace_owners', 'interface_owners', 'snapshot_list']),
    );
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('does nothing on a database already at the newest version', () => {
    const db = fresh();
    migrate(db);
    expect(migrate(db)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
  });

  it('refuses a database written by a newer nsnap, and leaves it untouched', () => {
    const db = fresh();
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db, MIGRATIONS, 'database "x.db"')).toThrow(DatabaseError);
    expect(() => migrate(db, MIGRATIONS, 'database "x.db"')).toThrow(`database "x.db" has schema version ${MIGRATIONS.length + 1}, newer than this nsnap understands (${MIGRATIONS.length})`);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get()).toBe(0);
  });

  it('applies pending migrations in one transaction: a failing one leaves nothing behind', () => {
    const db = fresh();
    const broken = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      { version: 2, name: 'two', sql: 'CREATE TABLE b (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => migrate(db, broken)).toThrow(/no such table: nowhere/);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b')").pluck().get()).toBe(0);
  });

  it('applies only the migrations a database lacks', () => {
    const db = fresh();
    const steps = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      { version: 2, name: 'two', sql: 'ALTER TABLE a ADD COLUMN y TEXT;' },
    ];
    migrate(db, steps.slice(0, 1));
    db.prepare('INSERT INTO a (x) VALUES (1)').run();
    expect(migrate(db, steps)).toEqual({ from: 1, to: 2 });
    expect(db.prepare('SELECT x, y FROM a').all()).toEqual([{ x: 1, y: null }]);
  });

  it('keeps every link and candidate across migration 3, which lets a veth end say its peer is out of sight', () => {
    const db = fresh();
    migrate(db, MIGRATIONS.slice(0, 2));
    db.exec(`INSERT INTO hosts (id, label) VALUES (1, 'h');
      INSERT INTO snapshots (id, snapshot_id, host, taken_at, taken_end, hostname, root, uid, tags, collector_name, collector_version, collector_mode, content_sha256, json_bytes, ingested_at)
        VALUES (1, 's', 1, 't', 't', 'h', 1, 0, '{}', 'c', '1', 'json', 'x', 1, 't');
      INSERT INTO namespaces (snapshot, inode, is_host, captured) VALUES (1, 10, 1, 1), (1, 11, 0, 1);
      INSERT INTO interfaces (id, snapshot, netns, ifindex, ifname, flags, altnames, addresses, raw) VALUES
        (1, 1, 10, 5, 'va', '[]', '[]', '[]', '{}'), (2, 1, 11, 2, 'vb', '[]', '[]', '[]', '{}'), (3, 1, 11, 3, 'vc', '[]', '[]', '[]', '{}');
      INSERT INTO links (id, snapshot, relation, a, b, status, method, detail) VALUES
        (7, 1, 'veth', 1, NULL, 'ambiguous', NULL, 'two'), (8, 1, 'veth', 2, 3, 'resolved', 'same-netns', NULL);
      INSERT INTO link_candidates (link, interface) VALUES (7, 2), (7, 3);`);
    expect(() => db.prepare("UPDATE links SET status = 'unseen-peer' WHERE id = 7").run()).toThrow(/CHECK/);
    // Migration 3 at the layout of its time (per-snapshot tables, before intervals).
    expect(migrate(db, MIGRATIONS.slice(0, 4))).toEqual({ from: 2, to: 4 });
    expect(db.prepare('SELECT id, status, method FROM links ORDER BY id').raw().all()).toEqual([
      [7, 'ambiguous', null],
      [8, 'resolved', 'same-netns'],
    ]);
    expect(db.prepare('SELECT candidates FROM unpaired_veths').pluck().all()).toEqual(['11:2:vb 11:3:vc']);
    expect(db.prepare('SELECT count(*) FROM veth_pairs').pluck().get()).toBe(1);
    for (const status of ['unconfirmed', 'unseen-peer', 'unreadable-peer']) db.prepare('UPDATE links SET status = ? WHERE id = 7').run(status);
    expect(() => db.prepare("UPDATE links SET status = 'guessed' WHERE id = 7").run()).toThrow(/CHECK/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // Deleting a snapshot still cascades through the rebuilt tables.
    db.prepare('DELETE FROM snapshots').run();
    expect(db.prepare('SELECT count(*) FROM link_candidates').pluck().get()).toBe(0);
  });

  it('refuses a list whose versions are not 1, 2, 3…', () => {
    expect(() => migrate(fresh(), [{ version: 2, name: 'skipped one', sql: '' }])).toThrow(/expected 1/);
  });
});

describe('query plans of the hot queries', () => {
  const db = fresh();
  migrate(db);
  db.exec('ANALYZE');
  const expectIndexed = (sql: string, params: unknown[] | Record<string, unknown>) => {
    const details = planOf(db, sql, params);
    assertNoFullScan(details);
    expect(details.some((d) => /USING (COVERING )?INDEX|USING (INTEGER )?PRIMARY KEY/.test(d))).toBe(true);
    return details;
  };

  it('latest snapshot of a host uses (host, taken_at)', () => {
    expect(expectIndexed(SELECT_SQL.latestOfHost, [1]).join(' ')).toContain('snapshots_host_taken_at');
  });

  it('a snapshot by id prefix uses the snapshot_id index', () => {
    expectIndexed(SELECT_SQL.byIdPrefix, { lo: '01a2', hi: '01a3', host: null });
  });

  it('interfaces, owners and links of one snapshot search the spans that hold at it, links\' ends by interface key', () => {
    expect(expectIndexed(SHOW_SQL, [1]).join(' ')).toContain('interface_spans_held');
    for (const sql of Object.values(OWNERS_SQL)) expectIndexed(sql, [1]);
    expect(expectIndexed(PEERS_SQL.links, { snapshot: 1 }).join(' ')).toMatch(/link_spans_held.*interface_spans_iface/);
    expectIndexed(PEERS_SQL.candidates, [1]);
    expectIndexed(UNREADABLE_SQL, [1]);
    expect(expectIndexed(STATE_SQL.interfaces, [1]).join(' ')).toContain('interface_spans_held');
    expect(expectIndexed(STATE_SQL.pairs, [1]).join(' ')).toMatch(/link_spans_held.*interface_spans_iface/);
  });

  it('whois reads one interface\'s links and one namespace\'s interfaces at a snapshot by their own indexes (whois --all runs them per period)', () => {
    expect(expectIndexed(WHOIS_SQL.vethOf, { id: 1, snapshot: 1 }).join(' ')).toMatch(/link_spans_a .*link_spans_b /);
    expect(expectIndexed(WHOIS_SQL.lowerOf, [1, 1]).join(' ')).toContain('link_spans_a');
    expect(expectIndexed(WHOIS_SQL.devicesOfNetns, [1, 2]).join(' ')).toContain('interface_spans_netns');
    expect(expectIndexed(WHOIS_SQL.interfacesOfNetns, [1, 2]).join(' ')).toContain('interface_spans_netns');
  });

  it('whois by interface name over all snapshots uses the ifname index (docs/schema.md example)', () => {
    const details = expectIndexed(
      `SELECT s.snapshot_id, h.label, s.taken_at, i.netns, i.ifindex
         FROM interfaces i JOIN snapshots s ON s.id = i.snapshot JOIN hosts h ON h.id = s.host
        WHERE i.ifname = ? ORDER BY s.taken_at`,
      ['veth4a67fcf'],
    );
    expect(details.join(' ')).toContain('interface_spans_ifname');
  });

  it('the veth_pairs view of one snapshot is searched, its owners by (snapshot, netns)', () => {
    const details = expectIndexed('SELECT * FROM veth_pairs WHERE snapshot = ?', [1]).join(' ');
    for (const table of ['process_spans', 'handle_spans', 'container_spans']) expect(details).toMatch(new RegExp(`${table}_(held|netns)`));
  });
});
