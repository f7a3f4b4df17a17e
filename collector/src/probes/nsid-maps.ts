import { correlateBundle, type Capture, type SpecName } from '@nsnap/shared';
import { mapPool } from '../exec/pool.js';
import { NSENTER, openNamespace } from './namespace-links.js';
import type { Draft, Probe, ProbeContext } from './probe.js';

const LSNS = ['lsns', '-t', 'net', '-J', '-o', 'NS,PID,NETNSID,NSFS'];
const LIST_ID = ['ip', '-j', 'netns', 'list-id'];

/**
 * The host's nsid map (one lsns, ~30 ms at 400 namespaces), then a
 * namespace's own map only where the shared pairing code says link data
 * cannot settle a pair: first `ip netns list-id` (names /run/netns
 * namespaces, cheap), then lsns (names namespaces that have processes; it
 * walks /proc, so one per namespace would cost seconds). Runs after the link
 * dumps, because the dumps make the kernel assign nsids.
 */
export const nsidMaps: Probe = {
  name: 'nsid-maps',
  async run(ctx, draft) {
    const host = draft.hostNetns.inode;
    if (host === null) return;
    const hostMap = await ctx.run(LSNS, { spec: 'lsns_net_json', timeoutMs: ctx.timeoutMs });
    draft.nsidMaps.push({ observer: host, why: 'host map', capture: hostMap });
    if (hostMap.failure) draft.gaps.push({ probe: this.name, subject: 'host nsid map', reason: hostMap.failure.reason, detail: hostMap.failure.detail });

    for (const [command, spec] of [[LIST_ID, 'ip_netns_list_id_json'], [LSNS, 'lsns_net_json']] as const) {
      const { correlation } = correlateBundle(draft);
      const needed = correlation.needMaps.filter((inode) => inode !== host);
      if (needed.length === 0) return;
      const ambiguous = correlation.unpaired.filter((u) => u.reason === 'ambiguous').length;
      ctx.log(`${ambiguous} veth end(s) ambiguous from link data: reading ${command.slice(0, 3).join(' ')} in ${needed.length} namespace(s)`);
      await readOwnMaps(ctx, draft, needed, command, spec, `settles ${ambiguous} ambiguous veth end(s)`);
    }
  },
};

async function readOwnMaps(ctx: ProbeContext, draft: Draft, inodes: number[], command: readonly string[], spec: SpecName, why: string): Promise<void> {
  const byInode = new Map(draft.namespaces.map((n) => [n.inode, n]));
  const results = await mapPool(inodes, ctx.concurrency, async (inode): Promise<Capture | null> => {
    const entered = byInode.get(inode)?.entered;
    if (!entered) return null;
    const opened = openNamespace(entered.path, inode);
    if ('reason' in opened) {
      draft.gaps.push({ probe: 'nsid-maps', subject: `netns ${inode}`, reason: opened.reason, detail: `${entered.path}: ${opened.detail}` });
      return null;
    }
    try {
      const capture = await ctx.run([...NSENTER, ...command], { spec, timeoutMs: ctx.timeoutMs, fd3: opened.fd });
      if (capture.failure) draft.gaps.push({ probe: 'nsid-maps', subject: `netns ${inode} nsid map`, reason: capture.failure.reason, detail: capture.failure.detail });
      return capture;
    } finally {
      opened.close();
    }
  });
  results.forEach((capture, i) => {
    if (capture) draft.nsidMaps.push({ observer: inodes[i] as number, why, capture });
  });
}
