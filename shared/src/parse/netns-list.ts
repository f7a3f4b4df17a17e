import type { NsidEntry, ParseIssue, ParseResult } from '../model.js';
import { pushIssue, truncate } from './issues.js';

export { MAX_ISSUES, pushIssue } from './issues.js';
import { rejectToolFailure } from './tool-failure.js';

/** A namespace mounted under /run/netns, with the nsid the listing namespace gave it (if any). */
export interface NamedNetns {
  name: string;
  nsid: number | null;
}

// Bounded quantifiers: every pattern does bounded work per start position, so a
// 1 MB line costs linear time.
const LIST_ID_LINE = /^nsid (\d{1,10})(?: \(iproute2 netns name: ([^\s()][^()]{0,4095})\))?$/;
const LIST_LINE = /^(\S{1,4096})(?: \(id: (\d{1,10})\))?$/;

/** One line of `ip netns list-id` text, or null when the line is something else. */
export function nsidEntryFromText(line: string): NsidEntry | null {
  const m = LIST_ID_LINE.exec(line.trim());
  if (!m) return null;
  const nsid = Number(m[1]);
  if (!Number.isSafeInteger(nsid)) return null;
  return { nsid, inode: null, name: m[2] ?? null };
}

/**
 * `ip netns list-id` (iproute2 ≥ 4.9), text form, run in the observing namespace:
 *
 *   nsid 0 (iproute2 netns name: zq1a)
 *   nsid 1
 *
 * The name is printed only for namespaces mounted under /run/netns.
 */
export function parseNetnsListId(stdout: string): ParseResult<NsidEntry[]> {
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  if (stdout.trim() === '') return { status: 'empty', issues: [] };
  const issues: ParseIssue[] = [];
  const entries: NsidEntry[] = [];
  forEachLine(stdout, (line, n) => {
    const entry = nsidEntryFromText(line);
    if (entry) entries.push(entry);
    else pushIssue(issues, { line: n, message: `not a netns list-id line: ${truncate(line.trim())}` });
  });
  if (entries.length === 0) return { status: 'unusable', reason: 'no "nsid N" line', issues };
  return { status: 'parsed', value: entries, issues };
}

/**
 * `ip netns list` (also `ip netns`), text form:
 *
 *   zq1b
 *   zq1a (id: 0)
 *
 * `(id: N)` is the nsid the listing namespace assigned, present only once one
 * was assigned. Names are what `link-netns NAME` in `ip link` text refers to.
 */
export function parseNetnsList(stdout: string): ParseResult<NamedNetns[]> {
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  if (stdout.trim() === '') return { status: 'empty', issues: [] };
  const issues: ParseIssue[] = [];
  const entries: NamedNetns[] = [];
  forEachLine(stdout, (line, n) => {
    const m = LIST_LINE.exec(line.trim());
    const nsid = m?.[2] === undefined ? null : Number(m[2]);
    if (!m || m[1]!.includes('/') || (nsid !== null && !Number.isSafeInteger(nsid))) {
      pushIssue(issues, { line: n, message: `not a netns name: ${truncate(line.trim())}` });
      return;
    }
    entries.push({ name: m[1]!, nsid });
  });
  if (entries.length === 0) return { status: 'unusable', reason: 'no namespace name line', issues };
  return { status: 'parsed', value: entries, issues };
}

/** Calls `fn` for each non-blank line with its 1-based number. */
export function forEachLine(text: string, fn: (line: string, lineNumber: number) => void): void {
  let start = 0;
  let n = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    if (line.trim() !== '') fn(line, n);
    start = end + 1;
    n++;
  }
}
