import type { Link, NsidEntry, ParseIssue, ParseResult } from '../model.js';
import { pushIssue, truncate } from './issues.js';
import { linkFromJson } from './ip-link-json.js';
import { splitJsonValues } from './json-values.js';
import { nsidEntries } from './netns-list-id-json.js';
import { rejectToolFailure } from './tool-failure.js';

export interface NamespaceDump {
  links: Link[];
  /** The namespace's own nsid map from `netns list-id` (names only for /run/netns entries); null when not captured. */
  nsids: NsidEntry[] | null;
  /**
   * The entries of `route show table all`, `rule show` and `neigh show`,
   * unread (each an untrusted JSON value: `routingFromDump` validates them,
   * outside the collector's zod-free core); null when the batch did not
   * print that list. Left null when parsing `forPairing`.
   */
  routing: { routes: unknown[] | null; rules: unknown[] | null; neighbours: unknown[] | null };
}

type ArrayKind = 'links' | 'addrs' | 'nsids' | 'routes' | 'rules' | 'neighbours';

/**
 * The batch commands this parser reads, each with the list it prints. Under
 * `-j` each prints one JSON array; `route show table all` lists IPv4 and
 * IPv6 routes alike (iproute2 6.1: the family stays unspecified with table
 * all), `neigh show` both families, `rule show` IPv4 only (`ip rule` takes
 * inet when no -6 is given, and a batch line cannot carry -6): IPv6 rules are
 * a batch of their own under `ip -6` (RULES6_BATCH in the spec table).
 */
export const BATCH_COMMANDS: Readonly<Record<string, ArrayKind>> = {
  'link show': 'links',
  'addr show': 'addrs',
  'netns list-id': 'nsids',
  'route show table all': 'routes',
  'rule show': 'rules',
  'neigh show': 'neighbours',
};

/**
 * stdout of `ip -d -j -batch -` fed `link show`, `addr show`, `netns list-id`
 * (also plain `ip -d -j link show`): one JSON array per command, e.g.
 *
 *   [{"ifindex":1,"ifname":"lo",...},{"ifindex":2,"link_index":2,"ifname":"va",...,"link_netnsid":0}]
 *   [{"ifindex":1,"ifname":"lo",...,"addr_info":[]},...]
 *   [{"nsid":0,"name":"xa2"},{"nsid":1}]
 *
 * Arrays are told apart by their content, not their position, because
 * `-force` lets a failing command print nothing: objects with `addr_info` are
 * addresses, with `ifindex` links, with `nsid` the nsid map.
 */
/** What a parse keeps. */
export interface DumpOptions {
  /**
   * Only what the pairing code reads: links without their raw text, and
   * `addr show` only when no `link show` array came (the collector decides
   * with it, during its capture, where an nsid map is needed).
   */
  forPairing?: boolean;
  /**
   * The batch fed on stdin (the capture's `stdin`): when the output holds one
   * array per command, an empty array is known to be that command's (an
   * empty route or neighbour list is common); without it, or when a command
   * printed nothing, an empty array is the nsid map's only (as before routes
   * were asked for) and otherwise unattributed.
   */
  commands?: string | null;
  /**
   * false leaves each link's `raw` text empty: ingest stores none (the raw dump stays in the
   * bundle), and re-serializing every link object was ~28% of parsing the dumps (profiled over 300 bundles).
   */
  raw?: boolean;
}

