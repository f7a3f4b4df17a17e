import type { Database } from 'better-sqlite3';

export interface GapView {
  source: 'collector' | 'ingest';
  probe: string;
  subject: string;
  reason: string;
  detail: string;
}

/** What the snapshot could not capture (collector) or read (ingest): shown next to every answer. */
export function loadGaps(db: Database, snapshot: number): GapView[] {
  return db.prepare('SELECT source, probe, subject, reason, detail FROM gaps WHERE snapshot = ? ORDER BY id').all(snapshot) as GapView[];
}
