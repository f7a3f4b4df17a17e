import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { ALL_SPAN_TABLES, spanWriter, type Fact, type Facts, type FactKind } from './intervals.js';

/**
 * A span writer remembers the spans its last (newest) snapshot held, for the next one. These
 * histories change the database behind its back in each way it must notice — a rolled-back apply,
 * another writer on the same connection, another connection — and compare the spans with the
 * same history written by a fresh writer for every snapshot (nothing remembered).
 */

type Step =
  | { kind: 'append'; facts: number[] }
  | { kind: 'rolled-back'; facts: number[] }
  | { kind: 'other-writer'; facts: number[]; older: boolean }
  | { kind: 'other-connection'; facts: number[]; older: boolean };

const facts = fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { maxLength: 6 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: facts.map((f) => ({ kind: 'append' as const, facts: f })) },
  { weight: 1, arbitrary: facts.map((f) => ({ kind: 'rolled-back' as const, facts: f })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('other-writer' as const), facts, older: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('other-connection' as const), facts, older: fc.boolean() }) },
);

/** One namespace fact per number (the other span tables stay empty). */
function factsOf(inodes: number[]): Facts {
  const empty = Object.fromEntries(Object.keys(ALL_SPAN_TABLES).map((k) => [k, [] as Fact[]])) as Facts;
  return { ...empty, namespaces: inodes.map((i): Fact => [i, i === 1 ? 1 : 0, 1, null, null, null]) };
}

function open(path: string): Sqlite.Database {
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  migrate(db, MIGRATIONS);
  db.prepare("INSERT OR IGNORE INTO hosts (id, label) VALUES (1, 'web-1')").run();
  return db;
}

let seq = 0;
/** A snapshot row at minute `minute` (older snapshots are placed between the others). */
function snapshot(db: Sqlite.Database, minute: number): { row: number; at: string } {
  const at = new Date(Date.UTC(2026, 10, 1) + minute * 60_000).toISOString();
  const sid = `s${seq++}`;
  const row = Number(
    db.prepare(`INSERT INTO snapshots (snapshot_id, host, taken_at, taken_end, hostname, root, uid, tags, collector_name, collector_version, collector_mode, content_sha256, json_bytes, ingested_at)
      VALUES (?, 1, ?, ?, 'web-1', 1, 0, '{}', 'nsnap-collect', '0', 'live', ?, 1, ?)`).run(sid, at, at, `sha-${sid}`, at).lastInsertRowid,
  );
  return { row, at };
}

/** Every span as (first and last snapshot's times, fact), sorted: ids differ with the order rows were made in. */
const spans = (db: Sqlite.Database) =>
  (db.prepare(`SELECT coalesce(f.taken_at, '?'), x.last_at, coalesce(l.taken_at, '-'), x.inode, x.is_host FROM namespace_spans x
    JOIN snapshots f ON f.id = x.first LEFT JOIN snapshots l ON l.id = x.last ORDER BY 1, 2, 3, 4`).raw().all() as unknown[][]).map((r) => r.join(' '));

describe('span writer memory of the newest snapshot', () => {
  it('gives the spans a fresh writer per snapshot gives, whatever changed the database in between (property)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsnap-span-memory-'));
    let n = 0;
    try {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 14 }), (steps) => {
          n += 1;
          const a = open(join(dir, `a${n}.db`));
          const b = open(join(dir, `b${n}.db`));
          const b2 = new Sqlite(join(dir, `b${n}.db`));
          try {
            const remembering = spanWriter<FactKind>(b);
            const fresh = (db: Sqlite.Database, minute: number, f: number[]) =>
              db.transaction(() => spanWriter<FactKind>(db).apply(1, snapshot(db, minute), factsOf(f))).immediate();
            let minute = 0;
            for (const s of steps) {
              minute += 10;
              // An older snapshot goes between the two newest (it cuts the spans the newest holds).
              const at = 'older' in s && s.older ? minute - 15 : minute;
              if (s.kind === 'rolled-back') {
                expect(() =>
                  b.transaction(() => {
                    remembering.apply(1, snapshot(b, minute), factsOf(s.facts));
                    throw new Error('rolled back');
                  }).immediate(),
                ).toThrow('rolled back');
                minute -= 10;
                continue;
              }
              fresh(a, at, s.facts);
              if (s.kind === 'append') b.transaction(() => remembering.apply(1, snapshot(b, at), factsOf(s.facts))).immediate();
              else fresh(s.kind === 'other-writer' ? b : b2, at, s.facts);
            }
            // One more through the remembering writer: what it remembered must still be true.
            fresh(a, minute + 10, [1, 2]);
            b.transaction(() => remembering.apply(1, snapshot(b, minute + 10), factsOf([1, 2]))).immediate();
            expect(spans(b)).toEqual(spans(a));
          } finally {
            b2.close();
            b.close();
            a.close();
          }
        }),
        { numRuns: 60 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
