import { correlateBundle, LSNS_ARGV, NETNS_LIST_ID_ARGV, type BundleView, type Capture, type Correlation, type SpecName } from '@nsnap/shared/core';
import { mapPool } from '../exec/pool.js';
import { NSENTER, openNamespace } from './namespace-links.js';
import type { Found, Part, Probe, ProbeContext } from './probe.js';

const LSNS = [...LSNS_ARGV];
const LIST_ID = [...NETNS_LIST_ID_ARGV];

/**
 * The host's nsid map, then a namespace's own map only where the shared
 * pairing code says link data cannot prove an answer — a pair it could only
 * infer (a hidden namespace can make two strangers look like peers), a veth
 * end left without a proven peer, a lower behind an nsid no veth reveals:
 * first `ip netns list-id` (names /run/netns namespaces, cheap), then lsns
 * (names namespaces that have processes; it walks /proc, so one per namespace
 * would cost seconds). Runs after the link dumps, because the dumps make the
 * kernel assign nsids.
 *
 * The host's batch already ends with `netns list-id`, which names every nsid
 * of a /run/netns namespace: the host's lsns (~60 ms at 800 processes, a
 * second walk of /proc) runs only when an nsid the host knows or its links
 * refer to is left unnamed by it — e.g. docker's namespaces, which live
 * under /run/docker/netns.
 */
export const nsidMaps: Probe = {
  name: 'nsid-maps',
  async run(ctx, found) {
    const host = found.hostNetns.inode;
    if (host === null) return {};
    // Its own maps and gaps, read together with what the others found by each correlation.
    const mine: Required<Pick<Part, 'nsidMaps' | 'gaps'>> = { nsidMaps: [], gaps: [] };
    const facts = () => ({ ...found, nsidMaps: [...found.nsidMaps, ...mine.nsidMaps] });
    const parse = ctx.parse;
    const first = correlateBundle(facts(), parse);
    let correlation = first.correlation;
    const unnamed = unnamedHostNsids(first.view, host);
    if (unnamed === null || unnamed.length > 0) {
      const hostMap = await ctx.run(LSNS, { spec: 'lsns_net_json', timeoutMs: ctx.timeoutMs });
      const why = unnamed === null ? 'host map' : `host map: netns list-id leaves nsid ${unnamed.slice(0, 10).join(', ')}${unnamed.length > 10 ? ', …' : ''} unnamed`;
      mine.nsidMaps.push({ observer: host, why, capture: hostMap });
      if (hostMap.failure) mine.gaps.push({ probe: this.name, subject: 'host nsid map', reason: hostMap.failure.reason, detail: hostMap.failure.detail });
      ({ correlation } = correlateBundle(facts(), parse));
    }

    for (const [command, spec] of [[LIST_ID, 'ip_netns_list_id_json'], [LSNS, 'lsns_net_json']] as const) {
      const needed = correlation.needMaps.filter((inode) => inode !== host);
      if (needed.length === 0) return mine;
      const open = openQuestions(correlation);
      ctx.log(`link data leaves ${open} open: reading ${command.slice(0, 3).join(' ')} in ${needed.length} namespace(s)`);
      await readOwnMaps(ctx, found, mine, needed, command, spec, `confirms or settles ${open}`);
      ({ correlation } = correlateBundle(facts(), parse));
    }
    return mine;
  },
};

/** What a namespace's own map is read for: pairs no map backs, unpaired veth ends, lowers behind an unknown nsid. */
function openQuestions(c: Correlation): string {
  const inferred = c.pairs.filter((p) => p.method === 'unique-candidate' || p.method === 'nsid-consistency').length;
  const unpaired = c.unpaired.filter((u) => u.reason !== 'no-peer-index' && u.reason !== 'dangling').length;
  const lowers = c.lowers.filter((l) => l.relation === 'lower' && l.target === null).length;
  const parts = [
    inferred > 0 ? `${inferred} veth pair(s) no map backs` : '',
    unpaired > 0 ? `${unpaired} veth end(s) without a proven peer` : '',
    lowers > 0 ? `${lowers} unresolved lower device(s)` : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

/**
 * The host's nsids that its own `netns list-id` did not name (those it lists,
 * and those its links refer to), or null when the host has no such list.
 */
export function unnamedHostNsids(view: BundleView, host: number): number[] | null {
  const facts = view.namespaces.find((n) => n.inode === host);
  const nsView = view.input.namespaces.find((n) => n.inode === host);
  const listed = facts?.dump?.nsids;
  if (!facts || !nsView || !listed) return null;
  const referred = new Set<number>(listed.map((e) => e.nsid));
  for (const link of nsView.links) if (link.linkNetnsid !== null && link.linkNetnsName === null) referred.add(link.linkNetnsid);
  return [...referred].filter((nsid) => !nsView.nsids.has(nsid)).sort((a, b) => a - b);
}

async function readOwnMaps(ctx: ProbeContext, found: Readonly<Found>, mine: Required<Pick<Part, 'nsidMaps' | 'gaps'>>, inodes: number[], command: readonly string[], spec: SpecName, why: string): Promise<void> {
  const byInode = new Map(found.namespaces.map((n) => [n.inode, n]));
  const results = await mapPool(inodes, ctx.concurrency, async (inode): Promise<Capture | null> => {
    const entered = byInode.get(inode)?.entered;
    if (!entered) return null;
    const opened = openNamespace(entered.path, inode);
    if ('reason' in opened) {
      mine.gaps.push({ probe: 'nsid-maps', subject: `netns ${inode}`, reason: opened.reason, detail: `${entered.path}: ${opened.detail}` });
      return null;
    }
    try {
      const capture = await ctx.run([...NSENTER, ...command], { spec, timeoutMs: ctx.timeoutMs, fd3: opened.fd });
      if (capture.failure) mine.gaps.push({ probe: 'nsid-maps', subject: `netns ${inode} nsid map`, reason: capture.failure.reason, detail: capture.failure.detail });
      return capture;
    } finally {
      opened.close();
    }
  });
  results.forEach((capture, i) => {
    if (capture) mine.nsidMaps.push({ observer: inodes[i] as number, why, capture });
  });
}
