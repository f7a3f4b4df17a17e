import type { NsidEntry, ParseIssue, ParseResult } from '../model.js';
import { truncate } from './json-values.js';
import { parseLsnsJson, type LsnsNamespace } from './lsns-json.js';
import { forEachLine, pushIssue } from './netns-list.js';
import { rejectToolFailure } from './tool-failure.js';

interface Column {
  name: string;
  start: number;
  end: number;
}

/**
 * `lsns -t net` as a table (util-linux 2.38 default columns), e.g.
 *
 *           NS TYPE NPROCS   PID USER     NETNSID NSFS                          COMMAND
 *   4026531833 net      74     2 root  unassigned                               kthreadd
 *   4026532701 net       1  3793 root           0 /run/netns/zq1a               sleep 100000
 *
 * and any `-o` column choice with a heading line (`-o NS,PID,NETNSID,NSFS`).
 * Empty cells (NSFS) leave no trace in whitespace, so each value is given to
 * the heading it lies under. `lsns -J` output goes to the JSON parser; both
 * give the same result. Older util-linux without NETNSID gives nsid null.
 */
export function parseLsnsTable(stdout: string): ParseResult<{ namespaces: LsnsNamespace[]; nsids: NsidEntry[] }> {
  if (stdout.trimStart().startsWith('{')) return parseLsnsJson(stdout);
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  if (stdout.trim() === '') return { status: 'empty', issues: [] };
  const issues: ParseIssue[] = [];
  const namespaces: LsnsNamespace[] = [];
  let columns: Column[] | null = null;
  forEachLine(stdout, (line, n) => {
    if (!columns) {
      columns = headings(line);
      if (!columns) pushIssue(issues, { line: n, message: `before the NS heading: ${truncate(line.trim())}` });
      return;
    }
    const row = cells(line, columns);
    const inode = toInt(row.get('NS'));
    if (inode === null || inode <= 0) {
      pushIssue(issues, { line: n, message: `row without a namespace inode: ${truncate(line.trim())}` });
      return;
    }
    const type = row.get('TYPE');
    if (type !== undefined && type !== 'net') return;
    namespaces.push({
      inode,
      pid: toInt(row.get('PID')),
      nsid: toInt(row.get('NETNSID')),
      nsfs: row.get('NSFS') || null,
    });
  });
  if (!columns) return { status: 'unusable', reason: 'no heading line with an NS column', issues };
  const nsids = namespaces
    .filter((ns): ns is LsnsNamespace & { nsid: number } => ns.nsid !== null)
    .map((ns) => ({ nsid: ns.nsid, inode: ns.inode, name: null }));
  return { status: 'parsed', value: { namespaces, nsids }, issues };
}

const KNOWN = new Set(['NS', 'TYPE', 'PATH', 'NPROCS', 'PID', 'PPID', 'COMMAND', 'UID', 'USER', 'NETNSID', 'NSFS', 'PNS', 'ONS']);

function headings(line: string): Column[] | null {
  const columns: Column[] = [];
  for (const m of line.matchAll(/\S{1,64}/g)) {
    if (columns.length === KNOWN.size) return null;
    columns.push({ name: m[0], start: m.index, end: m.index + m[0].length });
  }
  if (!columns.some((c) => c.name === 'NS') || !columns.every((c) => KNOWN.has(c.name))) return null;
  return columns;
}

/**
 * Values under their headings: a value belongs to the heading it overlaps
 * (left-aligned columns start there, right-aligned ones end there), else to the
 * nearest one; COMMAND, last, takes the rest of the line.
 */
function cells(line: string, columns: Column[]): Map<string, string> {
  const out = new Map<string, string>();
  const last = columns[columns.length - 1]!;
  for (const m of line.matchAll(/\S{1,4096}/g)) {
    const start = m.index;
    const end = start + m[0].length;
    let best = columns[0]!;
    let distance = Infinity;
    for (const c of columns) {
      const d = end <= c.start ? c.start - end : start >= c.end ? start - c.end : 0;
      if (d < distance) {
        distance = d;
        best = c;
      }
    }
    if (best === last && last.name === 'COMMAND') {
      out.set(best.name, line.slice(start).trim());
      break;
    }
    out.set(best.name, out.has(best.name) ? `${out.get(best.name)} ${m[0]}` : m[0]);
  }
  return out;
}

function toInt(text: string | undefined): number | null {
  return text !== undefined && /^\d{1,16}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null;
}
