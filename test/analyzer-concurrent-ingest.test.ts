import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@nsnap/analyzer';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';

const RUNS = 3;
const BUNDLES = 24;

/** One row per bundle, each once, and no failure in the log. */
function contents(dbFile: string) {
  const db = openDatabase(dbFile, { mustExist: true });
  try {
    return {
      snapshots: db.prepare('SELECT count(*) FROM snapshots').pluck().get(),
      distinct: db.prepare('SELECT count(DISTINCT snapshot_id) FROM snapshots').pluck().get(),
      hosts: db.prepare('SELECT count(*) FROM hosts').pluck().get(),
      failedLog: db.prepare("SELECT count(*) FROM ingest_log WHERE outcome = 'failed'").pluck().get(),
      integrity: db.prepare('PRAGMA integrity_check').pluck().get(),
    };
  } finally {
    db.close();
  }
}

describe('concurrent nsnap ingest of the same sources into one database', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-concurrent-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = path.join(dir, 'store');
  for (let i = 0; i < BUNDLES; i++) {
    writeBundle(store, dockerNode({ host: `web-${i % 4}`, takenAt: new Date(Date.parse('2026-11-29T10:00:00Z') + i * 60_000).toISOString() }).build());
  }

  const race = async (db: string, queries = 0) => {
    const reads = Array.from({ length: queries }, async () => {
      const answers = [];
      // Queries while the ingests come and go: the file switches between WAL and rollback mode under them.
      for (let i = 0; i < 4; i++) answers.push(await runCli(ANALYZER_BIN, ['peers', '--host', 'web-0', '--db', db]));
      return answers;
    });
    const [runs, answers] = await Promise.all([
      Promise.all(Array.from({ length: RUNS }, () => runCli(ANALYZER_BIN, ['ingest', '-q', store, '--db', db, '--json']))),
      Promise.all(reads),
    ]);
    for (const q of answers.flat()) expect({ exit: q.exitCode, stderr: String(q.stderr) }).toEqual({ exit: 0, stderr: '' });
    // -q: no progress and no summary line; a failure would still be named.
    for (const r of runs) expect({ exit: r.exitCode, stderr: String(r.stderr) }).toEqual({ exit: 0, stderr: '' });
    const summaries = runs.map((r) => JSON.parse(String(r.stdout)) as { ingested: number; skipped: number; failed: number });
    return summaries;
  };

  it('on a new database: one migration, every bundle in exactly once, no failure, exit 0', async () => {
    const db = path.join(dir, 'new.db');
    const summaries = await race(db);
    expect(summaries.reduce((n, s) => n + s.ingested, 0)).toBe(BUNDLES);
    expect(summaries.every((s) => s.failed === 0 && s.ingested + s.skipped === BUNDLES)).toBe(true);
    expect(contents(db)).toEqual({ snapshots: BUNDLES, distinct: BUNDLES, hosts: 4, failedLog: 0, integrity: 'ok' });
  });

  it('on an existing database: no UNIQUE constraint failure, no false "different content", and queries meanwhile answer', async () => {
    const db = path.join(dir, 'existing.db');
    const first = await runCli(ANALYZER_BIN, ['ingest', path.join(store, 'host=web-0'), '--db', db]);
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const summaries = await race(db, 2);
    expect(summaries.reduce((n, s) => n + s.ingested, 0)).toBe(BUNDLES - BUNDLES / 4);
    expect(contents(db)).toEqual({ snapshots: BUNDLES, distinct: BUNDLES, hosts: 4, failedLog: 0, integrity: 'ok' });
  });
});