export function parseIpBatchJson(stdout: string, options: DumpOptions = {}): ParseResult<NamespaceDump> {
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  const { values, issues } = splitJsonValues(stdout);
  if (values.length === 0) {
    return stdout.trim() === '' ? { status: 'empty', issues } : { status: 'unusable', reason: 'no JSON array in output', issues };
  }
  const byIndex = new Map<number, Link>();
  const addrLinks = new Map<number, Link>();
  let nsids: NsidEntry[] | null = null;
  let sawLinks = false;
  const keepRaw = !options.forPairing && options.raw !== false;
  const routing: NamespaceDump['routing'] = { routes: null, rules: null, neighbours: null };
  const asked = askedKinds(options.commands);
  const byPosition = asked?.length === values.length ? asked : null;
  const emptyMayBeOther = asked !== null && asked.some((k) => k === 'routes' || k === 'rules' || k === 'neighbours');
  const arrays = values.map((value, i) => (Array.isArray(value) ? { value, kind: kindOf(value, byPosition?.[i], emptyMayBeOther, issues) } : null));
  const skipAddrs = options.forPairing === true && arrays.some((a) => a?.kind === 'links');
  for (const array of arrays) {
    if (!array) {
      pushIssue(issues, { line: null, message: 'top-level JSON value is not an array' });
      continue;
    }
    const { value, kind } = array;
    if (kind === null) continue;
    if (kind === 'routes' || kind === 'rules' || kind === 'neighbours') {
      if (options.forPairing) continue;
      if (routing[kind] === null) routing[kind] = value;
      else pushIssue(issues, { line: null, message: `a second ${kind} list in one dump: the first is kept` });
    } else if (kind === 'nsids') {
      const list = (nsids ??= []);
      for (const entry of nsidEntries(value, issues)) list.push(entry);
    } else if (kind === 'addrs' && skipAddrs) {
      sawLinks = true;
    } else {
      sawLinks = true;
      const into = kind === 'addrs' ? addrLinks : byIndex;
      for (const obj of value) {
        const link = linkFromJson(obj, issues, keepRaw);
        if (link) keepFirst(into, link, issues);
      }
    }
  }
  for (const withAddrs of addrLinks.values()) {
    const link = byIndex.get(withAddrs.ifindex);
    if (!link) byIndex.set(withAddrs.ifindex, withAddrs);
    else if (link.ifname !== withAddrs.ifname) pushIssue(issues, duplicate(link, withAddrs));
    else {
      link.addresses = withAddrs.addresses;
      link.raw = withAddrs.raw;
    }
  }
  // A batch that asked for no interface list (`ip -6` rules) is parsed without one.
  const askedLinks = asked === null || asked.some((k) => k === 'links' || k === 'addrs');
  if (!sawLinks && askedLinks) return { status: 'unusable', reason: 'no interface list in output', issues };
  const links = [...byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  return { status: 'parsed', value: { links, nsids, routing }, issues };
}

/**
 * One ifindex names one device in a namespace: a second entry for it (a
 * corrupt or forged dump) is an issue, never merged into or over the first.
 */
function keepFirst(byIndex: Map<number, Link>, link: Link, issues: ParseIssue[]): void {
  const seen = byIndex.get(link.ifindex);
  if (!seen) byIndex.set(link.ifindex, link);
  else pushIssue(issues, duplicate(seen, link));
}

function duplicate(first: Link, second: Link): ParseIssue {
  return { line: null, message: `ifindex ${first.ifindex} listed twice in one dump, as ${JSON.stringify(truncate(first.ifname, 40))} and ${JSON.stringify(truncate(second.ifname, 40))}: the first is kept, the second left out` };
}

/** The list each command of the batch prints, in order; null when the batch is unknown or holds a command this parser does not know. */
function askedKinds(commands: string | null | undefined): ArrayKind[] | null {
  if (!commands) return null;
  const kinds: ArrayKind[] = [];
  for (const line of commands.split('\n')) {
    const command = line.trim();
    if (command === '') continue;
    const kind = BATCH_COMMANDS[command];
    if (kind === undefined) return null;
    kinds.push(kind);
  }
  return kinds;
}

/**
 * What a non-empty array holds, from its first object: that is what tells
 * the lists apart when a command printed nothing. An empty one is its
 * command's when the position says so, else the nsid map's when the batch
 * asked for no list that can be empty, else unattributed (null, an issue).
 */
function kindOf(array: unknown[], atPosition: ArrayKind | undefined, emptyMayBeOther: boolean, issues: ParseIssue[]): ArrayKind | null {
  const first = array.find((v) => typeof v === 'object' && v !== null) as Record<string, unknown> | undefined;
  if (!first) {
    if (atPosition !== undefined) return atPosition;
    if (!emptyMayBeOther) return 'nsids'; // of link, addr and netns list-id, only the nsid map can be empty: every namespace has lo
    pushIssue(issues, { line: null, message: 'an empty list, and a command printed none: which command it answers is unknown, so it is left out' });
    return null;
  }
  const byContent = classify(first);
  if (atPosition !== undefined && atPosition !== byContent) pushIssue(issues, { line: null, message: `the ${atPosition} list holds ${byContent} entries: read as ${byContent}` });
  return byContent;
}

function classify(first: Record<string, unknown>): ArrayKind {
  if ('addr_info' in first) return 'addrs';
  if ('ifindex' in first) return 'links';
  if ('nsid' in first) return 'nsids';
  if ('priority' in first) return 'rules';
  // A neighbour has a NUD state (even an incomplete one, without lladdr); a route never.
  if ('dst' in first && 'state' in first) return 'neighbours';
  if ('dst' in first) return 'routes';
  return 'links';
}
