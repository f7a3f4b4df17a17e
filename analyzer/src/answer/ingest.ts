import { z } from 'zod';
import { ANSWER_VERSIONS } from './version.js';

export const fileOutcome = z.object({
  path: z.string().describe('the file, or the object\'s URL in its store'),
  outcome: z.enum(['ingested', 'skipped', 'failed']),
  snapshotId: z.string().nullable(),
  host: z.string().nullable(),
  reason: z.string().nullable().describe('why it was skipped or failed'),
});

export const unread = z.object({ path: z.string(), reason: z.string() });

export const storeCounters = z.object({
  prefixesListed: z.number().int().describe('prefixes whose listing finished'),
  pages: z.number().int().describe('listing pages read, the delimiter listing\'s (which finds the hosts) included'),
  listed: z.number().int().describe('keys the listings returned'),
  outOfRange: z.number().int().describe('keys in the layout but outside --host/--since/--until'),
  foreign: z.number().int().describe('keys not in the bundle key layout: reported, never downloaded'),
  known: z.number().int().describe('keys already ingested from this store (or skipped as known content): not downloaded again'),
  downloaded: z.number().int(),
  downloadedBytes: z.number().int(),
  unverified: z.number().int().describe('downloaded objects without a sha256 in their metadata: validated, but not checked against it'),
  ingested: z.number().int(),
  skipped: z.number().int().describe('downloaded, but the content was already in the database (from another source)'),
  failed: z.number().int(),
  listingDone: z.boolean().describe('true once every listing is done'),
});

export const storeSummary = storeCounters.extend({
  url: z.string(),
  prefixes: z.array(z.string()).describe('the prefixes whose objects were listed, relative to the store\'s URL'),
  topLevel: z.array(z.string()).nullable().describe('the top-level prefixes a delimiter listing found (to plan each host), or null when none was made'),
  foreignKeys: z.array(z.string()).describe('the foreign keys (the first 1000)'),
  durationMs: z.number(),
});

/** `nsnap ingest --json`: the totals over all sources, every bundle read, and per store what was listed and fetched. */
export const ingestAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.ingest),
  ingested: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  ignored: z.number().int().describe('entries of the walked directories that are not bundles'),
  files: z.array(fileOutcome),
  ignoredEntries: z.array(unread).describe('each entry not read, with why'),
  durationMs: z.number(),
  stores: z.array(storeSummary),
});

export type FileOutcome = z.infer<typeof fileOutcome>;
export type Unread = z.infer<typeof unread>;
export type StoreCounters = z.infer<typeof storeCounters>;
export type StoreSummaryAnswer = z.infer<typeof storeSummary>;
export type IngestAnswer = z.infer<typeof ingestAnswer>;
