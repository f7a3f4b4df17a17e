/**
 * What `routingFromDump` (routing-json.ts, with zod) yields, kept apart from
 * it so readers of stored lists (the analyzer's queries) load no zod.
 *
 * `key` is what identifies an entry within its namespace (what `diff`
 * matches on), `text` the whole entry in `ip`'s own words (what `show`
 * prints and what a change compares).
 */
export interface RoutingEntry {
  key: string;
  text: string;
}

export interface RoutingFacts {
  /** null: the dump holds no such list (not asked, or the command failed). */
  routes: RoutingEntry[] | null;
  rules: RoutingEntry[] | null;
  neighbours: RoutingEntry[] | null;
}

export type RoutingKind = keyof RoutingFacts;
export const ROUTING_KINDS: readonly RoutingKind[] = ['routes', 'rules', 'neighbours'];
