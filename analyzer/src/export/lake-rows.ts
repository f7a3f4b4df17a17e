import { CATALOGUE, type TableName } from '../catalogue/catalogue.js';

export type LakeScalar = string | number | boolean | null;
export type LakeValue = LakeScalar | string[] | Record<string, LakeScalar>[];
export type LakeRow = Record<string, LakeValue>;

/** One snapshot's rows for every table of the catalogue, as both sources (a database, bundles) produce them. */
export interface LakeSnapshot {
  host: string;
  snapshotId: string;
  /** ISO-8601 UTC, as `taken_at`. */
  takenAt: string;
  tables: Record<TableName, LakeRow[]>;
}

const rank = (v: LakeValue): string => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : typeof v === 'string' ? `s${v}` : `n${String(v)}`);

function compare(a: LakeValue, b: LakeValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const x = rank(a);
  const y = rank(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Puts each table's rows in the order of its catalogue key (then whole rows, for a total order), so that
 * a snapshot's files are the same bytes whichever source they came from: their name is their identity.
 */
export function sortTables(tables: Record<TableName, LakeRow[]>): Record<TableName, LakeRow[]> {
  for (const t of CATALOGUE) {
    const names = [...t.key, ...t.columns.map((c) => c.name).filter((n) => !t.key.includes(n))];
    tables[t.name].sort((a, b) => {
      for (const n of names) {
        const d = compare(a[n] ?? null, b[n] ?? null);
        if (d !== 0) return d;
      }
      return 0;
    });
  }
  return tables;
}
