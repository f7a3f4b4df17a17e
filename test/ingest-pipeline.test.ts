import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bundle } from '@nsnap/shared';
import { openDatabase } from '../analyzer/src/db/open.js';
import { findBundles } from '../analyzer/src/ingest/find-bundles.js';
import { bundleIngester, ingestSources, ingestSourcesPipelined } from '../analyzer/src/ingest/ingest.js';
import { prepareBundle } from '../analyzer/src/ingest/prepare-bundle.js';
import { PIPELINE_MIN_FILES, preparedInWorker } from '../analyzer/src/ingest/prepare-pipeline.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';

/**
 * The pipelined ingest (bundles prepared on a worker thread, written on the main one) against the
 * sequential one, over one mixed set of sources: every outcome, in order, and every row of every
 * table must be the same. The worker runs tsc's output (in process) and the CLI bundle's (nsnap):
 * build before running this.
 */
const NOW = () => new Date('2026-12-01T12:00:00.000Z');
/** Columns that hold the wall clock: equal when `now` is the same. A duration is never the same twice. */
const CLOCK_COLUMNS = new Set(['ingest_log.at', 'snapshots.ingested_at']);
const DURATION = 'ingest_log.duration_ms';

const minute = (k: number) => new Date(Date.parse('2026-11-29T10:00:00.000Z') + k * 60_000).toISOString();

/** A bundle whose first container dump ends in junk: past the per-bundle work budget (work-budget.ts). */
function overBudget(): Bundle {
  const bundle = dockerNode({ host: 'junk-1', takenAt: minute(3) }).build();
  const ns = bundle.namespaces.find((n) => !n.isHost && n.captures.length > 0)!;
  ns.captures[0] = { ...ns.captures[0]!, stdout: `${ns.captures[0]!.stdout}${'junk\n[]\n'.repeat(20_000)}` };
  return bundle;
}

