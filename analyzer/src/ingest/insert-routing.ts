import type { Database } from 'better-sqlite3';
import { toDbText } from '@nsnap/shared';
import type { Fact } from '../db/intervals.js';
import type { RoutingRow } from './routing-rows.js';

export interface RoutingInserter {
  /**
   * Stores each list once by content and returns the namespaces' references to them as facts of
   * `routing_spans` (one per namespace and kind, the first listed). Call inside the snapshot's transaction.
   */
  facts(rows: RoutingRow[]): Fact[];
}

export function routingInserter(db: Database): RoutingInserter {
  const s = {
    find: db.prepare('SELECT id FROM routing_sets WHERE kind = ? AND sha256 = ?').pluck(),
    set: db.prepare('INSERT INTO routing_sets (kind, sha256, entries) VALUES (?, ?, ?)'),
    entry: db.prepare('INSERT INTO routing_entries (routing_set, position, key, text) VALUES (?, ?, ?, ?)'),
  };
  return {
    facts(rows) {
      const out: Fact[] = [];
      const seen = new Set<string>();
      for (const r of rows) {
        const key = `${r.netns}:${r.kind}`;
        if (seen.has(key)) continue;
        seen.add(key);
        let id = s.find.get(r.kind, r.sha256) as number | undefined;
        if (id === undefined) {
          id = Number(s.set.run(r.kind, r.sha256, r.entries.length).lastInsertRowid);
          r.entries.forEach((e, i) => s.entry.run(id, i, toDbText(e.key), toDbText(e.text)));
        }
        out.push([r.netns, r.kind, id]);
      }
      return out;
    },
  };
}
