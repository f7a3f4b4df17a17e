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

/**
 * What starts the key and text of an IPv6 policy rule in a namespace's
 * `rules` list (IPv4's, taken in the main batch, have none: their stored
 * sets stay as they were). No IPv6 rule in a list: not captured there, or none.
 */
export const INET6_RULE_PREFIX = 'inet6 ';
