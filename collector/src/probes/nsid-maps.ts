import { correlateBundle } from '@nsnap/shared';
import { mapPool } from '../exec/pool.js';
import { NSENTER, openNamespace } from './namespace-links.js';
import type { Probe } from './probe.js';

const LSNS = ['lsns', '-t', 'net', '-J', '-o', 'NS,PID,NETNSID,NSFS'];

/**
 * The host's nsid map (one lsns, ~30 ms at 400 namespaces), then a
 * namespace's own map only where the shared pairing code says link data
 * cannot settle a pair — lsns walks /proc, so one per namespace would cost
 * seconds. Runs after the link dumps: dumps make the kernel assign nsids.
 */
export const nsidMaps: Probe = {
  name: 'nsid-maps',
  async run(ctx, draft) {
    const host = draft.hostNetns.inode;
    if (host === null) return;
    const hostMap = await ctx.run(LSNS, { spec: 'lsns_net_json', timeoutMs: ctx.timeoutMs });
    draft.nsidMaps.push({ observer: host, why: 'host map', capture: hostMap });
    if (hostMap.failure) draft.gaps.push({ probe: this.name, subject: 'host nsid map', reason: hostMap.failure.reason, detail: hostMap.failure.detail });

    const { correlation } = correlateBundle(draft);
    const needed = correlation.needMaps.filter((inode) => inode !== host);
    if (needed.length === 0) return;
    const ambiguous = correlation.unpaired.filter((u) => u.reason === 'ambiguous').length;
    ctx.log(`${ambiguous} veth end(s) ambiguous from link data: reading the nsid maps of ${needed.length} namespace(s)`);
    const byInode = new Map(draft.namespaces.map((n) => [n.inode, n]));
    const results = await mapPool(needed, ctx.concurrency, async (inode) => {
      const entered = byInode.get(inode)?.entered;
      if (!entered) return null;
      const opened = await openNamespace(entered.path, inode);
      if ('reason' in opened) {
        draft.gaps.push({ probe: this.name, subject: `netns ${inode}`, reason: opened.reason, detail: `${entered.path}: ${opened.detail}` });
        return null;
      }
      try {
        const capture = await ctx.run([...NSENTER, ...LSNS], { spec: 'lsns_net_json', timeoutMs: ctx.timeoutMs, fd3: opened.fd });
        if (capture.failure) draft.gaps.push({ probe: this.name, subject: `netns ${inode} nsid map`, reason: capture.failure.reason, detail: capture.failure.detail });
        return { observer: inode, why: `settles ${ambiguous} ambiguous veth end(s)`, capture };
      } finally {
        await opened.handle.close();
      }
    });
    for (const r of results) if (r) draft.nsidMaps.push(r);
  },
};
