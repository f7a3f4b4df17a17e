import { z } from 'zod';
import { ANSWER_VERSIONS } from './version.js';

const count = z.number().int();

/** `nsnap report --json`: what the file holds, and what its timeline left out to stay bounded. */
export const reportAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.report),
  out: z.string().describe('the HTML file written'),
  bytes: count,
  kind: z.enum(['snapshot', 'diff', 'range']).describe('what the report draws: a topology, a diff, or a timeline over a range'),
  timeline: z
    .object({
      rangeSnapshots: count.describe('snapshots in the range asked for'),
      snapshots: count.describe('snapshots drawn: the latest of the range, at most limits.snapshots'),
      bars: z.object({ namespace: count, pair: count, device: count }).describe('bars drawn: namespaces and veth pairs (history), device periods (whois --all)'),
      limits: z.object({ snapshots: count, bars: count, deviceNames: count, changesPerBar: count }).describe('what a timeline draws at most'),
      omitted: z
        .object({
          snapshots: z.object({ count, from: z.string(), to: z.string() }).nullable().describe('the earliest snapshots of the range, not drawn'),
          bars: z.object({ namespace: count, pair: count, device: count, endedBy: z.string() }).nullable().describe('bars not drawn, by kind: each ended by endedBy (the bars seen last are drawn)'),
          deviceNames: z.object({ count, examples: z.array(z.string()) }).nullable().describe('interface names not followed with whois --all, past limits.deviceNames'),
          refusedNames: z.object({ count, examples: z.array(z.string()) }).nullable().describe('interface names whois --all refuses to follow (whitespace, "/" or ":" in them)'),
          changes: count.describe('changes not listed in the bars'),
          hints: z.array(z.string()).describe('what to run to see what was left out; the page shows the same lines'),
        })
        .describe('what the timeline left out; nothing is left out that is not counted here'),
    })
    .nullable()
    .describe('for a range: the timeline; null otherwise'),
});

export type ReportAnswer = z.infer<typeof reportAnswer>;
