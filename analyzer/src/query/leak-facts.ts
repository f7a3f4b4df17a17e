// What the leaked-address rule needs beyond the snapshot state: how process-less namespaces are held, and how many processes were unreadable.
import type { Database } from 'better-sqlite3';
import type { ProcessHold } from '../check/leaked-addresses.js';

/**
 * Namespaces the collector entered through a process's open fd or one of its
 * threads (`entered_path`, as the bundle's `entered.path` gave it): found
 * only that way, they have no process of their own, yet a process holds them.
 */
export const HOLDS_SQL = "SELECT inode, entered_path AS path FROM namespaces WHERE snapshot = ? AND entered_via = 'pid' AND (entered_path LIKE '%/fd/%' OR entered_path LIKE '%/task/%')";

export function loadHolds(db: Database, snapshot: number): Map<number, ProcessHold> {
  const out = new Map<number, ProcessHold>();
  for (const r of db.prepare(HOLDS_SQL).all(snapshot) as { inode: number; path: string }[]) {
    // Under the collector's --proc-root: only the end of the path says what it is.
    if (/\/\d+\/fd\/\d+$/.test(r.path)) out.set(r.inode, 'fd');
    else if (/\/\d+\/task\/\d+\/ns\/net$/.test(r.path)) out.set(r.inode, 'thread');
  }
  return out;
}

/** Processes whose namespace could not be read, other than those that exited between the listing and the read. */
export const UNREADABLE_LIVE_SQL = "SELECT count(*) FROM processes WHERE snapshot = ? AND netns IS NULL AND netns_error IS NOT 'vanished'";

export function countUnreadableLive(db: Database, snapshot: number): number {
  return db.prepare(UNREADABLE_LIVE_SQL).pluck().get(snapshot) as number;
}
