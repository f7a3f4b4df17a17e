import { isHostLabel } from '../schema/host-label.js';

export { isHostLabel, sanitizeHostLabel } from '../schema/host-label.js';

/**
 * The storage key layout: host=<label>/date=<YYYY-MM-DD>/<YYYYMMDDTHHMMSSZ>_<snapshotId>.json.gz
 * Host and date come first so a reader can list only the prefixes a filter needs.
 */
const SNAPSHOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function compactUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${iso}`);
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export function bundleKey(parts: { host: string; takenAt: string; snapshotId: string }): string {
  if (!isHostLabel(parts.host)) throw new Error(`invalid host label: ${JSON.stringify(parts.host)}`);
  if (!SNAPSHOT_ID.test(parts.snapshotId)) throw new Error(`invalid snapshot id: ${JSON.stringify(parts.snapshotId)}`);
  const stamp = compactUtc(parts.takenAt);
  const date = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}`;
  return `host=${parts.host}/date=${date}/${stamp}_${parts.snapshotId}.json.gz`;
}

export interface ParsedKey {
  host: string;
  date: string;
  takenAt: string;
  snapshotId: string;
}

/** Reads a key back into its parts; null for a key that is not in the layout. */
export function parseBundleKey(key: string): ParsedKey | null {
  const m = /(?:^|\/)host=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/(\d{8}T\d{6}Z)_([0-9a-f-]{36})\.json(?:\.gz)?$/.exec(key);
  if (!m) return null;
  const [, host, date, stamp, snapshotId] = m as unknown as [string, string, string, string, string];
  if (!isHostLabel(host) || !SNAPSHOT_ID.test(snapshotId)) return null;
  const takenAt = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
  return { host, date, takenAt, snapshotId };
}

/** A key is safe when every segment is a plain name: no empty, `.` or `..` segment, no leading `/`, no NUL or backslash. */
export function assertSafeKey(key: string): void {
  if (key.length === 0 || key.length > 1024) throw new Error(`invalid key (length ${key.length})`);
  if (key.startsWith('/') || /[\0\\]/.test(key)) throw new Error(`invalid key: ${JSON.stringify(key.slice(0, 200))}`);
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw new Error(`invalid key: ${JSON.stringify(key.slice(0, 200))}`);
  }
}
