import { describe, expect, it } from 'vitest';
import { namespaceCandidates } from './namespace-set.js';
import { nothingFound } from './probe.js';

describe('namespaceCandidates', () => {
  it('tries mounts, then processes, then holders (a mount in another mount namespace before an fd, an fd before a thread), and says which holder', () => {
    const draft = nothingFound();
    draft.processes = [{ pid: 10, netns: 100, netnsError: null, comm: null, cgroup: null, startTime: null }];
    draft.handles = [{ kind: 'named', path: '/run/netns/a', name: 'a', inode: 100, error: null }];
    draft.holders = [
      { kind: 'thread', path: '/proc/20/task/21/ns/net', pid: 20, inode: 200 },
      { kind: 'fd', path: '/proc/30/fd/3', pid: 30, inode: 200 },
      { kind: 'foreign-mount', path: '/proc/40/root/tmp/ns', pid: 40, inode: 200 },
    ];
    const byInode = namespaceCandidates(draft, '/proc');
    expect(byInode.get(100)).toEqual([
      { via: 'file', path: '/run/netns/a', pid: null },
      { via: 'pid', path: '/proc/10/ns/net', pid: 10 },
    ]);
    expect(byInode.get(200)).toEqual([
      { via: 'pid', path: '/proc/40/root/tmp/ns', pid: 40, holder: 'foreign-mount' },
      { via: 'pid', path: '/proc/30/fd/3', pid: 30, holder: 'fd' },
      { via: 'pid', path: '/proc/20/task/21/ns/net', pid: 20, holder: 'thread' },
    ]);
  });
});
