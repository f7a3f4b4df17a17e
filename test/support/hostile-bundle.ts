import type { Bundle } from '@nsnap/shared';
import { BundleBuilder, type LinkSpec, type NamespaceSpec } from './bundle-builder.js';

export const HOSTILE_HOST = 4026531840;
/** The one other namespace: held by process 100, nsid 0 of the host, its veth's peer on the host side. */
export const HOSTILE_NS = 4026532701;

/**
 * A snapshot of `evil-host` in which every string a bundle may choose outside the devices comes from
 * `evil`: tags, netns names, mounts, a failed capture, comms, gaps. Each test gives its own devices
 * (and routing lists), varied by `variant` as it needs.
 */
export function hostileBundle(o: { takenAt: string; variant: string; evil: string; hostLinks: LinkSpec[]; nsLinks: LinkSpec[]; routing?: NamespaceSpec['routing'] }): Bundle {
  const { evil, variant } = o;
  return new BundleBuilder({ host: 'evil-host', takenAt: o.takenAt, tags: { [`t${variant}`]: `${evil}${variant}` } })
    .namespace({ inode: HOSTILE_HOST, host: true, names: [`${evil}ns`], links: o.hostLinks })
    .namespace({ inode: HOSTILE_NS, binds: [`/run/${evil}/netns`], links: o.nsLinks, ...(o.routing ? { routing: o.routing } : {}) })
    .namespace({ inode: 4026532702, failure: { reason: 'failed', detail: `${evil}detail` } })
    .lsns(HOSTILE_HOST, [{ inode: HOSTILE_HOST, nsid: null }, { inode: HOSTILE_NS, nsid: 0, pid: 100 }])
    .process({ pid: 100, netns: HOSTILE_NS, comm: `${evil}comm` })
    .process({ pid: 1, netns: HOSTILE_HOST, comm: `init${evil}` })
    .gap({ probe: `${evil}probe`, subject: `${evil}subject`, reason: 'denied', detail: `${evil}gap` })
    .build();
}
