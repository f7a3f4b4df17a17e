import type { ParseIssue, ParseResult } from '../model.js';
import type { FailureReason } from '../schema/bundle.js';
import { truncate } from './json-values.js';
import { forEachLine, pushIssue } from './netns-list.js';

/** One `/proc/PID/ns/net` (or `/proc/PID/task/TID/ns/net`) link as `ls -l` showed it. */
export interface ProcNsEntry {
  path: string;
  pid: number;
  /** Set for a thread's link under /proc/PID/task/TID. */
  tid: number | null;
  /** The namespace inode, null when the link could not be read. */
  inode: number | null;
  error: FailureReason | null;
}

// The permission, owner and date columns are optional (tutorials print `/proc/1557/ns/net -> net:[…]`
// alone), and a paste may glue the path to the permissions.
const ENTRY = /^(?:l[rwxsStT-]{9}[.+@]?(?:\s.*?)?)?(\/proc\/\d{1,10}(?:\/task\/\d{1,10})?\/ns\/net)(?: -> (.{0,64}))?$/;
const IN_DIR = /^l[rwxsStT-]{9}[.+@]?\s.*?\s(net|[a-z_]{1,32})(?: -> (.{0,64}))?$/;
const DIR_HEADING = /^(\/proc\/\d{1,10}(?:\/task\/\d{1,10})?\/ns):$/;
const LS_ERROR = /^ls: cannot (read symbolic link|access|open directory) '?(\/proc\/\d{1,10}(?:\/task\/\d{1,10})?\/ns(?:\/net)?)'?: (.{1,200})$/;
const TARGET = /^net:\[(\d{1,20})\]$/;

/**
 * Where a listing collapsed onto one line (newlines lost in a paste) starts its
 * next entry: before a permissions column, before an ls error, before a bare
 * path that follows a link target or an ls error's reason. Zero-width where it
 * can be, so a long run of spaces costs linear time.
 */
const ENTRY_BOUNDARY =
  /(?<=\]|\s)(?=l[rwxsStT-]{9}[.+@]?(?:\s|\/proc\/))|(?<=\]|\s)(?=ls: cannot )|(?<=\]|: Permission denied|: Operation not permitted|: No such file or directory|: No such process)\s*(?=\/proc\/\d)/g;

/**
 * `ls -l /proc/*\/ns/net` with stderr (2>&1), as pasted from a host; also
 * `ls -l /proc/PID/ns/` directory listings and `/proc/PID/task/TID/ns/net`:
 *
 *   ls: cannot read symbolic link '/proc/1/ns/net': Permission denied
 *   lrwxrwxrwx 1 root root 0 Nov 29 03:38 /proc/1/ns/net
 *   lrwxrwxrwx 1 root root 0 Nov 29 03:41 /proc/10/ns/net -> net:[4026531833]
 *
 * Also as tutorials and pastes show it: without the owner and date columns
 * (`lrwxrwxrwx  /proc/28499/ns/net -> net:[4026532281]`), without any
 * (`/proc/66156/ns/net -> net:[4026532355]`), and every entry on one line.
 *
 * An unreadable link is an entry with `inode: null` and the reason ls gave
 * (denied, vanished); the link line ls still prints for it is the same entry.
 * "Permission denied" is data here, so tool-failure text is not rejected up
 * front: a listing with no entry at all is unusable instead.
 */
export function parseProcNsListing(stdout: string): ParseResult<ProcNsEntry[]> {
  if (stdout.trim() === '') return { status: 'empty', issues: [] };
  const issues: ParseIssue[] = [];
  const byPath = new Map<string, ProcNsEntry>();
  let dir: string | null = null;
  const add = (path: string, inode: number | null, error: FailureReason | null) => {
    const ids = /^\/proc\/(\d+)(?:\/task\/(\d+))?\//.exec(path)!;
    const pid = Number(ids[1]);
    if (pid <= 0) return;
    const seen = byPath.get(path);
    if (seen) {
      seen.inode ??= inode;
      if (seen.inode !== null) seen.error = null;
      else if (error && error !== 'failed') seen.error = error;
      return;
    }
    byPath.set(path, { path, pid, tid: ids[2] === undefined ? null : Number(ids[2]), inode, error: inode === null ? error : null });
  };
  const target = (text: string | undefined, n: number): number | null => {
    if (text === undefined) return null;
    const m = TARGET.exec(text);
    if (!m || !Number.isSafeInteger(Number(m[1]))) {
      pushIssue(issues, { line: n, message: `link target is not net:[inode]: ${truncate(text)}` });
      return null;
    }
    return Number(m[1]);
  };
  const readLine = (raw: string, n: number) => {
    const line = raw.trim();
    const failed = LS_ERROR.exec(line);
    if (failed) {
      const path = failed[2]!.endsWith('/net') ? failed[2]! : `${failed[2]}/net`;
      add(path, null, reasonOf(failed[3]!));
      return;
    }
    const heading = DIR_HEADING.exec(line);
    if (heading) {
      dir = heading[1]!;
      return;
    }
    const entry = ENTRY.exec(line);
    if (entry) {
      add(entry[1]!, target(entry[2], n), 'failed');
      return;
    }
    const inDir = dir ? IN_DIR.exec(line) : null;
    if (inDir) {
      // Other namespace types (mnt, pid, uts...) in a directory listing are not this parser's business.
      if (inDir[1] === 'net') add(`${dir}/net`, target(inDir[2], n), 'failed');
      return;
    }
    if (/^total \d{1,20}$/.test(line)) return;
    pushIssue(issues, { line: n, message: `not an ls -l line for /proc/PID/ns/net: ${truncate(line)}` });
  };
  forEachLine(stdout, (raw, n) => {
    for (const part of raw.split(ENTRY_BOUNDARY)) if (part.trim() !== '') readLine(part, n);
  });
  if (byPath.size === 0) return { status: 'unusable', reason: 'no /proc/PID/ns/net entry', issues };
  const entries = [...byPath.values()].sort((a, b) => a.pid - b.pid || (a.tid ?? 0) - (b.tid ?? 0));
  return { status: 'parsed', value: entries, issues };
}

function reasonOf(message: string): FailureReason {
  if (/Permission denied|Operation not permitted/.test(message)) return 'denied';
  if (/No such file or directory|No such process/.test(message)) return 'vanished';
  return 'failed';
}
