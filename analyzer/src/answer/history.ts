import { z } from 'zod';
import { snapshotLabel } from './common.js';
import { diffBody } from './diff.js';
import { ANSWER_VERSIONS } from './version.js';

export const historyCounts = z.object({
  namespaces: z.object({ added: z.number().int(), removed: z.number().int(), changed: z.number().int(), uncertain: z.number().int() }),
  interfaces: z.object({ added: z.number().int(), removed: z.number().int(), changed: z.number().int() }),
  pairs: z.object({ added: z.number().int(), removed: z.number().int() }),
  routing: z.object({ changed: z.number().int() }).describe('namespaces\' route, rule or neighbour lists that changed'),
});

export const historyStep = z.object({
  from: snapshotLabel,
  to: snapshotLabel,
  sameBoot: z.boolean(),
  counts: historyCounts,
  gap: z
    .object({ uncaptured: z.array(z.number().int()), unreadable: z.array(z.number().int()) })
    .optional()
    .describe('namespaces this snapshot knew but could not capture or read: compared at the next snapshot that does'),
  carried: diffBody.shape.gaps.shape.carried.optional().describe('namespaces seen again after a gap: their changes happened since `since`'),
  diff: diffBody.optional().describe('the changes themselves (with -v), as diff --json without answerVersion'),
});

/** `nsnap history --json`. */
export const historyAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.history),
  host: z.string(),
  snapshots: z.number().int().describe('how many snapshots the range holds'),
  first: snapshotLabel.omit({ asOf: true }).nullable().describe('the snapshot the first step starts from'),
  steps: z.array(historyStep),
});

export type HistoryCounts = z.infer<typeof historyCounts>;
export type HistoryStep = z.infer<typeof historyStep>;
export type HistoryAnswer = z.infer<typeof historyAnswer>;
