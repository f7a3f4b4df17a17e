import { UsageError } from '../exit-codes.js';

/** Which namespace an imported `--netns KEY=FILE` link listing belongs to. */
export type NetnsTarget = { by: 'pid'; pid: number } | { by: 'inode'; inode: number } | { by: 'name'; name: string };

/**
 * The largest pid (PID_MAX_LIMIT, 2^22). Namespace inodes are far above it:
 * dynamic proc inodes start at 0xF0000000 (fs/proc/generic.c), and since
 * Linux 6.x the initial namespaces have fixed inodes just below that
 * (PROC_NET_INIT_INO = 0xEFFFFFF9, net:[4026531833]), so a bare number above
 * this is an inode, never a pid.
 */
export const MAX_PID = 4_194_304;

const NAME = /^[A-Za-z0-9_.:@+-]{1,255}$/;

/**
 * Reads the KEY of `--netns KEY=FILE`: `pid:N`, `inode:N`, `name:NAME`, or a
 * bare number (an inode above the largest pid 4194304, else a pid) or a bare name (as
 * `ip netns` knows it). The file is everything after the first `=`.
 */
export function parseNetnsArg(value: string): { target: NetnsTarget; file: string } {
  const eq = value.indexOf('=');
  const shown = JSON.stringify(value.slice(0, 200));
  if (eq <= 0 || eq === value.length - 1) throw new UsageError(`--netns ${shown}: expected KEY=FILE, e.g. 3793=ns-3793.txt, inode:4026532701=ns.txt or name:web=web.txt`);
  const key = value.slice(0, eq);
  const file = value.slice(eq + 1);
  const prefixed = /^(pid|inode|name):(.*)$/.exec(key);
  const kind = prefixed?.[1] ?? (/^\d+$/.test(key) ? (Number(key) > MAX_PID ? 'inode' : 'pid') : 'name');
  const text = prefixed ? (prefixed[2] as string) : key;
  if (kind === 'name') {
    if (!NAME.test(text) || text === '.' || text === '..') throw new UsageError(`--netns ${shown}: ${JSON.stringify(text)} is not a namespace name (letters, digits and _.:@+-)`);
    return { target: { by: 'name', name: text }, file };
  }
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (kind === 'pid') {
    if (!(n >= 1 && n <= MAX_PID)) throw new UsageError(`--netns ${shown}: ${JSON.stringify(text)} is not a pid (1 to ${MAX_PID})`);
    return { target: { by: 'pid', pid: n }, file };
  }
  if (!(Number.isSafeInteger(n) && n > 0)) throw new UsageError(`--netns ${shown}: ${JSON.stringify(text)} is not a namespace inode`);
  return { target: { by: 'inode', inode: n }, file };
}

/** The target as a person writes it, for roles and messages: `pid:3793`, `inode:4026532701`, `name:web`. */
export function describeTarget(target: NetnsTarget): string {
  return target.by === 'pid' ? `pid:${target.pid}` : target.by === 'inode' ? `inode:${target.inode}` : `name:${target.name}`;
}
