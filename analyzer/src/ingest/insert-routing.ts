import type { Database } from 'better-sqlite3';
import { toDbText } from '@nsnap/shared';
import type { RoutingRow } from './routing-rows.js';

export interface RoutingInserter {
  /** Stores each list once by content and links it to the snapshot's namespace. Call inside the snapshot's transaction. */
  insert(snapshot: number, rows: RoutingRow[]): void;
}

export function routingInserter(db: Database): RoutingInserter {
  const s = {
    find: db.prepare('SELECT id FROM routing_sets WHERE kind = ? AND sha256 = ?').pluck(),
    set: db.prepare('INSERT INTO routing_sets (kind, sha256, entries) VALUES (?, ?, ?)'),
    entry: db.prepare('INSERT INTO routing_entries (routing_set, position, key, text) VALUES (?, ?, ?, ?)'),
    use: db.prepare('INSERT OR IGNORE INTO namespace_routing (snapshot, netns, kind, routing_set) VALUES (?, ?, ?, ?)'),
  };
  return {
    insert(snapshot, rows) {
      for (const r of rows) {
        let id = s.find.get(r.kind, r.sha256) as number | undefined;
        if (id === undefined) {
          id = Number(s.set.run(r.kind, r.sha256, r.entries.length).lastInsertRowid);
          r.entries.forEach((e, i) => s.entry.run(id, i, toDbText(e.key), toDbText(e.text)));
        }
        s.use.run(snapshot, r.netns, r.kind, id);
      }
    },
  };
}
