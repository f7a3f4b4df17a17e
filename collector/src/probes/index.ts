import { heldLinks } from './held-links.js';
import { hostIdentity } from './host-identity.js';
import { namespaceLinks } from './namespace-links.js';
import { netnsHandles } from './netns-handles.js';
import { netnsHolders } from './netns-holders.js';
import { nsidMaps } from './nsid-maps.js';
import type { Probe } from './probe.js';
import { procDetails, procScan } from './proc-scan.js';
import { runtimeNames } from './runtime-names.js';

/** Every probe, in the order they run (a `during` one while the probe it names waits): later ones read what earlier ones found. */
export const PROBES: readonly Probe[] = [procScan, netnsHandles, namespaceLinks, netnsHolders, heldLinks, hostIdentity, procDetails, runtimeNames, nsidMaps];

export { addPart, dumpCache, nothingFound, type EnterChoice, type Found, type Part, type Probe, type ProbeContext } from './probe.js';
