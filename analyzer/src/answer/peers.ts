import { z } from 'zod';
import { gap, owners, snapshotLabel } from './common.js';
import { ANSWER_VERSIONS } from './version.js';

export const endView = z.object({
  netns: z.number().int(),
  ifname: z.string(),
  ifindex: z.number().int(),
  kind: z.string().nullable(),
  master: z.string().nullable(),
  owner: owners,
});

export const pairView = z.object({
  a: endView.describe('the host end, when there is one'),
  b: endView,
  method: z.string().describe('how the pair was decided: nsid-map, unique-candidate, nsid-consistency, same-netns (docs/correlation.md)'),
});

export const unpairedView = endView.extend({
  reason: z.string().describe('ambiguous, unconfirmed, unseen-peer, unreadable-peer, dangling, no-peer-index'),
  detail: z.string(),
  candidates: z.array(endView),
});

/** A device and its lower (macvlan parent, vxlan underlay…), or why it could not be found. */
export const lowerView = z.object({
  end: endView,
  target: endView.nullable(),
  method: z.string().nullable(),
  detail: z.string().nullable(),
});

/** `nsnap peers --json`. */
export const peersAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.peers),
  snapshot: snapshotLabel,
  pairs: z.array(pairView),
  unpaired: z.array(unpairedView),
  lowers: z.array(lowerView),
  gaps: z.array(gap),
});

export type EndView = z.infer<typeof endView>;
export type PairView = z.infer<typeof pairView>;
export type UnpairedView = z.infer<typeof unpairedView>;
export type LowerView = z.infer<typeof lowerView>;
export type PeersAnswer = z.infer<typeof peersAnswer>;
