import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUE, tableOf, type Column, type Scalar } from '../catalogue/catalogue.js';
import type { LakeRow, LakeScalar } from './lake-rows.js';
import { LakeTypeError, writeParquet } from './write-parquet.js';

const ROWS = 40;
const T0 = Date.parse('2026-11-29T03:12:00.123Z');

function scalarValue(type: Scalar, i: number): LakeScalar {
  switch (type) {
    case 'string':
      return `v${i % 7}\u00e9\\x`;
    case 'int32':
      return i % 2 ? -i : 2 ** 31 - 1 - i;
    case 'int64':
      return 4026531840 + i * 1_000_003;
    case 'bool':
      return i % 3 === 0;
    case 'double':
      return i / 3;
    case 'timestamp':
      return new Date(T0 + i * 300_000).toISOString();
  }
}

/** A row value of every kind a column can hold: nulls in every other row of a nullable column, empty and longer lists. */
function value(c: Column, i: number) {
  if (c.nullable && i % 2 === 1) return null;
  if (typeof c.type === 'string') return scalarValue(c.type, i);
  const n = i % 3;
  if (typeof c.type.list === 'string') {
    const e = c.type.list;
    return Array.from({ length: n }, (_, k) => scalarValue(e, i + k)) as string[];
  }
  const fields = Object.entries(c.type.list.struct);
  return Array.from({ length: n }, (_, k) => Object.fromEntries(fields.map(([f, t]) => [f, t.nullable && k === 1 ? null : scalarValue(t.type, i + k)])));
}

/** A value as DuckDB's JSON rows give it back, for the same value written. */
function asRead(type: Scalar, v: LakeScalar): unknown {
  if (v === null) return null;
  if (type === 'int64') return String(v);
  if (type === 'timestamp') return Date.parse(v as string);
  return v;
}

describe('writeParquet', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-write-parquet-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every catalogue table so that DuckDB reads back the same typed values, in data page v1', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    try {
      for (const table of CATALOGUE) {
        const rows: LakeRow[] = Array.from({ length: ROWS }, (_, i) => Object.fromEntries(table.columns.map((c) => [c.name, value(c, i)])));
        const file = path.join(dir, `${table.name}.parquet`);
        writeFileSync(file, writeParquet(table, rows, { snapshotId: '01a22570-0a33-77f8-a226-de0156ab3b1a', contentSha256: 'ab'.repeat(32) }));
        const read = (await duck.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJson() as Record<string, unknown>[];
        expect(read, table.name).toHaveLength(ROWS);
        for (let i = 0; i < ROWS; i++) {
          for (const c of table.columns) {
            const got = read[i]![c.name];
            const want = rows[i]![c.name] ?? null;
            const where = `${table.name}[${i}].${c.name}`;
            if (typeof c.type === 'string') {
              expect(c.type === 'timestamp' && got !== null ? Date.parse(`${String(got).replace(' ', 'T')}Z`) : got, where).toEqual(asRead(c.type, want as LakeScalar));
            } else if (typeof c.type.list === 'string') {
              const e = c.type.list;
              expect(got, where).toEqual((want as LakeScalar[]).map((x) => asRead(e, x)));
            } else {
              const fields = Object.entries(c.type.list.struct);
              expect(got, where).toEqual((want as Record<string, LakeScalar>[]).map((s) => Object.fromEntries(fields.map(([f, t]) => [f, asRead(t.type, s[f] ?? null)]))));
            }
          }
        }
        // Every data page is a v1 page: its thrift header opens with field 1 (an i32, 0x15) = DATA_PAGE (0); v2 would be 3 (0x06).
        const bytes = readFileSync(file);
        const chunks = (await duck.runAndReadAll(`SELECT path_in_schema, data_page_offset FROM parquet_metadata('${file}')`)).getRowObjectsJson() as { path_in_schema: string; data_page_offset: string }[];
        expect(chunks.length, table.name).toBeGreaterThanOrEqual(table.columns.length);
        for (const ch of chunks) expect([...bytes.subarray(Number(ch.data_page_offset), Number(ch.data_page_offset) + 2)], `${table.name} ${ch.path_in_schema}`).toEqual([0x15, 0x00]);
        const meta = (await duck.runAndReadAll(`SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${file}')`)).getRowObjectsJson();
        expect(meta).toContainEqual({ key: 'nsnap.table', value: table.name });
      }
    } finally {
      duck.closeSync();
      instance.closeSync();
    }
  });

  it('refuses a value that does not fit its column, naming the table and column', () => {
    const t = tableOf('interfaces');
    const row = Object.fromEntries(t.columns.map((c) => [c.name, value(c, 0)]));
    const id = { snapshotId: 'x', contentSha256: 'y' };
    expect(() => writeParquet(t, [{ ...row, mtu: 'big' }], id)).toThrow(new LakeTypeError('interfaces', 'mtu', 'big', 'a int32'));
    expect(() => writeParquet(t, [{ ...row, ifname: null }], id)).toThrow(/interfaces\.ifname: null is not a string \(the column is not nullable\)/);
    expect(() => writeParquet(t, [{ ...row, netns: 2 ** 60 }], id)).toThrow(/interfaces\.netns/);
    expect(() => writeParquet(t, [{ ...row, taken_at: 'yesterday' }], id)).toThrow(/interfaces\.taken_at/);
    expect(() => writeParquet(t, [{ ...row, addresses: [{ family: 'inet', local: '10.0.0.1', prefixlen: '24' }] }], id)).toThrow(/interfaces\.addresses\.prefixlen/);
  });
});