/** The mixed sources, in the order given: two hosts interleaved, and every way a bundle can fail or be skipped in between. */
function mixedSources(dir: string): string[] {
  const put = (name: string, bytes: Uint8Array | string) => {
    const file = path.join(dir, 'odd', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    return file;
  };
  const a = [0, 1, 2].map((k) => dockerNode({ host: 'node-a', takenAt: minute(k) }).build());
  const b = [0, 1, 2].map((k) => dockerNode({ host: 'node-b', takenAt: minute(k) }).build());
  const a0 = writeBundle(path.join(dir, 'a0'), a[0]!);
  const b2 = writeBundle(path.join(dir, 'b2'), b[2]!);
  return [
    a0,
    writeBundle(path.join(dir, 'b0'), b[0]!),
    put('schema.json', JSON.stringify({ ...a[1]!, host: { ...a[1]!.host, uid: 'root' } })),
    writeBundle(path.join(dir, 'a1'), a[1]!),
    put('broken.json.gz', gzipSync(JSON.stringify(b[1]!)).subarray(0, 200)),
    path.join(dir, 'missing.json.gz'),
    writeBundle(path.join(dir, 'junk'), overBudget()),
    // The same content as a0, stored at another gzip level: skipped as known.
    put('a0-again.json.gz', gzipSync(JSON.stringify(a[0]!), { level: 1 })),
    writeBundle(path.join(dir, 'b1'), b[1]!),
    // a1's snapshot id, other content: refused.
    put('a1-conflict.json', JSON.stringify({ ...a[1]!, tags: { changed: 'yes' } })),
    // A directory: its bundles come in name order, between the sources around it.
    (writeBundle(path.join(dir, 'dir'), a[2]!), path.join(dir, 'dir')),
    b2,
    put('b2-plain.json', JSON.stringify(b[2]!)),
  ];
}

type Row = Record<string, unknown>;
type Database = ReturnType<typeof openDatabase>;

/** A table's rows in the order they were written: by rowid, or by primary key in a table without one. */
const order = (db: Database, table: string) => ((db.prepare('SELECT wr FROM pragma_table_list WHERE name = ?').pluck().get(table) as number) ? '1' : 'rowid');

/** Every table's rows in the order written, without durations, and without the clock's columns when `withClock` is false. */
function dump(db: Database, withClock: boolean): Record<string, Row[]> {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  return Object.fromEntries(
    tables.map((t) => {
      const rows = db.prepare(`SELECT * FROM ${t} ORDER BY ${order(db, t)}`).all() as Row[];
      return [t, rows.map((r) => Object.fromEntries(Object.entries(r).filter(([c]) => `${t}.${c}` !== DURATION && (withClock || !CLOCK_COLUMNS.has(`${t}.${c}`)))))];
    }),
  );
}

describe('ingest pipelined on a worker thread', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-pipeline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sources = mixedSources(path.join(dir, 'bundles'));

  it('the worker hands over every bundle in order, as prepared on this thread', async () => {
    const files = sources.filter((s) => !s.endsWith('missing.json.gz') && !s.endsWith('dir'));
    const known = new Set<string>();
    const stream = preparedInWorker(files, [...known]);
    try {
      for (const [i, file] of files.entries()) {
        // Now and then the worker is let run ahead, so that several bundles wait to be taken.
        if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 300));
        const { value } = await stream.next();
        expect(value, file).toEqual(prepareBundle(() => readFileSync(file), (sha) => known.has(sha)));
      }
    } finally {
      await stream.close();
    }
    expect(stream.fromWorker).toBe(files.length);
  });

  it('the same outcomes, in order, and the same rows in every table as one thread, and again on a second run', async () => {
    // Enough bundles that the pipelined ingest does not stay on one thread.
    expect(sources.flatMap((s) => findBundles(s).files).length).toBeGreaterThanOrEqual(PIPELINE_MIN_FILES);
    const seq = openDatabase(path.join(dir, 'seq.db'), { mustExist: false });
    const pipe = openDatabase(path.join(dir, 'pipe.db'), { mustExist: false });
    try {
      const first = ingestSources(seq, sources, { now: NOW });
      const piped = await ingestSourcesPipelined(pipe, sources, { now: NOW });
      expect(first).toMatchObject({ ingested: 6, skipped: 2, failed: 5 });
      expect(first.files.map((f) => f.outcome)).toEqual([
        'ingested', 'ingested', 'failed', 'ingested', 'failed', 'failed', 'failed', 'skipped', 'ingested', 'failed', 'ingested', 'ingested', 'skipped',
      ]);
      expect(first.files[2]!.reason).toMatch(/^schema violation: /);
      expect(first.files[6]!.reason).toMatch(/over the per-bundle work budget/);
      expect(first.files[9]!.reason).toMatch(/already in the database with different content/);
      expect(piped.files).toEqual(first.files);
      expect(dump(pipe, true)).toEqual(dump(seq, true));

      // Everything known now: skipped before parsing, on both paths alike.
      const again = ingestSources(seq, sources, { now: NOW });
      const pipedAgain = await ingestSourcesPipelined(pipe, sources, { now: NOW });
      expect(again).toMatchObject({ ingested: 0, skipped: 8, failed: 5 });
      expect(pipedAgain.files).toEqual(again.files);
      expect(dump(pipe, true)).toEqual(dump(seq, true));
    } finally {
      seq.close();
      pipe.close();
    }
  });

  it('a bundle the worker left unparsed as known content, which the database no longer holds, is read again and ingested', () => {
    const file = sources[0]!;
    const direct = openDatabase(path.join(dir, 'direct.db'), { mustExist: false });
    const late = openDatabase(path.join(dir, 'late.db'), { mustExist: false });
    try {
      const unparsed = prepareBundle(() => readFileSync(file), () => true);
      expect(unparsed.kind).toBe('known');
      const outcome = bundleIngester(late, NOW).commit(file, unparsed, () => readFileSync(file), performance.now());
      expect(outcome).toMatchObject({ outcome: 'ingested', reason: null });
      expect(outcome).toEqual(bundleIngester(direct, NOW).ingest(file, () => readFileSync(file)));
      expect(dump(late, true)).toEqual(dump(direct, true));
    } finally {
      direct.close();
      late.close();
    }
  });

  it('nsnap ingest (its bundled worker) gives the same outcomes and rows', async () => {
    const db = path.join(dir, 'cli.db');
    const r = await runCli(ANALYZER_BIN, ['ingest', '--db', db, '--json', ...sources]);
    expect(r.exitCode, String(r.stderr)).toBe(1);
    const seq = openDatabase(path.join(dir, 'cli-seq.db'), { mustExist: false });
    const cli = openDatabase(db, { mustExist: true });
    try {
      const expected = ingestSources(seq, sources);
      expect((JSON.parse(String(r.stdout)) as { files: unknown }).files).toEqual(expected.files);
      expect(dump(cli, false)).toEqual(dump(seq, false));
    } finally {
      seq.close();
      cli.close();
    }
  });
});
