import type { Item } from './graph.js';

const MAX_RESULTS = 50;

/** The words an item is found by: interface names, aliases and addresses, namespace names, containers, pods, pids, inodes. */
function words(item: Item): string[] {
  if (item.type === 'box') {
    const o = item.box.owner;
    return [String(o.netns), ...o.names, ...o.mounts, ...o.containers.flatMap((c) => [c.id, c.podUid ?? '']), ...o.processes.flatMap((p) => [String(p.pid), p.comm ?? ''])];
  }
  const f = item.type === 'port' ? item.port.facts : item.edge.via;
  return f ? [f.ifname, f.alias ?? '', f.address ?? '', ...f.addresses.flatMap(ipOf)] : [];
}

/** "inet 10.0.0.2/24" is found as itself and as 10.0.0.2, its address alone. */
const ipOf = (a: string) => [a, a.slice(a.indexOf(' ') + 1).split('/')[0] ?? a];

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
    if (ws.some((w) => w === q)) exact.push({ id, text: describe(id, item) });
    else if (ws.some((w) => w.includes(q))) partial.push({ id, text: describe(id, item) });
    if (exact.length >= MAX_RESULTS) break;
  }
  return [...exact, ...partial].slice(0, MAX_RESULTS);
}
