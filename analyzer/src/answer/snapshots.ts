import { z } from 'zod';
import { ANSWER_VERSIONS } from './version.js';

export const snapshotEntry = z.object({
  id: z.string(),
  host: z.string(),
  takenAt: z.string(),
  tags: z.record(z.string(), z.string()).describe('nsnap-collect --tag KEY=VALUE'),
  bootId: z.string().nullable(),
  collectorVersion: z.string(),
  namespaces: z.number().int().describe('how many namespaces the snapshot knows'),
  gaps: z.number().int().describe('how many captures failed or could not be read'),
});

/** `nsnap snapshots --json`. */
export const snapshotsAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.snapshots),
  snapshots: z.array(snapshotEntry).describe('oldest first within each host'),
});

export type SnapshotListEntry = z.infer<typeof snapshotEntry>;
export type SnapshotsAnswer = z.infer<typeof snapshotsAnswer>;
