import type { HolderKind } from '@nsnap/shared/core';
import type { Found } from './probe.js';

export interface Candidate {
  via: 'pid' | 'file';
  path: string;
  pid: number | null;
  /** For a handle found by netns-holders: which kind (recorded in the bundle's `entered`). */
  holder?: HolderKind;
}

/**
 * Every namespace the scan found, by inode, with the handles that lead to it
 * in the order worth trying: mounts first (they cannot be reused by another
 * process), then processes by pid, then what only holders show (mounts in
 * another mount namespace, fds, threads: a namespace with a process or a
 * mount of ours has none).
 */
export function namespaceCandidates(found: Pick<Found, 'handles' | 'processes' | 'holders'>, procRoot: string): Map<number, Candidate[]> {
  const byInode = new Map<number, Candidate[]>();
  const add = (inode: number, c: Candidate) => {
    const list = byInode.get(inode);
    if (list) list.push(c);
    else byInode.set(inode, [c]);
  };
  const order = { named: 0, bind: 1, mount: 2 } as const;
  for (const h of [...found.handles].sort((a, b) => order[a.kind] - order[b.kind])) {
    if (h.inode !== null) add(h.inode, { via: 'file', path: h.path, pid: null });
  }
  for (const p of found.processes) {
    if (p.netns !== null) add(p.netns, { via: 'pid', path: `${procRoot}/${p.pid}/ns/net`, pid: p.pid });
  }
  const holderOrder = { 'foreign-mount': 0, fd: 1, thread: 2 } as const;
  for (const h of [...found.holders].sort((a, b) => holderOrder[a.kind] - holderOrder[b.kind])) {
    add(h.inode, { via: 'pid', path: h.path, pid: h.pid, holder: h.kind });
  }
  return byInode;
}
