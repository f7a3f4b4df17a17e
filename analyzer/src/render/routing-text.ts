import { INET6_RULE_PREFIX, type RoutingKind } from '@nsnap/shared/core';
import type { RoutingChange, RoutingDiff } from '../diff/routing-diff.js';

const ONE: Record<RoutingKind, string> = { routes: 'route', rules: 'rule', neighbours: 'neighbour' };
const HEADING: Record<RoutingKind, string> = { routes: 'routes', rules: 'rules', neighbours: 'neighbours' };

/**
 * IPv6 rules come from an exec of their own (`ip -6`, docs/bundle.md): in the
 * host always, elsewhere with `nsnap-collect --ipv6-rules`. A list without
 * one does not say there is none.
 */
function rulesHeading(list: string[]): string {
  return list.some((t) => t.startsWith(INET6_RULE_PREFIX)) ? 'rules (IPv4 and IPv6)' : 'rules (IPv4; no IPv6 rule recorded: not captured or none)';
}

/** Raw lines for terminalLines, which escapes them. `show --routes`: a namespace's lists, one entry a line, or why a list is not there. */
export function routingLines(routing: Record<RoutingKind, string[] | null>, indent = '  '): string[] {
  const lines: string[] = [];
  for (const kind of ['routes', 'rules', 'neighbours'] as const) {
    const list = routing[kind];
    const heading = kind === 'rules' && list !== null ? rulesHeading(list) : HEADING[kind];
    if (list === null) lines.push(`${indent}${heading}: not captured`);
    else if (list.length === 0) lines.push(`${indent}${heading}: none`);
    else lines.push(`${indent}${heading}:`, ...list.map((t) => `${indent}  ${t}`));
  }
  return lines;
}

/** One namespace's changed list in `diff`, a line per entry. */
export function routingChangeLines(c: RoutingChange): string[] {
  const what = ONE[c.kind];
  const doubt = c.uncertain === undefined ? '' : ' (namespace uncertain)';
  return [
    ...c.removed.map((t) => `- ${what} ${t}${doubt}`),
    ...c.added.map((t) => `+ ${what} ${t}${doubt}`),
    ...c.changed.map((x) => `~ ${what} ${x.from} → ${x.to}${doubt}`),
  ];
}

/** Lists captured on one side only, counted in one line: an upgraded collector would otherwise list every namespace. */
export function routingUncapturedLines(uncaptured: RoutingDiff['uncaptured']): string[] {
  if (uncaptured.length === 0) return [];
  const namespaces = new Set(uncaptured.map((u) => u.netns)).size;
  const sides = new Set(uncaptured.map((u) => u.side));
  const where = sides.size === 2 ? 'one of the two snapshots' : sides.has('from') ? 'the later snapshot' : 'the earlier snapshot';
  return [`? routes, rules or neighbours of ${namespaces} namespace${namespaces === 1 ? '' : 's'} captured only in ${where}: not compared`];
}
