import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleBuilder, writeBundle } from '../../../test/support/bundle-builder.js';
import { migrate } from '../db/migrate.js';
import { ingestSources } from '../ingest/ingest.js';
import { normalizeBundle } from '../ingest/normalize.js';
import { parseUnpacked, unpackBundle } from '../ingest/read-bundle.js';
import { lakeRowsFromBundle } from '../export/rows-from-bundle.js';
import { dbSnapshotReader, listDbSnapshots } from '../export/rows-from-db.js';
import { writeParquet } from '../export/write-parquet.js';
import { CATALOGUE, tableOf, TABLE_NAMES, type ColumnType } from './catalogue.js';
import { catalogueMarkdown } from './docs.js';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = ['fixtures/bundles/host-only.json', 'fixtures/bundles/fuzz-lab-1.json.gz', 'fixtures/bundles/fuzz-lab-2.json.gz'].map((f) => path.join(ROOT, f));

/** SQLite declared types a lake column of this type may be read from. */
function sqliteTypes(t: ColumnType): string[] {
  // Through the views over the span tables (docs/schema.md), a STRICT table's ANY column, and a value a
  // view takes from json_each (link_candidates.interface), show as BLOB: no declared type, no conversion.
  if (typeof t !== 'string') return ['TEXT', 'INTEGER', 'BLOB'];
  return { string: ['TEXT', 'ANY', 'BLOB'], timestamp: ['TEXT'], int32: ['INTEGER', 'ANY', 'BLOB'], int64: ['INTEGER'], bool: ['INTEGER'], double: ['REAL'] }[t];
}

/** A bundle with what the text columns must survive: bytes that are not UTF-8, backslashes, a lone surrogate, containers in a pod. */
function hostileBundle() {
  const cgroup = (id: string) => `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_0000_4000_8000_000000000001.slice/cri-containerd-${id}.scope\n`;
  return new BundleBuilder({ host: 'catalogue-1', tags: { phase: 'test', z: 'last' } })
    .namespace({ inode: 4026531840, host: true, links: [{ ifindex: 5, ifname: 'veth\udc80a\\b', kind: 'veth', linkIndex: 2, linkNetnsid: 0, master: 'br\\0' }, { ifindex: 4, ifname: 'br\\0', kind: 'bridge' }] })
    .namespace({ inode: 4026532001, names: ['pod\\x'], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 5, linkNetnsid: 0 }] })
    .namespace({ inode: 4026532002, binds: ['/run/docker/netns/abc'], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 77, linkNetnsid: 3 }] })
    .process({ pid: 10, netns: 4026532001, comm: 'sle\ud800p', cgroup: cgroup('a'.repeat(64)) })
    .process({ pid: 11, netns: 4026532001, comm: 'pause', cgroup: cgroup('b'.repeat(64)) })
    .process({ pid: 12, netns: null, netnsError: 'denied', comm: 'x' })
    .lsns(4026531840, [{ inode: 4026532001, nsid: 0 }])
    .gap({ probe: 'proc-scan', subject: 'pid 99', reason: 'vanished', detail: 'exited' })
    .build();
}

