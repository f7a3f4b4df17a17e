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
}

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
  const keepRaw = !options.forPairing;
  const arrays = values.map((value) => (Array.isArray(value) ? { value, kind: classify(value) } : null));
  const skipAddrs = options.forPairing === true && arrays.some((a) => a?.kind === 'links');
  for (const array of arrays) {
    if (!array) {
      pushIssue(issues, { line: null, message: 'top-level JSON value is not an array' });
      continue;
    }
    const { value, kind } = array;
    if (kind === 'nsids') {
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
  if (!sawLinks) return { status: 'unusable', reason: 'no interface list in output', issues };
  const links = [...byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  return { status: 'parsed', value: { links, nsids }, issues };
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

function classify(array: unknown[]): 'links' | 'addrs' | 'nsids' {
  const first = array.find((v) => typeof v === 'object' && v !== null) as Record<string, unknown> | undefined;
  if (!first) return 'nsids'; // only `netns list-id` prints an empty array: every namespace has lo
  if ('addr_info' in first) return 'addrs';
  if ('ifindex' in first) return 'links';
  if ('nsid' in first) return 'nsids';
  return 'links';
}
