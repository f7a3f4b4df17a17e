import { parquetWriteBuffer } from 'hyparquet-writer';
import { CATALOGUE_VERSION, type Column, type Scalar, type Table } from '../catalogue/catalogue.js';
import { parquetSchema } from '../catalogue/parquet-schema.js';
import type { LakeRow, LakeScalar } from './lake-rows.js';

/** A value that does not fit its catalogue column: a database that is not what the catalogue says. */
export class LakeTypeError extends Error {
  constructor(table: string, column: string, value: unknown, expected: string) {
    super(`${table}.${column}: ${JSON.stringify(value)?.slice(0, 100)} is not ${expected}`);
    this.name = 'LakeTypeError';
  }
}

const INT32 = 2 ** 31;

/** Checks one scalar against its type and converts it to what hyparquet-writer takes (bigint for INT64, Date for timestamps). */
function scalar(table: string, column: string, type: Scalar, nullable: boolean, v: LakeScalar | undefined): unknown {
  if (v === null || v === undefined) {
    if (!nullable) throw new LakeTypeError(table, column, v ?? null, `a ${type} (the column is not nullable)`);
    return null;
  }
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      break;
    case 'int32':
      if (Number.isInteger(v) && (v as number) >= -INT32 && (v as number) < INT32) return v;
      break;
    case 'int64':
      if (Number.isSafeInteger(v)) return BigInt(v as number);
      break;
    case 'bool':
      if (typeof v === 'boolean') return v;
      break;
    case 'double':
      if (typeof v === 'number') return v;
      break;
    case 'timestamp':
      if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v);
      break;
  }
  throw new LakeTypeError(table, column, v, `a ${type}`);
}

function columnData(table: Table, c: Column, rows: LakeRow[]): unknown[] {
  const t = c.type;
  if (typeof t === 'string') return rows.map((r) => scalar(table.name, c.name, t, c.nullable, r[c.name] as LakeScalar));
  return rows.map((r) => {
    const v = r[c.name];
    if (v === null || v === undefined) return scalar(table.name, c.name, 'string', c.nullable, null);
    if (!Array.isArray(v)) throw new LakeTypeError(table.name, c.name, v, 'a list');
    if (typeof t.list === 'string') {
      const e = t.list;
      return v.map((x) => scalar(table.name, c.name, e, false, x as LakeScalar));
    }
    const fields = Object.entries(t.list.struct);
    return v.map((x) => {
      if (typeof x !== 'object' || x === null) throw new LakeTypeError(table.name, c.name, x, 'a struct');
      return Object.fromEntries(fields.map(([n, f]) => [n, scalar(table.name, `${c.name}.${n}`, f.type, f.nullable, (x as Record<string, LakeScalar>)[n])]));
    });
  });
}

/**
 * One table's rows of one snapshot as a Parquet file. The bytes depend only on the rows (no time or
 * writer state goes in), so the same snapshot exported twice, from a database or from its bundle, is the
 * same file. Data page v1 (patches/hyparquet-writer@0.17.0.patch: docs/fleet.md says why), PLAIN and RLE_DICTIONARY, snappy.
 */
export function writeParquet(table: Table, rows: LakeRow[], identity: { snapshotId: string; contentSha256: string }): Uint8Array {
  const buffer = parquetWriteBuffer({
    schema: parquetSchema(table),
    columnData: table.columns.map((c) => ({ name: c.name, data: columnData(table, c, rows) as never })),
    kvMetadata: [
      { key: 'nsnap.catalogue_version', value: String(CATALOGUE_VERSION) },
      { key: 'nsnap.table', value: table.name },
      { key: 'nsnap.snapshot_id', value: identity.snapshotId },
      { key: 'nsnap.content_sha256', value: identity.contentSha256 },
    ],
    createdBy: 'nsnap export',
  });
  return new Uint8Array(buffer);
}
