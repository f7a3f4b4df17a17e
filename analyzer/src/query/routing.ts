import type { Database } from 'better-sqlite3';
import type { ShowAnswer as ShowResult } from '../answer/show.js';
import { fromDbText, ROUTING_KINDS, type RoutingEntry, type RoutingKind } from '@nsnap/shared/core';

/** A namespace's lists; null where the snapshot did not capture that list. */
export type NamespaceRouting = Record<RoutingKind, RoutingEntry[] | null>;

export const ROUTING_SQL = `SELECT r.netns, r.kind, e.key, e.text
  FROM namespace_routing r LEFT JOIN routing_entries e ON e.routing_set = r.routing_set
  WHERE r.snapshot = ? ORDER BY r.netns, r.kind, e.position`;

/** Routes, rules and neighbours of every namespace of a snapshot, by inode. */
export function loadRouting(db: Database, snapshotRow: number): Map<number, NamespaceRouting> {
  const byNetns = new Map<number, NamespaceRouting>();
  for (const r of db.prepare(ROUTING_SQL).all(snapshotRow) as { netns: number; kind: RoutingKind; key: string | null; text: string | null }[]) {
    let ns = byNetns.get(r.netns);
    if (!ns) byNetns.set(r.netns, (ns = { routes: null, rules: null, neighbours: null }));
    const list = (ns[r.kind] ??= []);
    // An empty set joins no entry: the list is there, and empty.
    if (r.key !== null && r.text !== null) list.push({ key: fromDbText(r.key), text: fromDbText(r.text) });
  }
  return byNetns;
}

/** The lists as `show --routes` gives them: each entry's text, null for not captured. */
export function routingTexts(routing: NamespaceRouting | undefined): Record<RoutingKind, string[] | null> {
  const out = { routes: null, rules: null, neighbours: null } as Record<RoutingKind, string[] | null>;
  for (const kind of ROUTING_KINDS) out[kind] = routing?.[kind]?.map((e) => e.text) ?? null;
  return out;
}

/** `show --routes`: every shown namespace with its lists. */
export function withRouting(show: ShowResult, routing: Map<number, NamespaceRouting>): ShowResult {
  return { ...show, namespaces: show.namespaces.map((ns) => ({ ...ns, routing: routingTexts(routing.get(ns.netns)) })) };
}
