import type { OwnerFacts } from './model.js';

const short = (id: string) => id.slice(0, 12);

/** A namespace in a few words, as the page and the diff list name it: pod, container, name, process, or its inode. */
export function ownerLabel(o: Pick<OwnerFacts, 'netns' | 'host' | 'names'> & { containers: { id: string; podUid?: string | null }[]; processes?: { pid: number; comm: string | null }[]; pids?: number[] }): string {
  if (o.host) return `host (netns ${o.netns})`;
  const pod = o.containers.find((c) => c.podUid)?.podUid;
  if (pod) return `pod ${short(pod)}`;
  const first = o.containers[0];
  if (first) return `container ${short(first.id)}${o.containers.length > 1 ? ` +${o.containers.length - 1}` : ''}`;
  if (o.names.length > 0) return `netns ${o.names.join(', ')}`;
  const p = o.processes?.[0];
  if (p) return `pid ${p.pid} ${p.comm ?? '?'}`;
  const pid = o.pids?.[0];
  if (pid !== undefined) return `pid ${pid}`;
  return `netns ${o.netns}`;
}
