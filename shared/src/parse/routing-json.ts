import { z } from 'zod';
import type { ParseIssue } from '../model.js';
import { pushIssue, truncate } from './issues.js';
import type { NamespaceDump } from './ip-batch-json.js';
import { INET6_RULE_PREFIX, type RoutingEntry, type RoutingFacts } from './routing-kinds.js';

/**
 * Routes, policy rules and neighbours from one namespace's `ip -d -j -batch`
 * (the lists `parseIpBatchJson` set aside). Each entry is validated on its
 * own: one that does not fit is skipped with an issue, the others are kept.
 * zod lives here, not in the batch parser, because the collector's core
 * must not load it (see core.ts).
 */

/** Interface names, addresses, table names: iproute2 prints none longer. */
const word = () => z.string().min(1).max(256);
const u32 = () => z.number().int().min(0).max(0xffff_ffff);
const flags = () => z.array(z.string().max(64)).max(32);

/**
 *   {"type":"unicast","dst":"10.10.0.0/16","gateway":"10.9.0.2","dev":"v0","table":"main",
 *    "protocol":"boot","scope":"global","flags":[]}
 *   {"dst":"fd01::/64","gateway":"fd00::2","dev":"v0","metric":1024,"flags":[],"pref":"medium"}
 * A multipath route has `nexthops` instead of one gateway and dev.
 */
const RouteSchema = z.object({
  type: word().optional(),
  dst: word(),
  gateway: word().optional(),
  via: z.object({ family: word().optional(), host: word() }).optional(),
  dev: word().optional(),
  table: word().optional(),
  protocol: word().optional(),
  scope: word().optional(),
  prefsrc: word().optional(),
  metric: u32().optional(),
  tos: word().optional(),
  pref: word().optional(),
  flags: flags().optional(),
  nexthops: z.array(z.object({ gateway: word().optional(), dev: word().optional(), weight: u32().optional(), flags: flags().optional() })).max(256).optional(),
});

/**
 *   {"priority":100,"src":"10.9.0.0","srclen":24,"table":"100"}
 *   {"priority":0,"src":"all","table":"local"}
 */
const RuleSchema = z.object({
  priority: u32(),
  not: z.literal(true).optional(),
  src: word().optional(),
  srclen: z.number().int().min(0).max(128).optional(),
  dst: word().optional(),
  dstlen: z.number().int().min(0).max(128).optional(),
  tos: word().optional(),
  fwmark: word().optional(),
  fwmask: word().optional(),
  iif: word().optional(),
  oif: word().optional(),
  l3mdev: z.literal(true).optional(),
  uid_range: word().optional(),
  ipproto: word().optional(),
  sport: z.union([u32(), word()]).optional(),
  dport: z.union([u32(), word()]).optional(),
  table: word().optional(),
  action: word().optional(),
  goto: u32().optional(),
  suppress_prefixlen: u32().optional(),
  protocol: word().optional(),
});

/** {"dst":"10.9.0.2","dev":"v0","lladdr":"02:00:00:00:00:02","state":["PERMANENT"]} */
const NeighbourSchema = z.object({
  dst: word(),
  dev: word().optional(),
  lladdr: word().optional(),
  router: z.literal(true).optional(),
  proxy: z.literal(null).optional(),
  state: flags().optional(),
});

type Route = z.infer<typeof RouteSchema>;
type Rule = z.infer<typeof RuleSchema>;
type Neighbour = z.infer<typeof NeighbourSchema>;

const part = (name: string, value: string | number | undefined) => (value === undefined ? [] : [name, String(value)]);

function routeEntry(r: Route): RoutingEntry {
  const table = r.table ?? 'main';
  const type = r.type ?? 'unicast';
  const hops = (r.nexthops ?? []).map((h) => ['nexthop', ...part('via', h.gateway), ...part('dev', h.dev), ...part('weight', h.weight)].join(' '));
  const text = [
    ...(type === 'unicast' ? [] : [type]),
    r.dst,
    ...part('via', r.gateway ?? r.via?.host),
    ...part('dev', r.dev),
    ...(table === 'main' ? [] : ['table', table]),
    ...part('proto', r.protocol),
    ...part('scope', r.scope),
    ...part('src', r.prefsrc),
    ...part('metric', r.metric),
    ...part('tos', r.tos),
    ...(r.flags ?? []),
    ...hops,
  ].join(' ');
  // The kernel keys an IPv4 route by table, destination, tos and metric; IPv6 keeps one per device too
  // (fe80::/64 on every interface).
  const ipv6 = r.dst.includes(':');
  return { key: [table, type, r.dst, r.tos ?? '', r.metric ?? '', ipv6 ? (r.dev ?? '') : ''].join(' '), text };
}

