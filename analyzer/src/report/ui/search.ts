import type { Item } from './graph.js';

const MAX_RESULTS = 50;

/** The words an item is found by: interface names, aliases and addresses, namespace names, containers, pods, pids, inodes. */
function words(item: Item): string[] {
  if (item.type === 'box') {
    const o = item.box.owner;
    return [String(o.netns), ...o.names, ...o.mounts, ...o.containers.flatMap((c) => [c.id, c.podUid ?? '']), ...o.processes.map((p) => `${p.pid} ${p.comm ?? ''}`)];
  }
  if (item.type === 'port') {
    const f = item.port.facts;
    return [f.ifname, f.alias ?? '', f.address ?? '', ...f.addresses];
  }
  const v = item.edge.via;
  return v ? [v.ifname, v.alias ?? '', v.address ?? '', ...v.addresses] : [];
}

export interface Hit {
  id: string;
  text: string;
}

/** Items whose words contain the query (case-insensitive), exact names first. */
export function search(items: Map<string, Item>, query: string, describe: (id: string, item: Item) => string): Hit[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const exact: Hit[] = [];
  const partial: Hit[] = [];
  for (const [id, item] of items) {
    const ws = words(item).map((w) => w.toLowerCase());
    if (ws.some((w) => w === q || w.split(/[ /]/)[0] === q)) exact.push({ id, text: describe(id, item) });
    else if (ws.some((w) => w.includes(q))) partial.push({ id, text: describe(id, item) });
    if (exact.length >= MAX_RESULTS) break;
  }
  return [...exact, ...partial].slice(0, MAX_RESULTS);
}
