import { INET6_RULE_PREFIX, ROUTING_KINDS, type RoutingEntry, type RoutingKind } from '@nsnap/shared/core';
import type { NamespaceRouting } from '../query/routing.js';

/** One namespace's list that changed between two snapshots. */
export interface RoutingChange {
  /** The namespace in the later snapshot, and in the earlier one. */
  netns: number;
  fromNetns: number;
  kind: RoutingKind;
  added: string[];
  removed: string[];
  /** The same key (route destination and table, neighbour address and device) with another text: a new gateway, MAC… */
  changed: { key: string; from: string; to: string }[];
  /** Set when the two namespaces were compared as one without proof (see namespaces.uncertain). */
  uncertain?: string;
}

export interface RoutingDiff {
  changed: RoutingChange[];
  /** A list captured on one side only: not compared (an older collector, a failed command). */
  uncaptured: { netns: number; kind: RoutingKind; side: 'from' | 'to' }[];
}

/**
 * Routes, rules and neighbours of matched namespaces compared by key: a key
 * on one side only is added or removed, a key whose text differs is changed
 * (a neighbour's text says `dynamic` for the states the kernel changes by
 * itself: see routing-json.ts). Pure: a snapshot against itself gives nothing.
 */
export function diffRouting(
  matched: readonly { from: number; to: number; uncertain?: string }[],
  from: Map<number, NamespaceRouting>,
  to: Map<number, NamespaceRouting>,
): RoutingDiff {
  const result: RoutingDiff = { changed: [], uncaptured: [] };
  for (const m of matched) {
    for (const kind of ROUTING_KINDS) {
      const a = from.get(m.from)?.[kind] ?? null;
      const b = to.get(m.to)?.[kind] ?? null;
      if (a === null && b === null) continue;
      if (a === null || b === null) {
        result.uncaptured.push({ netns: a === null ? m.from : m.to, kind, side: a === null ? 'from' : 'to' });
        continue;
      }
      // IPv6 rules taken on one side only (an earlier collector, --ipv6-rules on one run): not compared, not "added".
      const v6a = a.some(isInet6);
      const v6b = b.some(isInet6);
      if (kind === 'rules' && v6a !== v6b) result.uncaptured.push({ netns: v6a ? m.to : m.from, kind, side: v6a ? 'to' : 'from' });
      const change = kind === 'rules' && v6a !== v6b ? compare(a.filter((e) => !isInet6(e)), b.filter((e) => !isInet6(e))) : compare(a, b);
      if (change.added.length + change.removed.length + change.changed.length === 0) continue;
      result.changed.push({ netns: m.to, fromNetns: m.from, kind, ...change, ...(m.uncertain === undefined ? {} : { uncertain: m.uncertain }) });
    }
  }
  return result;
}

const isInet6 = (e: RoutingEntry) => e.key.startsWith(INET6_RULE_PREFIX);

function compare(a: RoutingEntry[], b: RoutingEntry[]): Pick<RoutingChange, 'added' | 'removed' | 'changed'> {
  const before = group(a);
  const after = group(b);
  const added: string[] = [];
  const removed: string[] = [];
  const changed: RoutingChange['changed'] = [];
  for (const [key, texts] of after) {
    const old = before.get(key);
    if (old === undefined) added.push(...texts);
    else if (old.length === 1 && texts.length === 1) {
      if (old[0] !== texts[0]) changed.push({ key, from: old[0]!, to: texts[0]! });
    } else {
      // Several entries under one key (a list from a hostile or odd dump): compared as sets.
      const had = new Set(old);
      const has = new Set(texts);
      added.push(...texts.filter((t) => !had.has(t)));
      removed.push(...old.filter((t) => !has.has(t)));
    }
  }
  for (const [key, texts] of before) if (!after.has(key)) removed.push(...texts);
  return { added, removed, changed };
}

function group(entries: RoutingEntry[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of entries) {
    const list = map.get(e.key);
    if (list) list.push(e.text);
    else map.set(e.key, [e.text]);
  }
  return map;
}
