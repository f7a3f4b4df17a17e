import { hostIdentity } from './host-identity.js';
import { namespaceLinks } from './namespace-links.js';
import { netnsHandles } from './netns-handles.js';
import { nsidMaps } from './nsid-maps.js';
import type { Probe } from './probe.js';
import { procScan } from './proc-scan.js';

/** Every probe, in the order they run: later ones read what earlier ones found. */
export const PROBES: readonly Probe[] = [hostIdentity, procScan, netnsHandles, namespaceLinks, nsidMaps];

export type { Draft, Probe, ProbeContext } from './probe.js';
