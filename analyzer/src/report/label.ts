import type { OwnerFacts } from './model.js';

const short = (id: string) => id.slice(0, 12);

/** A namespace in a few words, as the page and the diff list name it: pod, container, name, mount, process, or its inode. */
export function ownerLabel(o: Pick<OwnerFacts, 'netns' | 'host' | 'names'> & { mounts?: string[]; containers: { id: string; podUid?: string | null }[]; processes?: { pid: number; comm: string | null }[]; pids?: number[] }): string {
  if (o.host) return `host (netns ${o.netns})`;
  const pod = o.containers.find((c) => c.podUid)?.podUid;
  if (pod) return `pod ${short(pod)}`;
  const first = o.containers[0];
  if (first) return `container ${short(first.id)}${o.containers.length > 1 ? ` +${o.containers.length - 1}` : ''}`;
  if (o.names.length > 0) return `netns ${o.names.join(', ')}`;
  // A runtime's bind mount (/run/docker/netns/0d16e0a14f82) names the sandbox by its last part.
  const mount = o.mounts?.[0];
  if (mount !== undefined) return `mount …/${mount.slice(mount.lastIndexOf('/') + 1)}`;
  const p = o.processes?.[0];
  if (p) return `pid ${p.pid} ${p.comm ?? '?'}`;
  const pid = o.pids?.[0];
  if (pid !== undefined) return `pid ${pid}`;
  return `netns ${o.netns}`;
}
