import { z } from 'zod';
import { gap, owners, snapshotLabel } from './common.js';
import { ANSWER_VERSIONS } from './version.js';

export const interfaceView = z.object({
  ifname: z.string(),
  ifindex: z.number().int(),
  kind: z.string().nullable(),
  mtu: z.number().int().nullable(),
  operstate: z.string().nullable(),
  master: z.string().nullable(),
  address: z.string().nullable().describe('the MAC address'),
  alias: z.string().nullable(),
  slaveKind: z.string().nullable(),
  linkType: z.string().nullable(),
  flags: z.array(z.string()),
  addresses: z.array(z.string()).describe('"family local/prefixlen", e.g. "inet 10.0.0.2/24"'),
});

const routingTexts = z.array(z.string()).nullable();

export const namespaceView = owners.extend({
  interfaces: z.array(interfaceView),
  routing: z
    .object({ routes: routingTexts, rules: routingTexts, neighbours: routingTexts })
    .optional()
    .describe('with show --routes: each list\'s entries as text, null where it was not captured'),
});

/** `nsnap show --json`: every namespace of a snapshot, the host first, with owners and interfaces. */
export const showAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.show),
  snapshot: snapshotLabel,
  namespaces: z.array(namespaceView),
  gaps: z.array(gap),
});

export type InterfaceView = z.infer<typeof interfaceView>;
export type NamespaceView = z.infer<typeof namespaceView>;
export type ShowAnswer = z.infer<typeof showAnswer>;
