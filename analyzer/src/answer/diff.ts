import { z } from 'zod';
import { changes, end, gap, snapshotLabel } from './common.js';
import { ANSWER_VERSIONS } from './version.js';

const side = z.enum(['from', 'to']);

export const namespaceSummary = z.object({
  netns: z.number().int(),
  host: z.boolean(),
  names: z.array(z.string()),
  containers: z.array(z.string()).describe('container ids'),
  pids: z.array(z.number().int()),
});

/** An interface as the diff compares it. */
export const interfaceState = z.object({
  ifindex: z.number().int(),
  ifname: z.string(),
  kind: z.string().nullable(),
  mtu: z.number().int().nullable(),
  operstate: z.string().nullable(),
  master: z.string().nullable(),
  address: z.string().nullable(),
  alias: z.string().nullable(),
  flags: z.array(z.string()),
  addresses: z.array(z.string()),
});

const routingKind = z.enum(['routes', 'rules', 'neighbours']);

/** Routes, rules and neighbours that changed in namespaces found in both snapshots. */
export const routingDiff = z.object({
  changed: z.array(
    z.object({
      netns: z.number().int().describe('the namespace in the later snapshot'),
      fromNetns: z.number().int().describe('the namespace in the earlier snapshot'),
      kind: routingKind,
      added: z.array(z.string()),
      removed: z.array(z.string()),
      changed: z.array(z.object({ key: z.string(), from: z.string(), to: z.string() })).describe('the same key (route destination and table, neighbour address and device) with another text'),
      uncertain: z.string().optional().describe('set when the two namespaces were compared as one without proof'),
    }),
  ),
  uncaptured: z.array(z.object({ netns: z.number().int(), kind: routingKind, side: z.enum(['from', 'to']) })).describe('a list captured on one side only: not compared'),
});

const diffInterface = interfaceState.extend({ netns: z.number().int() });
const pair = z.object({ a: end, b: end });

/** What changed between two snapshots: the body of `diff --json`, and of each `history -v` step. */
export const diffBody = z.object({
  from: snapshotLabel,
  to: snapshotLabel,
  sameBoot: z.boolean().describe('false: across a reboot (or a boot id is unknown); namespaces then match by name and container only'),
  namespaces: z.object({
    added: z.array(namespaceSummary),
    removed: z.array(namespaceSummary),
    changed: z.array(namespaceSummary.extend({ fromNetns: z.number().int().describe('its inode in the earlier snapshot'), changes })),
    uncertain: z
      .array(namespaceSummary.extend({ fromNetns: z.number().int(), reason: z.string(), changes }))
      .describe('the same inode in both, compared as one namespace, but nothing proved or disproved that it is one (docs/identity.md)'),
    replaced: z.array(z.object({ netns: z.number().int(), reason: z.string() })).describe('an inode the kernel gave to a new namespace: also under removed and added'),
    unknown: z.array(namespaceSummary.extend({ reason: z.string() })).describe('gone from the later snapshot only as far as nsnap can tell'),
    notComparable: z.array(z.object({ side, netns: z.number().int(), pids: z.array(z.number().int()) })).describe('across a reboot: no name or container to match it by'),
  }),
  interfaces: z.object({
    added: z.array(diffInterface),
    removed: z.array(diffInterface),
    changed: z.array(z.object({ netns: z.number().int(), ifname: z.string(), ifindex: z.number().int(), changes })),
  }),
  pairs: z.object({ added: z.array(pair), removed: z.array(pair) }),
  gaps: z.object({
    uncaptured: z.array(z.object({ netns: z.number().int(), side })).describe('captured in one snapshot only: its interfaces are not compared'),
    carried: z.array(z.object({ netns: z.number().int(), since: z.object({ id: z.string(), takenAt: z.string() }) })).describe('history: compared with the last snapshot that captured it'),
    added: z.array(gap).describe('what the later snapshot could not capture or read and the earlier one could'),
    removed: z.array(gap).describe('what the earlier snapshot could not capture and the later one could'),
  }),
  routing: routingDiff,
  forgotten: z
    .object({ snapshots: z.number().int(), from: z.string().describe('taken_at of the first forgotten snapshot'), to: z.string().describe('taken_at of the last') })
    .optional()
    .describe('snapshots taken between the two that were forgotten (pruned): the changes in between are gone, only the net change is known'),
});

/** `nsnap diff --json`. */
export const diffAnswer = z.object({ answerVersion: z.literal(ANSWER_VERSIONS.diff) }).extend(diffBody.shape);

export type NamespaceSummary = z.infer<typeof namespaceSummary>;
export type InterfaceState = z.infer<typeof interfaceState>;
export type InterfaceRef = Pick<InterfaceState, 'ifname' | 'ifindex'> & { netns: number };
export type DiffBody = z.infer<typeof diffBody>;
export type DiffAnswer = z.infer<typeof diffAnswer>;
