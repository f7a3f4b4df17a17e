import type { NsidEntry, ParseIssue, ParseResult } from '../model.js';
import { pushIssue } from './issues.js';
import { parseLenientJson } from './json-values.js';
import { rejectToolFailure } from './tool-failure.js';

/**
 * `ip -j netns list-id` (iproute2 ≥ 4.x), run in the observing namespace:
 *
 *   [{"nsid":0,"name":"xa2"},{"nsid":1}]
 *
 * A name is printed only for namespaces mounted under /run/netns; the inode
 * is resolved later through the bundle's named handles.
 */
export function parseNetnsListIdJson(stdout: string): ParseResult<NsidEntry[]> {
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  if (stdout.trim() === '') return { status: 'empty', issues: [] };
  let doc: unknown;
  try {
    doc = parseLenientJson(stdout);
  } catch (error) {
    return { status: 'unusable', reason: `not JSON: ${(error as Error).message}`, issues: [] };
  }
  if (!Array.isArray(doc)) return { status: 'unusable', reason: 'not a JSON array', issues: [] };
  const issues: ParseIssue[] = [];
  return { status: 'parsed', value: nsidEntries(doc, issues), issues };
}

/** The entries of a `netns list-id` array; shared with the batch parser, where the same array appears. */
export function nsidEntries(array: unknown[], out: ParseIssue[]): NsidEntry[] {
  const entries: NsidEntry[] = [];
  for (const v of array) {
    const o = v as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.nsid !== 'number' || !Number.isInteger(o.nsid) || o.nsid < 0) {
      pushIssue(out, { line: null, message: 'netns list-id entry without a valid nsid' });
      continue;
    }
    entries.push({ nsid: o.nsid, inode: null, name: typeof o.name === 'string' ? o.name : null });
  }
  return entries;
}
