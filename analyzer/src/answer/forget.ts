import { z } from 'zod';
import { ANSWER_VERSIONS } from './version.js';

/** `nsnap forget --json` and `nsnap prune --json`. */
export const forgetAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.forget),
  dryRun: z.boolean().describe('true: nothing was removed; removed lists what would be'),
  removed: z.array(z.object({ id: z.string(), host: z.string(), takenAt: z.string() })),
});

export type ForgetAnswer = z.infer<typeof forgetAnswer>;
