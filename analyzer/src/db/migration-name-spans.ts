import type { Database, Statement } from 'better-sqlite3';
import { ALL_SPAN_TABLES, NAME_SPAN_TABLES, spanTablesSql, spanWriter, type Fact } from './intervals.js';
import { deleteCascadeSql, perSnapshot } from './interval-migration.js';

/**
 * Migration 8: routing lists and runtime names as spans. Until now a namespace's reference to its
 * routes, rules and neighbours and every pod and container name were one row per snapshot, so an
 * unchanged snapshot still wrote them all again; they hold for spans of snapshots like the other
 * facts now. `convertNameSpans` replays the per-snapshot rows, then views with the old tables' names
 * and columns take their places (a view's `id` names a fact over its whole span, as `handles.id` does).
 */
export const NAME_SPANS_SQL = `
${spanTablesSql(NAME_SPAN_TABLES)}
-- A set no span references any more goes with the last reference (routing_sets_delete_entries takes its entries).
CREATE INDEX routing_spans_set ON routing_spans(routing_set);
CREATE INDEX runtime_pod_spans_uid ON runtime_pod_spans(host, pod_uid, last_at);
CREATE INDEX runtime_pod_spans_name ON runtime_pod_spans(host, name, last_at);
CREATE INDEX runtime_container_spans_id ON runtime_container_spans(host, container_id, last_at);
CREATE INDEX runtime_container_spans_name ON runtime_container_spans(host, name, last_at);
CREATE INDEX runtime_container_spans_pod_uid ON runtime_container_spans(host, pod_uid, last_at) WHERE pod_uid IS NOT NULL;
CREATE INDEX runtime_container_spans_pod_name ON runtime_container_spans(host, pod_name, last_at) WHERE pod_name IS NOT NULL;
`;

const VIEWS_SQL = `
DROP TRIGGER snapshots_delete_cascade;
DROP TRIGGER snapshots_delete_routing;
DROP TRIGGER snapshots_delete_runtime_names;
DROP TABLE namespace_routing;
DROP TABLE runtime_pods;
DROP TABLE runtime_containers;

CREATE VIEW namespace_routing AS SELECT snapshots.id AS snapshot, routing_spans.netns, routing_spans.kind, routing_spans.routing_set ${perSnapshot('routing_spans')};
CREATE VIEW runtime_pods AS SELECT runtime_pod_spans.id, snapshots.id AS snapshot, runtime_pod_spans.pod_uid, runtime_pod_spans.namespace, runtime_pod_spans.name ${perSnapshot('runtime_pod_spans')};
CREATE VIEW runtime_containers AS SELECT runtime_container_spans.id, snapshots.id AS snapshot, runtime_container_spans.source, runtime_container_spans.container_id,
    runtime_container_spans.name, runtime_container_spans.image, runtime_container_spans.pod_uid, runtime_container_spans.pod_namespace, runtime_container_spans.pod_name
  ${perSnapshot('runtime_container_spans')};

CREATE TRIGGER routing_spans_delete_set AFTER DELETE ON routing_spans
BEGIN
  DELETE FROM routing_sets WHERE id = old.routing_set AND NOT EXISTS (SELECT 1 FROM routing_spans WHERE routing_set = old.routing_set);
END;

${deleteCascadeSql(ALL_SPAN_TABLES)}`;

/** One snapshot's rows of the per-snapshot tables of migrations 6 and 7, in the form ingest writes them. */
const OLD_SQL = {
  routing: 'SELECT netns, kind, routing_set FROM namespace_routing WHERE snapshot = ? ORDER BY netns, kind',
  runtimePods: 'SELECT pod_uid, namespace, name FROM runtime_pods WHERE snapshot = ? ORDER BY id',
  runtimeContainers: 'SELECT source, container_id, name, image, pod_uid, pod_namespace, pod_name FROM runtime_containers WHERE snapshot = ? ORDER BY id',
} as const;

/** Replays every snapshot, oldest first per host, into the new span tables; then the views take the tables' places. */
export function convertNameSpans(db: Database): void {
  const writer = spanWriter(db, NAME_SPAN_TABLES);
  const read = Object.fromEntries(Object.entries(OLD_SQL).map(([k, sql]) => [k, db.prepare(sql).raw()])) as Record<keyof typeof OLD_SQL, Statement>;
  const snapshots = db.prepare('SELECT id AS row, host, taken_at AS at FROM snapshots ORDER BY host, taken_at, id').all() as { row: number; host: number; at: string }[];
  for (const s of snapshots) {
    const all = (k: keyof typeof OLD_SQL) => read[k].all(s.row) as Fact[];
    writer.apply(s.host, { row: s.row, at: s.at }, { routing: all('routing'), runtimePods: all('runtimePods'), runtimeContainers: all('runtimeContainers') });
  }
  db.exec(VIEWS_SQL);
}
