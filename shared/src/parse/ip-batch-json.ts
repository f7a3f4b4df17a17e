import type { Link, NsidEntry, ParseResult } from '../model.js';
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
export function parseIpBatchJson(stdout: string): ParseResult<NamespaceDump> {
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  const { values, issues } = splitJsonValues(stdout);
  if (values.length === 0) {
    return stdout.trim() === '' ? { status: 'empty', issues } : { status: 'unusable', reason: 'no JSON array in output', issues };
  }
  // `addr show` prints every field `link show` does, plus addresses: where both
  // are there, each interface is read once, from its `addr show` object.
  const arrays: { kind: 'links' | 'addrs'; value: unknown[] }[] = [];
  let nsids: NsidEntry[] | null = null;
  for (const value of values) {
    if (!Array.isArray(value)) {
      issues.push({ line: null, message: 'top-level JSON value is not an array' });
      continue;
    }
    const kind = classify(value);
    if (kind === 'nsids') nsids = [...(nsids ?? []), ...nsidEntries(value, issues)];
    else arrays.push({ kind, value });
  }
  const byIndex = new Map<number, Link>();
  const sawLinks = arrays.length > 0;
  for (const kind of ['addrs', 'links'] as const) {
    for (const array of arrays) {
      if (array.kind !== kind) continue;
      for (const obj of array.value) {
        const ifindex = (obj as { ifindex?: unknown } | null)?.ifindex;
        if (typeof ifindex === 'number' && byIndex.has(ifindex)) continue;
        const link = linkFromJson(obj, issues);
        if (link) byIndex.set(link.ifindex, link);
      }
    }
  }
  if (!sawLinks) return { status: 'unusable', reason: 'no interface list in output', issues };
  const links = [...byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  return { status: 'parsed', value: { links, nsids }, issues };
}

function classify(array: unknown[]): 'links' | 'addrs' | 'nsids' {
  const first = array.find((v) => typeof v === 'object' && v !== null) as Record<string, unknown> | undefined;
  if (!first) return 'nsids'; // only `netns list-id` prints an empty array: every namespace has lo
  if ('addr_info' in first) return 'addrs';
  if ('ifindex' in first) return 'links';
  if ('nsid' in first) return 'nsids';
  return 'links';
}
