import { z } from 'zod';
import { container, snapshotLabel } from './common.js';
import { ANSWER_VERSIONS } from './version.js';

const brief = z.object({ pid: z.number().int(), comm: z.string().nullable() });

/** The device at the other end (a veth peer, a lower device) with the owners of its namespace. */
export const peerView = z.object({
  netns: z.number().int(),
  ifname: z.string(),
  ifindex: z.number().int(),
  host: z.boolean(),
  names: z.array(z.string()),
  pids: z.array(z.number().int()),
  processes: z.array(brief),
  containers: z.array(container),
});

export const unpairedReason = z.object({ reason: z.string(), detail: z.string() }).describe('why a veth has no peer (dangling, ambiguous…)');

export const lowerBrief = z.object({
  device: peerView.nullable(),
  method: z.string().nullable(),
  detail: z.string().nullable(),
});

export const interfaceBrief = z.object({
  ifname: z.string(),
  ifindex: z.number().int(),
  kind: z.string().nullable(),
  master: z.string().nullable(),
  mtu: z.number().int().nullable(),
  operstate: z.string().nullable(),
  peer: peerView.nullable(),
  unpaired: unpairedReason.nullable(),
  lower: lowerBrief.nullable(),
});

export const matchedBy = z.enum(['address', 'interface', 'pid', 'netns', 'container', 'pod', 'container-name']).describe('what matched the query: container-name is a name from the runtimes\' files');

export const whoisMatch = z.object({
  matchedBy,
  address: z.string().optional().describe('for an address: the entry the interface holds it as (ADDRESS/LEN, the address in its canonical form)'),
  netns: z.number().int(),
  host: z.boolean(),
  captured: z.boolean(),
  names: z.array(z.string()),
  mounts: z.array(z.string()),
  pids: z.array(z.number().int()).describe('not listed for the host namespace, where every host process lives'),
  processes: z.array(brief),
  containers: z.array(container),
  ifname: z.string().nullable().describe('set when an interface matched'),
  ifindex: z.number().int().nullable(),
  kind: z.string().nullable(),
  master: z.string().nullable(),
  peer: peerView.nullable(),
  unpaired: unpairedReason.nullable(),
  lower: lowerBrief.nullable(),
  interfaces: z.array(interfaceBrief).optional().describe('for a pid, netns or container: the namespace\'s interfaces with their peers'),
});

/** A container or pod name and every container id or pod uid holding it, with the namespaces of its processes (none: no process of it seen). */
export const namedLookup = z.object({
  kind: z.enum(['container', 'pod']),
  name: z.string(),
  holders: z.array(z.object({ id: z.string(), netns: z.array(z.number().int()) })),
  ambiguous: z.boolean(),
});

/** `nsnap whois WHAT --json`. */
export const whoisAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.whois),
  query: z.string(),
  at: z.string().describe('the time asked about (ISO-8601 UTC)'),
  snapshot: snapshotLabel.extend({ ageSeconds: z.number().int().describe('how old the snapshot was at `at`') }),
  matches: z.array(whoisMatch),
  seenElsewhere: z.number().int().optional().describe('for a name not found: in how many other snapshots of the host it appears'),
  suggest: z.array(z.string()).optional().describe('with seenElsewhere: the arguments of the nsnap command that lists them'),
  named: z.array(namedLookup).optional().describe('for a container or pod name the runtimes\' files hold: every container id or pod uid under it; more than one holder: the name is ambiguous'),
});

const snapshotPoint = z.object({ id: z.string(), takenAt: z.string() });

export const whoisPeriod = z.object({
  first: snapshotPoint,
  last: snapshotPoint,
  snapshots: z.number().int().describe('snapshots of the period that held the name'),
  gaps: z.number().int().describe('snapshots inside the period that could not capture or read the namespace'),
  uncertain: z.string().optional().describe('nothing proved or disproved that this is the namespace of the period before'),
  forgotten: z
    .object({ snapshots: z.number().int(), from: z.string(), to: z.string() })
    .optional()
    .describe('snapshots taken within the period that were forgotten (pruned): what the name was then is gone'),
  bootId: z.string().nullable(),
  netns: z.number().int(),
  ifindex: z.number().int(),
  match: whoisMatch.describe('owners and peer as the last snapshot of the period saw them'),
});

/** `nsnap whois NAME --all --json`. */
export const whoisAllAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.whoisAll),
  query: z.string(),
  host: z.string(),
  periods: z.array(whoisPeriod),
});

export type PeerView = z.infer<typeof peerView>;
export type LowerBrief = z.infer<typeof lowerBrief>;
export type InterfaceBrief = z.infer<typeof interfaceBrief>;
export type WhoisMatch = z.infer<typeof whoisMatch>;
export type NamedLookup = z.infer<typeof namedLookup>;
export type WhoisAnswer = z.infer<typeof whoisAnswer>;
export type WhoisPeriod = z.infer<typeof whoisPeriod>;
export type WhoisAllAnswer = z.infer<typeof whoisAllAnswer>;
