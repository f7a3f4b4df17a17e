import { isHostLabel } from '@nsnap/shared';
import type { TableName } from '../catalogue/catalogue.js';

const SNAPSHOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A host as a partition value. A label as the collector makes them is kept as it is; anything else
 * (a database is an interface too: its hosts table may hold any text) has every byte outside
 * [A-Za-z0-9_-] written %XX, Hive's escaping, so it can hold no `/`, no `.` and no `..`: the key
 * stays inside the lake, and two hosts stay two partitions.
 */
export function hostPartition(host: string): string {
  if (isHostLabel(host)) return host;
  if (host === '') return '%00';
  return [...Buffer.from(host, 'utf8')].map((b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** The UTC day of an ISO time, for `date=`. */
export function datePartition(takenAt: string): string {
  const t = Date.parse(takenAt);
  if (Number.isNaN(t)) throw new Error(`taken_at ${JSON.stringify(takenAt.slice(0, 100))} is not a time`);
  return new Date(t).toISOString().slice(0, 10);
}

/** `<table>/host=<host>/date=<YYYY-MM-DD>/<snapshot_id>.parquet`; throws on a snapshot id that is not one. */
export function lakeKey(table: TableName, snap: { host: string; takenAt: string; snapshotId: string }): string {
  if (!SNAPSHOT_ID.test(snap.snapshotId)) throw new Error(`snapshot id ${JSON.stringify(snap.snapshotId.slice(0, 100))} is not a UUID`);
  return `${table}/host=${hostPartition(snap.host)}/date=${datePartition(snap.takenAt)}/${snap.snapshotId}.parquet`;
}
