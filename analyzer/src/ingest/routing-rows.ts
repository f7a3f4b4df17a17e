import { createHash } from 'node:crypto';
import { BATCH_COMMANDS, batchFamily, parseCapture, routingFromDump, ROUTING_KINDS, SPECS, type Bundle, type Capture, type DumpParser, type RoutingEntry, type RoutingFacts, type RoutingKind } from '@nsnap/shared';
import type { GapRow } from './normalize.js';

const ASKED = Object.entries(BATCH_COMMANDS).filter(([, kind]) => kind === 'routes' || kind === 'rules' || kind === 'neighbours').map(([command]) => command);

/** One namespace's list of one kind, with the hash it is stored under. */
export interface RoutingRow {
  netns: number;
  kind: RoutingKind;
  sha256: string;
  entries: RoutingEntry[];
}

/**
 * The routes, rules and neighbours of every namespace a bundle captured,
 * from its link dump (spec table: a `namespace-dump` capture). A list the
 * dump does not hold gives no row; entries the parser skipped are one ingest
 * gap per namespace. Pure; `parse` may be the one normalize used (work-budget.ts `parsedOnce`).
 */
export function routingRows(bundle: Pick<Bundle, 'namespaces'>, parse: DumpParser = parseCapture): { rows: RoutingRow[]; gaps: GapRow[] } {
  const rows: RoutingRow[] = [];
  const gaps: GapRow[] = [];
  const seen = new Set<number>();
  for (const ns of bundle.namespaces) {
    // One inode is one namespace: a second listing is left out, as the correlation does.
    if (seen.has(ns.inode)) continue;
    seen.add(ns.inode);
    const dumps = ns.captures.filter((c) => c.spec === 'ip_batch_json' && SPECS[c.spec].parser.yields === 'namespace-dump');
    // The main batch (the first, as the correlation takes it) and the `ip -6` rules beside it (collectors since IPv6 rules).
    const main = dumps.find((c) => batchFamily(c.argv) === null);
    const inet6 = dumps.find((c) => batchFamily(c.argv) === 'inet6');
    const parsed = [main, inet6].map((c) => (c ? routingOf(c, parse) : null));
    if (parsed.every((p) => p === null)) continue;
    const [first, second] = parsed;
    // A copy: the lists of a parse are shared between bundles with the same dump (routingOf).
    const facts: RoutingFacts = { ...(first?.facts ?? { routes: null, rules: null, neighbours: null }) };
    if (second?.facts.rules) facts.rules = [...(facts.rules ?? []), ...second.facts.rules];
    const issues = [...(first?.issues ?? []), ...(second?.issues ?? [])];
    for (const kind of ROUTING_KINDS) {
      const entries = facts[kind];
      if (entries !== null) rows.push({ netns: ns.inode, kind, sha256: setHash(kind, entries), entries });
    }
    if (issues.length > 0) {
      gaps.push({ source: 'ingest', probe: 'routing', subject: `netns ${ns.inode}`, reason: 'failed', detail: `${issues.length} route, rule or neighbour entries not understood and left out (first: ${issues[0]!.message})`.slice(0, 1000) });
    }
  }
  return { rows, gaps };
}

type Routing = ReturnType<typeof routingFromDump>;
// A parsed dump is one object for every bundle with the same text (work-budget.ts): its lists, and
// their hashes, are made once for it. Reading them again at every snapshot was a tenth of ingest.
const routingByDump = new WeakMap<object, { inet6: Routing | null; plain: Routing | null }>();
const hashes = new WeakMap<RoutingEntry[], string>();

/** A batch's routing lists, or null when it asked for none (bundles of earlier collectors: not parsed a second time) or gave no usable output. */
function routingOf(capture: Capture, parse: DumpParser): Routing | null {
  if (!ASKED.some((command) => capture.stdin?.includes(command))) return null;
  const dump = parse(capture);
  if (dump.status !== 'parsed') return null;
  const family = batchFamily(capture.argv);
  const slot = family === 'inet6' ? 'inet6' : 'plain';
  let known = routingByDump.get(dump.value);
  if (!known) routingByDump.set(dump.value, (known = { inet6: null, plain: null }));
  return (known[slot] ??= routingFromDump(dump.value, family));
}

/** sha256 of the list as stored: kind, then each entry's key and text, NUL before each. */
function setHash(kind: RoutingKind, entries: RoutingEntry[]): string {
  let hash = hashes.get(entries);
  if (hash === undefined) {
    let text = kind;
    for (const e of entries) text += `\0${e.key}\0${e.text}`;
    hashes.set(entries, (hash = createHash('sha256').update(text).digest('hex')));
  }
  return hash;
}
