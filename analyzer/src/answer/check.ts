import { z } from 'zod';
import { snapshotLabel } from './common.js';
import { ANSWER_VERSIONS } from './version.js';

export const findingKind = z.enum([
  'dangling-veth',
  'ambiguous-veth',
  'unconfirmed-veth',
  'veth-peer-unseen',
  'veth-peer-unreadable',
  'netns-without-process',
  'veth-mtu-mismatch',
  'veth-one-end-down',
  'capture-failed',
  'bridge-mtu-mismatch',
  'leaked-address',
  'leaked-address-uncertain',
]);

export const finding = z.object({
  kind: findingKind,
  subject: z.string().describe('what it is about: a namespace, an interface or a capture'),
  detail: z.string(),
  netns: z.number().int().nullable(),
  ifname: z.string().nullable(),
  addresses: z.array(z.string()).optional().describe('for leaked-address findings: every address the namespace holds (`ADDRESS/LEN on IFNAME`)'),
});

/** `nsnap check --json`. */
export const checkAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.check),
  snapshot: snapshotLabel,
  findings: z.array(finding),
});

export type FindingKind = z.infer<typeof findingKind>;
export type Finding = z.infer<typeof finding>;
export type CheckAnswer = z.infer<typeof checkAnswer>;