describe('the table catalogue', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-catalogue-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names every lake table once, each with the snapshot key first and its key among its columns', () => {
    expect(CATALOGUE.map((t) => t.name)).toEqual([...TABLE_NAMES]);
    for (const t of CATALOGUE) {
      const names = t.columns.map((c) => c.name);
      expect(new Set(names).size, t.name).toBe(names.length);
      expect(names.slice(0, 3), t.name).toEqual(['snapshot_id', 'taken_at', 'boot_id']);
      for (const k of t.key) expect(names, `${t.name} key ${k}`).toContain(k);
      expect(names, t.name).not.toContain('host');
      expect(names, t.name).not.toContain('date');
    }
  });

  it('reads each column from a column the SQLite schema has, of a type that fits', () => {
    const db = new Sqlite(':memory:');
    migrate(db);
    const declared = new Map<string, string>();
    for (const t of new Set(CATALOGUE.flatMap((x) => x.columns.flatMap((c) => (c.sqlite ? [c.sqlite.table] : []))))) {
      for (const c of db.prepare(`SELECT name, type FROM pragma_table_xinfo(?)`).all(t) as { name: string; type: string }[]) declared.set(`${t}.${c.name}`, c.type.toUpperCase());
    }
    let checked = 0;
    for (const t of CATALOGUE) {
      for (const c of t.columns) {
        expect(c.sqlite, `${t.name}.${c.name} says where it comes from`).toBeDefined();
        const type = declared.get(`${c.sqlite!.table}.${c.sqlite!.column}`);
        expect(type, `${t.name}.${c.name} ← ${c.sqlite!.table}.${c.sqlite!.column}`).toBeDefined();
        expect(sqliteTypes(c.type), `${t.name}.${c.name} ← ${c.sqlite!.table}.${c.sqlite!.column} (${type})`).toContain(type);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(60);
    db.close();
  });

  it('gives the same rows and the same Parquet bytes from a database as from the bundles it ingested', () => {
    const files = [...FIXTURES, writeBundle(dir, hostileBundle())];
    const db = new Sqlite(':memory:');
    migrate(db);
    const summary = ingestSources(db, files);
    expect(summary.files.map((f) => f.reason)).toEqual(files.map(() => null));
    const read = dbSnapshotReader(db);
    const fromDb = new Map(listDbSnapshots(db, { host: null, since: null, until: null }).map((s) => [s.snapshotId, read(s)]));
    expect(fromDb.size).toBe(files.length);
    const nonEmpty = new Set<string>();
    for (const file of files) {
      const unpacked = unpackBundle(readFileSync(file));
      const parsed = parseUnpacked(unpacked);
      const rows = normalizeBundle(parsed.bundle);
      rows.gaps.push(...parsed.gaps);
      const lake = lakeRowsFromBundle(rows, { contentSha256: unpacked.contentSha256, jsonBytes: unpacked.json.byteLength });
      const stored = fromDb.get(lake.snapshotId)!;
      expect(stored, file).toEqual(lake);
      for (const name of TABLE_NAMES) {
        if (lake.tables[name].length > 0) nonEmpty.add(name);
        const id = { snapshotId: lake.snapshotId, contentSha256: unpacked.contentSha256 };
        expect(Buffer.from(writeParquet(tableOf(name), stored.tables[name], id)).equals(Buffer.from(writeParquet(tableOf(name), lake.tables[name], id))), `${file} ${name}`).toBe(true);
      }
    }
    // Every table had rows in some bundle, so every statement and every column was compared.
    expect([...nonEmpty].sort()).toEqual([...TABLE_NAMES].sort());
    db.close();
  });

  it('keeps names as SQLite does: a byte that is not UTF-8 as \\xNN, a backslash doubled, a lone surrogate as the database reads it back', () => {
    const unpacked = unpackBundle(Buffer.from(JSON.stringify(hostileBundle())));
    const lake = lakeRowsFromBundle(normalizeBundle(parseUnpacked(unpacked).bundle), { contentSha256: unpacked.contentSha256, jsonBytes: unpacked.json.byteLength });
    expect(lake.tables.interfaces.map((i) => i.ifname)).toContain('veth\\x80a\\\\b');
    expect(lake.tables.processes.map((p) => p.comm)).toContain('sle\ufffd\ufffd\ufffdp');
    expect(lake.tables.containers.map((c) => c.pod_uid)).toEqual(['1b2c3d4e-0000-4000-8000-000000000001', '1b2c3d4e-0000-4000-8000-000000000001']);
    expect(lake.tables.namespaces.find((n) => n.netns === 4026532002)?.mounts).toEqual(['/run/docker/netns/abc']);
  });

  it('is described in docs/fleet.md exactly as catalogueMarkdown() writes it', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/fleet.md'), 'utf8');
    const m = /<!-- catalogue:start[^>]*-->\n([\s\S]*?)<!-- catalogue:end -->/.exec(doc);
    expect(m, 'docs/fleet.md has the catalogue markers').not.toBeNull();
    expect(m![1]).toBe(catalogueMarkdown());
  });
});