function ruleEntry(r: Rule): RoutingEntry {
  const src = r.src === undefined ? 'all' : r.srclen === undefined ? r.src : `${r.src}/${r.srclen}`;
  const text = [
    `${r.priority}:`,
    ...(r.not ? ['not'] : []),
    'from',
    src,
    ...part('to', r.dst === undefined ? undefined : r.dstlen === undefined ? r.dst : `${r.dst}/${r.dstlen}`),
    ...part('tos', r.tos),
    ...part('fwmark', r.fwmark === undefined ? undefined : r.fwmask === undefined ? r.fwmark : `${r.fwmark}/${r.fwmask}`),
    ...part('iif', r.iif),
    ...part('oif', r.oif),
    ...(r.l3mdev ? ['l3mdev'] : []),
    ...part('uidrange', r.uid_range),
    ...part('ipproto', r.ipproto),
    ...part('sport', r.sport),
    ...part('dport', r.dport),
    ...part('lookup', r.table),
    ...part('goto', r.goto),
    ...part('suppress_prefixlength', r.suppress_prefixlen),
    ...(r.action === undefined ? [] : [r.action]),
    ...part('proto', r.protocol),
  ].join(' ');
  // Several rules may share a priority: the whole rule is its identity, so a changed rule is one removed and one added.
  return { key: text, text };
}

function inet6(e: RoutingEntry): RoutingEntry {
  return { key: INET6_RULE_PREFIX + e.key, text: INET6_RULE_PREFIX + e.text };
}

/**
 * NUD states the kernel moves a learned entry through by itself, every few
 * seconds: written as one word, `dynamic`, so that a snapshot taken while an
 * entry went from REACHABLE to STALE neither shows a change nor stores a new
 * set (the bundle keeps the state as printed).
 */
const TRANSIENT = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE']);

function neighbourStates(states: string[]): string[] {
  const kept = states.filter((s) => !TRANSIENT.has(s));
  return kept.length < states.length ? [...kept, 'dynamic'] : kept;
}

function neighbourEntry(n: Neighbour): RoutingEntry {
  const text = [n.dst, ...part('dev', n.dev), ...part('lladdr', n.lladdr), ...(n.router ? ['router'] : []), ...(n.proxy === null ? ['proxy'] : []), ...neighbourStates(n.state ?? [])].join(' ');
  return { key: [n.dst, n.dev ?? '', n.proxy === null ? 'proxy' : ''].join(' '), text };
}

function entries<T>(list: unknown[] | null, schema: z.ZodType<T>, toEntry: (value: T) => RoutingEntry, what: string, issues: ParseIssue[]): RoutingEntry[] | null {
  if (list === null) return null;
  const out: RoutingEntry[] = [];
  for (const value of list) {
    const parsed = schema.safeParse(value);
    if (parsed.success) out.push(toEntry(parsed.data));
    else pushIssue(issues, { line: null, message: `${what} entry not understood, skipped: ${truncate(JSON.stringify(value) ?? String(value), 200)}` });
  }
  return out;
}

/**
 * Linear in the entries; never throws. `family` is the dump's when its
 * command said one (`batchFamily`): rules of an `ip -6` dump are written
 * with INET6_RULE_PREFIX.
 */
export function routingFromDump(dump: Pick<NamespaceDump, 'routing'>, family: 'inet6' | null = null): { facts: RoutingFacts; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  const toRule = family === 'inet6' ? (r: Rule) => inet6(ruleEntry(r)) : ruleEntry;
  const facts: RoutingFacts = {
    routes: entries(dump.routing.routes, RouteSchema, routeEntry, 'route', issues),
    rules: entries(dump.routing.rules, RuleSchema, toRule, 'rule', issues),
    neighbours: entries(dump.routing.neighbours, NeighbourSchema, neighbourEntry, 'neighbour', issues),
  };
  return { facts, issues };
}
