import type { NamespaceCapture } from '@nsnap/shared/core';
import { mapPool } from '../exec/pool.js';
import { dump, dumpRules6, openFirst } from './namespace-links.js';
import { namespaceCandidates } from './namespace-set.js';
import { dumpModeOf, type Probe } from './probe.js';

/**
 * The link dumps of namespaces that netns-holders found while namespace-links
 * captured the others (only an fd, a thread or another mount namespace holds
 * them): entered one by one through those handles — usually none, a few at
 * most, so no bulk pass. With `--ipv6-rules`, their IPv6 rules too.
 */
export const heldLinks: Probe = {
  name: 'held-links',
  async run(ctx, found) {
    const captured = new Set(found.namespaces.map((n) => n.inode));
    const candidates = namespaceCandidates(found, ctx.procRoot);
    const inodes = [...new Set(found.holders.map((h) => h.inode))].filter((inode) => !captured.has(inode)).sort((a, b) => a - b);
    const captures = await mapPool(inodes, ctx.concurrency, async (inode): Promise<NamespaceCapture> => {
      const tried = openFirst(inode, candidates.get(inode) ?? []);
      if (!tried.opened) {
        const last = tried.attempts.at(-1);
        return { inode, isHost: false, entered: null, attempts: tried.attempts, captures: [], failure: { reason: last?.reason ?? 'failed', detail: last ? `${last.path}: ${last.detail}` : 'no handle leads to this namespace' } };
      }
      try {
        const mode = dumpModeOf(found);
        const capture = await dump(ctx.run, ctx.timeoutMs, mode, tried.opened.fd);
        const rules6 = ctx.ipv6Rules && mode === 'json' && capture.failure === null ? [await dumpRules6(ctx.run, ctx.timeoutMs, tried.opened.fd)] : [];
        return { inode, isHost: false, entered: tried.candidate, attempts: tried.attempts, captures: [capture, ...rules6], failure: capture.failure };
      } finally {
        tried.opened.close();
      }
    });
    const gaps = captures.flatMap((c) => (c.failure ? [{ probe: this.name, subject: `netns ${c.inode}`, reason: c.failure.reason, detail: c.failure.detail }] : []));
    for (const c of captures) {
      const failed = c.failure === null ? c.captures.slice(1).find((x) => x.failure)?.failure : undefined;
      if (failed) gaps.push({ probe: this.name, subject: `netns ${c.inode} ipv6 rules`, reason: failed.reason, detail: failed.detail });
    }
    return { namespaces: captures, gaps };
  },
};
