import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleBuilder, writeBundle } from '../../../test/support/bundle-builder.js';
import { migrate } from '../db/migrate.js';
import { ingestSources } from '../ingest/ingest.js';
import { hostPartition, lakeKey } from './lake-path.js';
import { runExport, type ExportFlags } from './run-export.js';

/** Every file below dir, relative, with its bytes. */
function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function bundle(host: string, takenAt: string, extraVeth = false) {
  const b = new BundleBuilder({ host, takenAt })
    .namespace({ inode: 4026531840, host: true, links: [{ ifindex: 5, ifname: 'vethaaa', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }, ...(extraVeth ? [{ ifindex: 6, ifname: 'vethlost', kind: 'veth', linkIndex: 9, linkNetnsid: 7 }] : [])] })
    .namespace({ inode: 4026532001, names: ['blue'], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 5, linkNetnsid: 0 }] })
    .process({ pid: 10, netns: 4026532001, comm: 'sleep' })
    .lsns(4026531840, [{ inode: 4026532001, nsid: 0 }]);
  return b.build();
}

const quietIo = { stderr: { write: () => true } };
const flags = (over: Partial<ExportFlags>): ExportFlags => ({ to: '', json: true, quiet: true, ...over });

describe('nsnap export', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-export-'));
  const bundles = path.join(dir, 'bundles');
  const db = path.join(dir, 'nsnap.db');
  const written = [bundle('web-1', '2026-11-29T10:00:00.000Z'), bundle('web-1', '2026-11-30T10:00:00.000Z', true), bundle('web-2', '2026-11-30T11:00:00.000Z')].map((b) => writeBundle(bundles, b));
  const conn = new Sqlite(db);
  migrate(conn);
  ingestSources(conn, written);
  conn.close();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one file per table with rows per snapshot, under <table>/host=H/date=D/<snapshot_id>.parquet', async () => {
    const lake = path.join(dir, 'lake-a');
    const summary = await runExport(flags({ db, to: lake }), quietIo);
    expect(summary).toMatchObject({ snapshots: 3, exported: 3, present: 0, failed: 0 });
    const keys = [...files(lake).keys()];
    expect(keys).toHaveLength(summary.files);
    for (const k of keys) expect(k).toMatch(/^[a-z_]+\/host=web-[12]\/date=2026-11-(29|30)\/[0-9a-f-]{36}\.parquet$/);
    expect(keys.filter((k) => k.startsWith('snapshots/'))).toHaveLength(3);
    expect(keys.filter((k) => k.startsWith('unpaired_veths/'))).toHaveLength(1);
    expect(summary.rows.unpaired_veths).toBe(1);
  });

  it('is idempotent and resumable: a second run writes nothing, a run stopped half-way is finished with the same bytes', async () => {
    const lake = path.join(dir, 'lake-b');
    await runExport(flags({ db, to: lake }), quietIo);
    const first = files(lake);
    const again = await runExport(flags({ db, to: lake }), quietIo);
    expect(again).toMatchObject({ snapshots: 3, exported: 0, present: 3, files: 0 });
    // A run stopped after some tables of one snapshot: its snapshots file (written last) and one other file are missing.
    const victim = [...first.keys()].find((k) => k.startsWith('snapshots/host=web-2/'))!;
    const other = victim.replace(/^snapshots\//, 'interfaces/');
    unlinkSync(path.join(lake, victim));
    unlinkSync(path.join(lake, other));
    const resumed = await runExport(flags({ db, to: lake }), quietIo);
    expect(resumed).toMatchObject({ exported: 1, present: 2 });
    const after = files(lake);
    expect([...after.keys()].sort()).toEqual([...first.keys()].sort());
    for (const [k, bytes] of first) expect(after.get(k)!.equals(bytes), k).toBe(true);
  });

  it('exports the same files from the bundles (--from) as from the database, and filters by --host, --since and --until', async () => {
    const fromDb = path.join(dir, 'lake-c');
    const fromBundles = path.join(dir, 'lake-d');
    await runExport(flags({ db, to: fromDb }), quietIo);
    const s = await runExport(flags({ from: bundles, to: fromBundles }), quietIo);
    expect(s).toMatchObject({ snapshots: 3, exported: 3, failed: 0 });
    const a = files(fromDb);
    const b = files(fromBundles);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, bytes] of a) expect(b.get(k)!.equals(bytes), k).toBe(true);

    for (const source of [{ db }, { from: bundles }]) {
      const lake = mkdtempSync(path.join(dir, 'filtered-'));
      const f = await runExport(flags({ ...source, to: lake, host: 'web-1', since: '2026-11-30', until: '2026-11-30' }), quietIo);
      expect(f, JSON.stringify(source)).toMatchObject({ snapshots: 1, exported: 1 });
      expect([...files(lake).keys()].every((k) => k.includes('/host=web-1/date=2026-11-30/'))).toBe(true);
    }
  });

  it('refuses flags that cannot be meant: a database and --from, a host that is no label, a range that ends before it starts', async () => {
    const lake = path.join(dir, 'lake-refused');
    await expect(runExport(flags({ db, from: bundles, to: lake }), quietIo)).rejects.toThrow(/--from .* not both/);
    await expect(runExport(flags({ db, to: lake, host: '../x' }), quietIo)).rejects.toThrow(/--host/);
    await expect(runExport(flags({ db, to: lake, since: '2026-11-30', until: '2026-11-29' }), quietIo)).rejects.toThrow(/--until .* before --since/);
    await expect(runExport(flags({ db: path.join(dir, 'missing.db'), to: lake }), quietIo)).rejects.toThrow(/no database/);
    expect(() => statSync(lake)).toThrow();
  });

  it('says how far it got on stderr, and names what it could not export', async () => {
    const lines: string[] = [];
    await runExport(flags({ db, to: path.join(dir, 'lake-progress'), quiet: false }), { stderr: { write: (t: string) => lines.push(t) } });
    expect(lines.join('')).toMatch(/^nsnap: export done: 3 snapshot\(s\), 3 written \(\d+ files, \d+ bytes\), 0 already in the lake, 0 failed\n$/m);
  });

  it('keeps hostile host labels and snapshot ids from a database inside the lake', async () => {
    const hostileDb = path.join(dir, 'hostile.db');
    const c = new Sqlite(hostileDb);
    migrate(c);
    ingestSources(c, written);
    const labels = ['../../../escaped', '/etc/cron.d', '..', 'a/../../b', '%2e%2e', 'host=x/date=y', '\u202eevil\n'];
    const hosts = c.prepare('SELECT id FROM hosts ORDER BY id').pluck().all() as number[];
    c.prepare('UPDATE hosts SET label = ? WHERE id = ?').run(labels[0], hosts[0]);
    c.prepare('UPDATE hosts SET label = ? WHERE id = ?').run(labels[1], hosts[1]);
    // One snapshot id that reads like a path.
    const one = c.prepare("SELECT id FROM snapshots ORDER BY taken_at LIMIT 1").pluck().get() as number;
    c.prepare("UPDATE snapshots SET snapshot_id = '../../../../tmp/x' WHERE id = ?").run(one);
    c.close();
    const parent = mkdtempSync(path.join(dir, 'jail-'));
    const lake = path.join(parent, 'lake');
    mkdirSync(lake);
    const summary = await runExport(flags({ db: hostileDb, to: lake }), quietIo);
    expect(summary.failed).toBe(1);
    expect(summary.failures[0]?.reason).toMatch(/is not a UUID/);
    expect(summary.exported).toBe(2);
    // Nothing was written beside the lake, nor anywhere above it.
    expect(readdirSync(parent)).toEqual(['lake']);
    expect(() => statSync(path.join(dir, 'escaped'))).toThrow();
    for (const k of files(lake).keys()) {
      const host = /^[a-z_]+\/host=([^/]+)\/date=\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.parquet$/.exec(k)?.[1];
      expect(host, k).toMatch(/^[A-Za-z0-9_%-]+$/);
    }
    for (const label of labels) {
      const p = hostPartition(label);
      expect(p, label).toMatch(/^[A-Za-z0-9_%-]+$/);
      expect(decodeURIComponent(p)).toBe(label);
      expect(lakeKey('gaps', { host: label, takenAt: '2026-11-29T10:00:00Z', snapshotId: '01a22570-0a33-77f8-a226-de0156ab3b1a' }).split('/')).toHaveLength(4);
    }
    expect(hostPartition('web-1.example')).toBe('web-1.example');
  });
});
