import type { NsidEntry, ParseIssue, ParseResult } from '../model.js';
import { pushIssue } from './issues.js';
import { parseLenientJson } from './json-values.js';
import { rejectToolFailure } from './tool-failure.js';

export interface LsnsNamespace {
  inode: number;
  pid: number | null;
  /** nsid as seen from the namespace lsns ran in; null for "unassigned". */
  nsid: number | null;
  nsfs: string | null;
}

/**
 * `lsns -t net -J -o NS,PID,NETNSID,NSFS` (util-linux 2.38):
 *
 *   {"namespaces": [{"ns": 4026531833, "pid": 2, "netnsid": "unassigned", "nsfs": null},
 *                   {"ns": 4026532177, "pid": 3793, "netnsid": "1", "nsfs": "/run/netns/xa1"}]}
 *
 * `netnsid` is a string ("0", "unassigned"); older util-linux prints numbers.
 */
export function parseLsnsJson(stdout: string): ParseResult<{ namespaces: LsnsNamespace[]; nsids: NsidEntry[] }> {
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  if (stdout.trim() === '') return { status: 'empty', issues: [] };
  const issues: ParseIssue[] = [];
  let doc: unknown;
  try {
    doc = parseLenientJson(stdout);
  } catch (error) {
    return { status: 'unusable', reason: `not JSON: ${(error as Error).message}`, issues };
  }
  const list = (doc as { namespaces?: unknown })?.namespaces;
  if (!Array.isArray(list)) return { status: 'unusable', reason: 'no "namespaces" array', issues };
  const namespaces: LsnsNamespace[] = [];
  for (const entry of list) {
    const e = entry as Record<string, unknown>;
    const inode = toInt(e?.ns);
    if (inode === null || inode <= 0) {
      pushIssue(issues, { line: null, message: `lsns entry without a namespace inode: ${JSON.stringify(entry)?.slice(0, 120)}` });
      continue;
    }
    namespaces.push({
      inode,
      pid: toInt(e.pid),
      nsid: toInt(e.netnsid),
      nsfs: typeof e.nsfs === 'string' ? e.nsfs : null,
    });
  }
  const nsids: NsidEntry[] = namespaces
    .filter((n) => n.nsid !== null && n.nsid >= 0)
    .map((n) => ({ nsid: n.nsid as number, inode: n.inode, name: null }));
  return { status: 'parsed', value: { namespaces, nsids }, issues };
}

function toInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,16}$/.test(v)) return Number(v);
  return null;
}
