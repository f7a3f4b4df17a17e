import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Gap, Handle } from '@nsnap/shared/core';
import { detailOf, parseNsLink, reasonOf } from './errno.js';
import type { Probe } from './probe.js';

/**
 * Namespaces that need not have a process: named ones (`/run/netns/*`),
 * runtime bind mounts (`/run/docker/netns/*`) and any other nsfs mount in
 * mountinfo. A namespace kept alive only by a mount is invisible to a /proc walk.
 */
/** Longer mount paths are not recorded: the bundle bounds every path (LIMITS.shortChars) and adds details to some. */
const MAX_PATH_CHARS = 1024;

export const netnsHandles: Probe = {
  name: 'netns-handles',
  // Synchronous, like the /proc scan: a stat of an nsfs file takes microseconds,
  // a promise per entry cost ~25 ms at 400 named namespaces.
  async run(ctx) {
    const gaps: Gap[] = [];
    let nsfsDev: number | null = null;
    try {
      nsfsDev = statSync(path.join(ctx.procRoot, 'self/ns/net')).dev;
    } catch {
      nsfsDev = null;
    }
    const seen = new Set<string>();
    const handles: Handle[] = [];
    const fromDir = (dir: string, kind: 'named' | 'bind') => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (error) {
        if (reasonOf(error) !== 'vanished') gaps.push({ probe: this.name, subject: dir, reason: reasonOf(error), detail: detailOf(error) });
        return;
      }
      let real = dir;
      try {
        real = realpathSync(dir);
      } catch {
        real = dir;
      }
      for (const name of names.sort()) {
        const file = `${real}/${name}`;
        if (seen.has(file)) continue;
        seen.add(file);
        handles.push(statHandle(file, kind, kind === 'named' ? name : null, nsfsDev));
      }
    };
    for (const dir of ctx.namedDirs) fromDir(dir, 'named');
    for (const dir of ctx.bindDirs) fromDir(dir, 'bind');
    try {
      const mountinfo = readFileSync(path.join(ctx.procRoot, 'self/mountinfo'), 'utf8');
      for (const m of nsfsMounts(mountinfo)) {
        if (seen.has(m.path)) continue;
        if (m.path.length > MAX_PATH_CHARS) {
          gaps.push({ probe: this.name, subject: `${m.path.slice(0, 200)}…`, reason: 'failed', detail: `an nsfs mount of namespace ${m.inode} whose path is longer than ${MAX_PATH_CHARS} characters: not used` });
          continue;
        }
        seen.add(m.path);
        handles.push({ kind: 'mount', path: m.path, name: null, inode: m.inode, error: null });
      }
    } catch (error) {
      gaps.push({ probe: this.name, subject: 'mountinfo', reason: reasonOf(error), detail: detailOf(error) });
    }
    for (const h of handles) {
      if (h.error) gaps.push({ probe: this.name, subject: h.path, reason: h.error, detail: h.error === 'not-a-namespace' ? 'not an nsfs mount (stale entry?)' : 'cannot stat the namespace file' });
    }
    return { handles, gaps };
  },
};

function statHandle(file: string, kind: 'named' | 'bind', name: string | null, nsfsDev: number | null): Handle {
  try {
    const st = statSync(file);
    if (nsfsDev !== null && st.dev !== nsfsDev) return { kind, path: file, name, inode: null, error: 'not-a-namespace' };
    return { kind, path: file, name, inode: st.ino, error: null };
  } catch (error) {
    return { kind, path: file, name, inode: null, error: reasonOf(error) };
  }
}

/**
 * nsfs mounts of network namespaces in /proc/self/mountinfo:
 *   `631 29 0:4 net:[4026532178] /run/netns/nsb1 rw,nosuid - nsfs nsfs rw`
 * Field 4 is the namespace, field 5 the mount point (octal escapes such as \040).
 */
export function nsfsMounts(mountinfo: string, wanted: (inode: number) => boolean = () => true): { path: string; inode: number }[] {
  const out: { path: string; inode: number }[] = [];
  // Found by their separator and type, not line by line, and a path unescaped
  // only for a wanted namespace: netns-holders reads hundreds of mount tables
  // that repeat the host's hundreds of named namespaces (26 of 190 ms, before).
  // Spaces in fields are escaped (\040), so " - " is only ever the separator.
  for (let at = mountinfo.indexOf(NSFS_TAIL); at >= 0; at = mountinfo.indexOf(NSFS_TAIL, at + 1)) {
    const start = mountinfo.lastIndexOf('\n', at) + 1;
    // Fields 4 (root: `net:[N]`) and 5 (mount point) follow the third space.
    let root = start;
    for (let i = 0; i < 3 && root >= 0; i++) root = mountinfo.indexOf(' ', root) + 1;
    const point = mountinfo.indexOf(' ', root) + 1;
    const end = mountinfo.indexOf(' ', point);
    if (root <= start || point <= root || end < point || end > at) continue;
    const inode = parseNsLink(mountinfo.slice(root, point - 1));
    if (inode === null || !wanted(inode)) continue;
    out.push({ path: unescapeMountPath(mountinfo.slice(point, end)), inode });
  }
  return out;
}

const NSFS_TAIL = ' - nsfs ';

/** Every mount point in /proc/self/mountinfo (field 5), unescaped. */
export function mountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ', 5)[4];
    if (field !== undefined) out.push(unescapeMountPath(field));
  }
  return out;
}

function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
