import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@nsnap/analyzer';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';

const TABLES = ['hosts', 'snapshots', 'snapshot_tags', 'namespaces', 'processes', 'containers', 'handles', 'interfaces', 'links', 'link_candidates', 'nsids', 'gaps', 'probes'];

function rowCounts(dbFile: string): Record<string, number> {
  const db = openDatabase(dbFile, { mustExist: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]));
  } finally {
    db.close();
  }
}

interface Summary {
  ingested: number;
  skipped: number;
  failed: number;
  files: { path: string; outcome: string; snapshotId: string | null; reason: string | null }[];
  ignoredEntries: { path: string; reason: string }[];
}

describe('nsnap ingest', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-ingest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ingests a bundle once: the same content again adds nothing, and says so, gzip\'d or not', async () => {
    const store = path.join(dir, 'idem');
    const db = path.join(dir, 'idem.db');
    const bundle = dockerNode().build();
    const file = writeBundle(store, bundle);

    const first = await runCli(ANALYZER_BIN, ['ingest', store, '--db', db]);
    expect(first.exitCode, String(first.stderr)).toBe(0);
    expect(String(first.stderr)).toMatch(/1 ingested, 0 skipped \(already in the database\), 0 failed/);
    const after = rowCounts(db);
    expect(after).toMatchObject({ snapshots: 1, hosts: 1, namespaces: 8, processes: 7, containers: 2 });
    expect(after.interfaces).toBeGreaterThan(15);
    expect(after.links).toBeGreaterThan(0);

    const again = await runCli(ANALYZER_BIN, ['ingest', store, '--db', db, '--verbose']);
    expect(again.exitCode).toBe(0);
    expect(String(again.stderr)).toContain(`skipped: ${file}: already ingested (snapshot ${bundle.snapshotId})`);
    expect(String(again.stderr)).toMatch(/0 ingested, 1 skipped/);
    expect(rowCounts(db)).toEqual(after);

    // The same JSON stored uncompressed elsewhere has the same content hash.
    const plain = path.join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify(bundle));
    const third = await runCli(ANALYZER_BIN, ['ingest', plain, '--db', db, '--json']);
    expect(third.exitCode).toBe(0);
    expect((JSON.parse(String(third.stdout)) as Summary)).toMatchObject({ ingested: 0, skipped: 1, failed: 0 });
    expect(rowCounts(db)).toEqual(after);

    const log = openDatabase(db, { mustExist: true });
    expect(log.prepare('SELECT outcome FROM ingest_log ORDER BY id').pluck().all()).toEqual(['ingested', 'skipped', 'skipped']);
    log.close();
  });

  it('names each bad bundle with its reason, ingests the good ones, exits 1', async () => {
    const store = path.join(dir, 'mixed');
    const db = path.join(dir, 'mixed.db');
    const good1 = dockerNode({ host: 'node-1', takenAt: '2026-11-29T10:00:00.000Z' }).build();
    const good2 = dockerNode({ host: 'node-2', takenAt: '2026-11-29T10:05:00.000Z' }).build();
    const good1Path = writeBundle(store, good1);
    writeBundle(store, good2, { gzip: false });
    // The LocalStore sidecar next to a bundle is not a bundle.
    writeFileSync(`${good1Path}.meta.json`, JSON.stringify({ contentType: 'application/json', metadata: { sha256: 'x' } }));

    const bad = path.join(store, 'host=bad', 'date=2026-11-29');
    mkdirSync(bad, { recursive: true });
    const whole = gzipSync(JSON.stringify(dockerNode({ host: 'bad' }).build()));
    const truncated = path.join(bad, 'truncated.json.gz');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    const notJson = path.join(bad, 'not-json.json');
    writeFileSync(notJson, 'nsnap-collect: this is a log line, not a bundle\n');
    const schema = path.join(bad, 'schema.json.gz');
    const broken = JSON.parse(JSON.stringify(dockerNode({ host: 'bad' }).build())) as { host: { label: string }; processes: { pid: unknown }[] };
    broken.host.label = '../../etc';
    broken.processes[0]!.pid = 'one';
    writeFileSync(schema, gzipSync(JSON.stringify(broken)));
    const version = path.join(bad, 'version.json');
    writeFileSync(version, JSON.stringify({ ...dockerNode({ host: 'bad' }).build(), schemaVersion: 99 }));
    const missing = path.join(dir, 'no-such-dir');

    const r = await runCli(ANALYZER_BIN, ['ingest', store, missing, '--db', db, '--json']);
    expect(r.exitCode).toBe(1);
    const stderr = String(r.stderr);
    expect(stderr).toMatch(new RegExp(`failed: ${truncated}: gzip: unexpected end of file`));
    expect(stderr).toMatch(new RegExp(`failed: ${notJson}: not JSON: `));
    expect(stderr).toContain(`failed: ${schema}: schema violation: `);
    expect(stderr).toMatch(/host\.label/);
    expect(stderr).toMatch(/processes\.0\.pid/);
    expect(stderr).toContain(`failed: ${version}: wrong schema version: schemaVersion: expected 1, got 99`);
    expect(stderr).toContain(`failed: ${missing}: no such file or directory`);
    expect(stderr).toMatch(/2 ingested, 0 skipped \(already in the database\), 5 failed in /);

    const summary = JSON.parse(String(r.stdout)) as Summary;
    expect(summary).toMatchObject({ ingested: 2, skipped: 0, failed: 5 });
    expect(summary.files.filter((f) => f.outcome === 'ingested').map((f) => f.snapshotId).sort()).toEqual([good1.snapshotId, good2.snapshotId].sort());
    expect(summary.files.some((f) => f.path.endsWith('.meta.json'))).toBe(false);
    // The store's sidecar is part of its bundle: named in --json, not counted as an odd entry in the line above.
    expect(summary.ignoredEntries).toEqual([{ path: `${good1Path}.meta.json`, reason: 'store metadata, not a bundle' }]);

    const snapshots = await runCli(ANALYZER_BIN, ['snapshots', '--json', '--db', db]);
    expect((JSON.parse(String(snapshots.stdout)) as { snapshots: { id: string }[] }).snapshots.map((s) => s.id).sort()).toEqual([good1.snapshotId, good2.snapshotId].sort());
    const log = openDatabase(db, { mustExist: true });
    expect(log.prepare("SELECT count(*) FROM ingest_log WHERE outcome = 'failed'").pluck().get()).toBe(5);
    log.close();
  });

  it('refuses a second, different bundle under an already ingested snapshot id', async () => {
    const db = path.join(dir, 'conflict.db');
    const bundle = dockerNode({ host: 'node-1' }).build();
    const a = writeBundle(path.join(dir, 'conflict-a'), bundle);
    const b = writeBundle(path.join(dir, 'conflict-b'), { ...bundle, tags: { changed: 'yes' } });
    expect((await runCli(ANALYZER_BIN, ['ingest', a, '--db', db])).exitCode).toBe(0);
    const r = await runCli(ANALYZER_BIN, ['ingest', b, '--db', db]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain(`failed: ${b}: snapshot ${bundle.snapshotId} is already in the database with different content`);
  });

  it('reads the database from $NSNAP_DB and refuses one written by a newer nsnap', async () => {
    const db = path.join(dir, 'env.db');
    const src = writeBundle(path.join(dir, 'env'), dockerNode().build());
    const r = await runCli(ANALYZER_BIN, ['ingest', src], { env: { NSNAP_DB: db } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(rowCounts(db).snapshots).toBe(1);

    const newer = path.join(dir, 'newer.db');
    copyFileSync(db, newer);
    const raw = openDatabase(newer, { mustExist: true });
    raw.pragma('user_version = 999');
    raw.close();
    const refused = await runCli(ANALYZER_BIN, ['show', '--db', newer]);
    expect(refused.exitCode).toBe(1);
    expect(String(refused.stderr)).toMatch(/has schema version 999, newer than this nsnap understands/);

    const garbage = path.join(dir, 'garbage.db');
    writeFileSync(garbage, 'not a database at all, just text that is long enough to look like a header');
    const notDb = await runCli(ANALYZER_BIN, ['ingest', src, '--db', garbage]);
    expect(notDb.exitCode).toBe(1);
    expect(String(notDb.stderr)).toMatch(/garbage\.db" is not an SQLite database|file is not a database/);
    expect(readFileSync(garbage, 'utf8')).toContain('not a database');
  });

  it('rejects bad usage with exit 2 and help that teaches', async () => {
    const noSource = await runCli(ANALYZER_BIN, ['ingest']);
    expect(noSource.exitCode).toBe(2);
    expect(String(noSource.stderr)).toMatch(/missing required argument 'source'/);
    const unknown = await runCli(ANALYZER_BIN, ['peers', '--frobnicate']);
    expect(unknown.exitCode).toBe(2);
    const help = await runCli(ANALYZER_BIN, ['--help']);
    expect(help.exitCode).toBe(0);
    expect(String(help.stdout)).toContain('Examples:');
    expect(String(help.stdout)).toContain('nsnap ingest ./nsnap-data');
    const ingestHelp = await runCli(ANALYZER_BIN, ['ingest', '--help']);
    expect(String(ingestHelp.stdout)).toMatch(/skipped and said to be/);
  });
});
