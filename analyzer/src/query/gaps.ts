import type { Database } from 'better-sqlite3';
import type { GapView } from '../answer/common.js';

/** What the snapshot could not capture (collector) or read (ingest): shown next to every answer. */
export function loadGaps(db: Database, snapshot: number): GapView[] {
  return db.prepare('SELECT source, probe, subject, reason, detail FROM gaps WHERE snapshot = ? ORDER BY id').all(snapshot) as GapView[];
}
