/** What the helpers need of a better-sqlite3 database (the test package does not depend on it directly). */
interface Statements {
  prepare(sql: string): { all(params: unknown[] | Record<string, unknown>): unknown[] };
}

/** Tables that grow with every snapshot: a plan must never scan them whole. */
export const GROWING_TABLES = [
  'snapshots', 'namespaces', 'processes', 'containers', 'handles', 'interfaces', 'links', 'link_candidates', 'gaps', 'snapshot_tags',
  'namespace_spans', 'handle_spans', 'container_spans', 'process_spans', 'interface_spans', 'link_spans', 'nsid_spans', 'interface_keys',
  'routing_spans', 'runtime_pod_spans', 'runtime_container_spans',
];

/** The `EXPLAIN QUERY PLAN` lines of a statement. */
export function planOf(db: Statements, sql: string, params: unknown[] | Record<string, unknown>): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
}

/** Throws, showing the plan, when it scans one of `tables` without an index ("SCAN t"). */
export function assertNoFullScan(details: string[], tables: readonly string[] = GROWING_TABLES): void {
  for (const d of details) {
    const m = /^SCAN (\w+)/.exec(d);
    if (m && tables.includes(m[1]!)) throw new Error(`full scan of ${m[1]} in plan: ${details.join(' | ')}`);
  }
}
