import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@nsnap/analyzer';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';

const SNAPSHOT_TABLES = ['snapshot_tags', 'probes', 'gaps', 'namespaces', 'handles', 'containers', 'processes', 'interfaces', 'links', 'nsids'];

/** Row counts of every table, rows no snapshot accounts for, and SQLite's own checks. */
function state(dbFile: string) {
  const db = openDatabase(dbFile, { mustExist: true, readonly: true });
  try {
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    const orphans = Object.fromEntries(SNAPSHOT_TABLES.map((t) => [t, count(`SELECT count(*) FROM ${t} WHERE snapshot NOT IN (SELECT id FROM snapshots)`)]));
    orphans.link_candidates = count('SELECT count(*) FROM link_candidates WHERE link NOT IN (SELECT id FROM links) OR interface NOT IN (SELECT id FROM interfaces)');
    return {
      rows: Object.fromEntries([...SNAPSHOT_TABLES, 'link_candidates', 'snapshots', 'hosts'].map((t) => [t, count(`SELECT count(*) FROM ${t}`)])),
      orphans,
      integrity: db.pragma('integrity_check', { simple: true }),
      foreignKeys: db.pragma('foreign_key_check'),
    };
  } finally {
    db.close();
  }
}

const noOrphans = Object.fromEntries([...SNAPSHOT_TABLES, 'link_candidates'].map((t) => [t, 0]));

describe('removing data: nsnap forget, nsnap prune, and DELETE in the sqlite3 shell', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-forget-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = path.join(dir, 'store');
  const at = (h: number) => `2026-11-29T1${h}:00:00.000Z`;
  const bundles = [0, 1, 2].map((h) => dockerNode({ host: 'web-1', takenAt: at(h), tags: { round: String(h) } }).build());
  const other = dockerNode({ host: 'web-2', takenAt: at(0) }).build();
  const files = [...bundles, other].map((b) => writeBundle(store, b));
  const fresh = async (name: string) => {
    const db = path.join(dir, `${name}.db`);
    const r = await runCli(ANALYZER_BIN, ['ingest', '-q', store, '--db', db]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return db;
  };

  it('forget removes everything a snapshot brought; ingesting it again restores the same rows', async () => {
    const db = await fresh('forget');
    const full = state(db);
    const r = await runCli(ANALYZER_BIN, ['forget', bundles[1]!.snapshotId.slice(0, 8), '--db', db]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain(`${bundles[1]!.snapshotId}  web-1  ${at(1)}`);
    const after = state(db);
    expect(after).toMatchObject({ orphans: noOrphans, integrity: 'ok', foreignKeys: [] });
    expect(after.rows.snapshots).toBe(3);
    expect(after.rows.interfaces).toBeLessThan(full.rows.interfaces as number);

    const again = await runCli(ANALYZER_BIN, ['ingest', files[1]!, '--db', db]);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(String(again.stderr)).toMatch(/1 ingested/);
    expect(state(db)).toEqual(full);
  });

  it('a snapshot row deleted in the sqlite3 shell (foreign keys off) takes its rows too, and its store key is taken again', async () => {
    const db = await fresh('shell');
    const full = state(db);
    const shell = await execa('sqlite3', [db, `DELETE FROM snapshots WHERE snapshot_id = '${bundles[0]!.snapshotId}'`], { reject: false });
    expect(shell.exitCode, shell.stderr).toBe(0);
    expect(state(db)).toMatchObject({ orphans: noOrphans, integrity: 'ok', foreignKeys: [] });
    const again = await runCli(ANALYZER_BIN, ['ingest', `file://${store}`, '--db', db, '--json']);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(JSON.parse(String(again.stdout))).toMatchObject({ ingested: 1, failed: 0 });
    expect(state(db)).toEqual(full);
  });

  it('prune --keep N keeps the newest N of each host; --before TIME --host H; --dry-run removes nothing', async () => {
    const db = await fresh('prune');
    const dry = await runCli(ANALYZER_BIN, ['prune', '--keep', '1', '--dry-run', '--json', '--db', db]);
    expect(dry.exitCode, String(dry.stderr)).toBe(0);
    expect(JSON.parse(String(dry.stdout))).toEqual({
      answerVersion: 1,
      dryRun: true,
      removed: [0, 1].map((h) => ({ id: bundles[h]!.snapshotId, host: 'web-1', takenAt: at(h) })),
    });
    expect(state(db).rows.snapshots).toBe(4);

    const keep = await runCli(ANALYZER_BIN, ['prune', '--keep', '1', '--db', db]);
    expect(keep.exitCode, String(keep.stderr)).toBe(0);
    const left = await runCli(ANALYZER_BIN, ['snapshots', '--json', '--db', db]);
    expect((JSON.parse(String(left.stdout)) as { snapshots: { id: string }[] }).snapshots.map((s) => s.id).sort()).toEqual([bundles[2]!.snapshotId, other.snapshotId].sort());

    const before = await runCli(ANALYZER_BIN, ['prune', '--before', '2026-11-29T13:00Z', '--host', 'web-2', '--db', db]);
    expect(before.exitCode, String(before.stderr)).toBe(0);
    expect(state(db)).toMatchObject({ rows: { snapshots: 1, hosts: 1 }, orphans: noOrphans, integrity: 'ok', foreignKeys: [] });
  });

  it('refuses prune without exactly one rule, a bad --keep, and a selector that selects nothing (exit 2)', async () => {
    const db = await fresh('usage');
    for (const args of [['prune'], ['prune', '--keep', '1', '--before', '2026-11-29'], ['prune', '--keep', '0'], ['forget', 'ffffffff']]) {
      const r = await runCli(ANALYZER_BIN, [...args, '--db', db]);
      expect({ args, exit: r.exitCode }).toEqual({ args, exit: 2 });
    }
    expect(state(db).rows.snapshots).toBe(4);
  });
});
