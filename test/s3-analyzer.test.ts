import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore, bundleKey, decodeBundle, uuidv7, type Bundle } from '@nsnap/shared';
import { openDatabase } from '@nsnap/analyzer';
import { S3Store } from '../shared/src/store/s3.js';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { S3RVER_CREDENTIALS, S3RVER_ENV, startS3rver, type S3rverHandle } from './support/s3rver.js';
import type { IngestAnswer as RunSummary } from '../analyzer/src/answer/ingest.js';

/** What `nsnap ingest --json` prints (the parts these tests read). */
const HOSTS = ['h-a', 'h-b', 'h-c'];
const DAYS = ['2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28'];
/** More than one S3 listing page (1000 keys). */
const MANY = 1101;

let s3: S3rverHandle;
let tmp: string;
let seed: Bundle;
/** The keys put under `many/`, with their host and day. */
const many: { key: string; host: string; day: string; snapshotId: string }[] = [];
/** The same bundles in a directory store (`file://`), whose delimiter listing behaves as S3's. */
let localStoreDir: string;

const store = (prefix: string) => new S3Store({ bucket: s3.bucket, prefix, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
const url = (prefix: string) => `s3://${s3.bucket}/${prefix}`;

function ingest(db: string, args: string[]) {
  return runCli(ANALYZER_BIN, ['--db', db, 'ingest', ...args, '--s3-endpoint', s3.endpoint], { env: S3RVER_ENV, extendEnv: true });
}

function summaryOf(r: { stdout: unknown; stderr: unknown }): RunSummary {
  try {
    return JSON.parse(String(r.stdout)) as RunSummary;
  } catch {
    throw new Error(`not a JSON summary; stderr: ${String(r.stderr).slice(0, 2000)}`);
  }
}

function query<T>(db: string, sql: string, ...params: unknown[]): T[] {
  const handle = openDatabase(db, { mustExist: true });
  try {
    return handle.prepare(sql).all(...params) as T[];
  } finally {
    handle.close();
  }
}

/** The seed bundle (a real collector capture) as another snapshot: new id, host and time. */
function variant(host: string, takenAt: Date): { key: string; gzip: Buffer; sha256: string; bundle: Bundle } {
  const duration = Date.parse(seed.takenAt.end) - Date.parse(seed.takenAt.start);
  const bundle: Bundle = {
    ...seed,
    snapshotId: uuidv7(takenAt.getTime()),
    takenAt: { start: takenAt.toISOString(), end: new Date(takenAt.getTime() + duration).toISOString() },
    host: { ...seed.host, label: host },
  };
  const gzip = gzipSync(JSON.stringify(bundle));
  return { key: bundleKey({ host, takenAt: bundle.takenAt.start, snapshotId: bundle.snapshotId }), gzip, sha256: createHash('sha256').update(gzip).digest('hex'), bundle };
}

async function putAll(target: S3Store | LocalStore, items: { key: string; body: Uint8Array; sha256?: string }[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await target.put(item.key, item.body, { contentType: 'application/json', contentEncoding: 'gzip', ...(item.sha256 ? { metadata: { sha256: item.sha256 } } : {}) });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

beforeAll(async () => {
  s3 = await startS3rver();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-s3-analyzer-'));
  const r = await runCli(COLLECTOR_BIN, ['--stdout', '--host', 'seed', '--timeout', '20']);
  expect([0, 1], String(r.stderr)).toContain(r.exitCode);
  seed = decodeBundle(Buffer.from(String(r.stdout)));

  const items = [];
  for (let i = 0; i < MANY; i++) {
    const host = HOSTS[i % HOSTS.length]!;
    const day = DAYS[Math.floor(i / HOSTS.length) % DAYS.length]!;
    const v = variant(host, new Date(Date.parse(`${day}T00:00:00Z`) + i * 61_000));
    many.push({ key: v.key, host, day, snapshotId: v.bundle.snapshotId });
    items.push({ key: v.key, body: v.gzip, sha256: v.sha256 });
  }
  await putAll(store('many'), items);
  localStoreDir = path.join(tmp, 'local-store');
  await putAll(new LocalStore(localStoreDir), items);
});

afterAll(async () => {
  await s3?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe.sequential('nsnap ingest s3:// across many listing pages (s3rver)', () => {
  const db = () => path.join(tmp, 'many.db');
  let firstRun = 0;

  it('with --host and --since/--until lists only that host\'s day prefixes and ingests only matching bundles', async () => {
    const r = await ingest(db(), [url('many'), '--host', 'h-b', '--since', '2026-11-25', '--until', '2026-11-26', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const s = summaryOf(r);
    const expected = many.filter((k) => k.host === 'h-b' && (k.day === '2026-11-25' || k.day === '2026-11-26'));
    expect(expected.length).toBeGreaterThan(100);
    expect(s.stores[0]).toMatchObject({
      url: url('many'),
      prefixes: ['host=h-b/date=2026-11-25/', 'host=h-b/date=2026-11-26/'],
      listed: expected.length,
      downloaded: expected.length,
      ingested: expected.length,
      outOfRange: 0,
      foreign: 0,
      failed: 0,
    });
    const ids = query<{ snapshot_id: string; host: string; taken_at: string }>(db(), 'SELECT snapshot_id, host, taken_at FROM snapshot_list ORDER BY snapshot_id');
    expect(ids.map((x) => x.snapshot_id)).toEqual(expected.map((k) => k.snapshotId).sort());
    firstRun = expected.length;
  });

  it('with --host and an open-ended --until lists the host prefix and stops after the range', async () => {
    const r = await ingest(db(), [url('many'), '--host', 'h-c', '--until', '2026-11-24', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const s = summaryOf(r).stores[0]!;
    const expected = many.filter((k) => k.host === 'h-c' && k.day === '2026-11-24');
    expect(s.prefixes).toEqual(['host=h-c/']);
    expect(s.ingested).toBe(expected.length);
    // The listing stopped at the first key of the next day instead of reading the host's other days.
    expect(s.outOfRange).toBe(1);
    firstRun += expected.length;
  });

  it('without filters lists everything (two pages), downloads only what is new, and reports progress on stderr', async () => {
    const r = await ingest(db(), [url('many'), '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const s = summaryOf(r).stores[0]!;
    expect(s).toMatchObject({ prefixes: [''], pages: 2, listed: MANY, known: firstRun, downloaded: MANY - firstRun, ingested: MANY - firstRun, failed: 0, unverified: 0 });
    expect(String(r.stderr)).toMatch(new RegExp(`^nsnap: ${url('many')}: \\d+ listed \\(\\d+ pages?(, listing…)?\\) · \\d+ already in · \\d+/\\d+ read`, 'm'));
    expect(String(r.stderr)).toContain(`nsnap: ${url('many')}: listed ${MANY} keys under 1 prefix (2 pages); ${firstRun} already ingested, not downloaded; ${MANY - firstRun} downloaded`);
    expect(query<{ n: number }>(db(), 'SELECT count(*) AS n FROM snapshots')[0]!.n).toBe(MANY);
  });

  it('a second ingest downloads nothing, and the known-key lookup searches the index', async () => {
    const r = await ingest(db(), [url('many'), '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const s = summaryOf(r);
    expect(s.stores[0]).toMatchObject({ listed: MANY, known: MANY, downloaded: 0, downloadedBytes: 0, ingested: 0 });
    expect(s).toMatchObject({ ingested: 0, skipped: MANY, failed: 0, files: [] });
    const plan = query<{ detail: string }>(db(), "EXPLAIN QUERY PLAN SELECT 1 FROM ingest_log WHERE source = ? AND outcome IN ('ingested', 'skipped') LIMIT 1", 'x');
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING COVERING INDEX ingest_log_source/);
  });

  it('killed mid-way and restarted, it continues and ends with every bundle ingested exactly once', async () => {
    const killed = path.join(tmp, 'killed.db');
    const child = runCli(ANALYZER_BIN, ['--db', killed, 'ingest', url('many'), '--s3-endpoint', s3.endpoint, '--verbose', '--concurrency', '4'], {
      env: S3RVER_ENV,
      extendEnv: true,
      buffer: false,
    });
    let lines = 0;
    child.stderr?.on('data', (d: Buffer) => {
      lines += (d.toString().match(/^nsnap: ingested: /gm) ?? []).length;
      if (lines >= 150) child.kill('SIGKILL');
    });
    const dead = await child;
    expect(dead.signal, 'the ingest ended before it could be interrupted').toBe('SIGKILL');
    const committed = query<{ n: number }>(killed, 'SELECT count(*) AS n FROM snapshots')[0]!.n;
    expect(committed).toBeGreaterThanOrEqual(150);
    expect(committed).toBeLessThan(MANY);

    const r = await ingest(killed, [url('many'), '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(summaryOf(r).stores[0]).toMatchObject({ known: committed, downloaded: MANY - committed, ingested: MANY - committed, failed: 0 });
    const [counts] = query<{ snapshots: number; ingested: number; sources: number }>(
      killed,
      "SELECT (SELECT count(*) FROM snapshots) AS snapshots, count(*) AS ingested, count(DISTINCT source) AS sources FROM ingest_log WHERE outcome = 'ingested'",
    );
    expect(counts).toEqual({ snapshots: MANY, ingested: MANY, sources: MANY });
  });
});

describe('nsnap ingest of a store without --host but with --since/--until', () => {
  const range = ['--since', '2026-11-25', '--until', '2026-11-26'];
  const inRange = () => many.filter((k) => k.day === '2026-11-25' || k.day === '2026-11-26');
  const ids = (db: string) => query<{ snapshot_id: string }>(db, 'SELECT snapshot_id FROM snapshots ORDER BY snapshot_id').map((x) => x.snapshot_id);

  it('finds the hosts by a delimiter listing and lists only their date prefixes', async () => {
    const db = path.join(tmp, 'by-host.db');
    const storeUrl = pathToFileURL(localStoreDir).href;
    const r = await runCli(ANALYZER_BIN, ['--db', db, 'ingest', storeUrl, ...range, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const expected = inRange();
    expect(expected.length).toBeGreaterThan(300);
    expect(summaryOf(r).stores[0]).toMatchObject({
      url: storeUrl,
      topLevel: HOSTS.map((h) => `host=${h}/`),
      prefixes: HOSTS.flatMap((h) => [`host=${h}/date=2026-11-25/`, `host=${h}/date=2026-11-26/`]),
      // One page of hosts, then one page per date prefix.
      pages: 1 + HOSTS.length * 2,
      listed: expected.length,
      outOfRange: 0,
      downloaded: expected.length,
      ingested: expected.length,
      unverified: 0,
      failed: 0,
    });
    expect(String(r.stderr)).toContain(`listed ${expected.length} keys under 6 prefixes planned from 3 top-level prefixes (7 pages)`);
    expect(ids(db)).toEqual(expected.map((k) => k.snapshotId).sort());
  });

  it('lists everything on s3rver, whose delimiter listing finds no prefix two levels down, and ingests the same bundles', async () => {
    const db = path.join(tmp, 'by-host-s3rver.db');
    const r = await ingest(db, [url('many'), ...range, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const expected = inRange();
    expect(summaryOf(r).stores[0]).toMatchObject({
      topLevel: [],
      prefixes: [''],
      listed: MANY,
      outOfRange: MANY - expected.length,
      downloaded: expected.length,
      ingested: expected.length,
      failed: 0,
    });
    expect(ids(db)).toEqual(expected.map((k) => k.snapshotId).sort());
  });
});

describe('nsnap ingest s3:// with bad objects in the bucket (s3rver)', () => {
  it('names a garbage object, truncated gzip objects and foreign keys; ingests the rest; exits 1', async () => {
    const bad = store('bad');
    const good = [variant('h-a', new Date('2026-11-20T10:00:00Z')), variant('h-b', new Date('2026-11-20T11:00:00Z')), variant('h-a', new Date('2026-11-21T10:00:00Z'))];
    const garbage = Buffer.from('this is not a bundle\n');
    const truncated = variant('h-c', new Date('2026-11-20T12:00:00Z'));
    const cut = truncated.gzip.subarray(0, Math.floor(truncated.gzip.length / 2));
    const alsoTruncated = variant('h-c', new Date('2026-11-20T13:00:00Z'));
    const cut2 = alsoTruncated.gzip.subarray(0, Math.floor(alsoTruncated.gzip.length / 2));
    const garbageKey = bundleKey({ host: 'h-b', takenAt: '2026-11-20T09:00:00Z', snapshotId: uuidv7(Date.parse('2026-11-20T09:00:00Z')) });
    const unverified = variant('h-b', new Date('2026-11-22T10:00:00Z'));
    await putAll(bad, [
      ...good.map((v) => ({ key: v.key, body: v.gzip, sha256: v.sha256 })),
      { key: garbageKey, body: garbage, sha256: createHash('sha256').update(garbage).digest('hex') },
      // Cut short after the collector hashed it: the metadata still has the whole object's sha256.
      { key: truncated.key, body: cut, sha256: truncated.sha256 },
      // Cut short and hashed as cut (another writer): only gunzip can tell.
      { key: alsoTruncated.key, body: cut2, sha256: createHash('sha256').update(cut2).digest('hex') },
      // Put by another tool, without the collector's metadata.
      { key: unverified.key, body: unverified.gzip },
      { key: 'notes/README.txt', body: Buffer.from('hello') },
      { key: 'host=h-a/date=2026-11-20/not-a-bundle.bin', body: Buffer.from('x') },
    ]);
    const db = path.join(tmp, 'bad.db');
    const r = await ingest(db, [url('bad'), '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(1);
    const s = summaryOf(r);
    const stderr = String(r.stderr);
    expect(s).toMatchObject({ ingested: 4, failed: 3 });
    expect(s.stores[0]).toMatchObject({ listed: 9, foreign: 2, downloaded: 7, unverified: 1, ingested: 4, failed: 3 });
    expect(s.stores[0]!.foreignKeys).toEqual(['host=h-a/date=2026-11-20/not-a-bundle.bin', 'notes/README.txt']);
    for (const key of s.stores[0]!.foreignKeys) expect(stderr).toContain(`nsnap: skipped-foreign: ${url('bad')}/${key}: not a bundle key`);
    const reasons = Object.fromEntries(s.files.filter((f) => f.outcome === 'failed').map((f) => [f.path, f.reason]));
    expect(Object.keys(reasons).sort()).toEqual([garbageKey, truncated.key, alsoTruncated.key].map((k) => `${url('bad')}/${k}`).sort());
    expect(reasons[`${url('bad')}/${truncated.key}`]).toMatch(/^corrupt: the stored bytes have sha256 [0-9a-f]{16}…, the object's metadata says [0-9a-f]{16}…$/);
    expect(reasons[`${url('bad')}/${alsoTruncated.key}`]).toMatch(/^gzip: /);
    expect(reasons[`${url('bad')}/${garbageKey}`]).toMatch(/JSON|json/);
    for (const [where, reason] of Object.entries(reasons)) expect(stderr).toContain(`nsnap: failed: ${where}: ${reason}`);
    const ingested = query<{ snapshot_id: string }>(db, 'SELECT snapshot_id FROM snapshots ORDER BY snapshot_id').map((x) => x.snapshot_id);
    expect(ingested).toEqual([...good, unverified].map((v) => v.bundle.snapshotId).sort());

    // Failed keys are tried again (and fail again); the good ones are not downloaded again.
    const again = await ingest(db, [url('bad'), '--json']);
    expect(again.exitCode).toBe(1);
    expect(summaryOf(again).stores[0]).toMatchObject({ known: 4, downloaded: 3, failed: 3, ingested: 0 });
  });

  it('reports a bucket that does not exist, and an unreachable endpoint, as a failed source (exit 1)', async () => {
    const db = path.join(tmp, 'missing.db');
    const r = await ingest(db, [`s3://no-such-bucket-here/x`]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain('nsnap: failed: s3://no-such-bucket-here/x/: cannot list: no such bucket: no-such-bucket-here');
    const down = await runCli(ANALYZER_BIN, ['--db', db, 'ingest', url('many'), '--s3-endpoint', 'http://127.0.0.1:9'], { env: { ...S3RVER_ENV, AWS_MAX_ATTEMPTS: '1' }, extendEnv: true });
    expect(down.exitCode).toBe(1);
    expect(String(down.stderr)).toContain(`cannot list: cannot reach S3 endpoint http://127.0.0.1:9 (ECONNREFUSED)`);
  });

  it('refuses bad filter values and store flags without a store URL as usage errors (exit 2)', async () => {
    const db = path.join(tmp, 'usage.db');
    for (const [args, message] of [
      [[url('many'), '--since', 'yesterday'], /--since "yesterday" is not a time/],
      [[url('many'), '--since', '2026-11-26', '--until', '2026-11-25'], /--until "2026-11-25" is before --since "2026-11-26"/],
      [[url('many'), '--host', '../etc'], /--host "..\/etc" is not a host label/],
      [[url('many'), '--concurrency', '0'], /--concurrency "0" must be a whole number from 1 to 64/],
      [[tmp, '--host', 'h-a'], /--host, --s3-endpoint apply to store URLs/],
    ] as const) {
      const r = await ingest(db, [...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(String(r.stderr)).toMatch(message);
    }
  });
});
