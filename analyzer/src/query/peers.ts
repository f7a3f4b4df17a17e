import type { Database } from 'better-sqlite3';
import { loadGaps, type GapView } from './gaps.js';
import { loadOwners, type Owners } from './owners.js';
import type { SnapshotRef } from './select.js';

export interface EndView {
  netns: number;
  ifname: string;
  ifindex: number;
  kind: string | null;
  master: string | null;
  owner: Owners;
}

export interface PairView {
  a: EndView;
  b: EndView;
  method: string;
}

export interface UnpairedView extends EndView {
  reason: string;
  detail: string;
  candidates: EndView[];
}

/** A device whose lower (macvlan parent, vlan underlay…) is in another namespace, or could not be found. */
export interface LowerView {
  end: EndView;
  target: EndView | null;
  method: string | null;
  detail: string | null;
}

export interface PeersResult {
  snapshot: { id: string; host: string; takenAt: string; bootId: string | null };
  pairs: PairView[];
  unpaired: UnpairedView[];
  lowers: LowerView[];
  gaps: GapView[];
}

const END = (t: string) => `${t}.netns AS ${t}_netns, ${t}.ifindex AS ${t}_ifindex, ${t}.ifname AS ${t}_ifname, ${t}.kind AS ${t}_kind, ${t}.master AS ${t}_master`;

export const PEERS_SQL = {
  links: `SELECT l.id, l.relation, l.status, l.method, l.detail, ${END('a')}, ${END('b')}
    FROM links l JOIN interfaces a ON a.id = l.a LEFT JOIN interfaces b ON b.id = l.b
    WHERE l.snapshot = ? AND l.relation IN ('veth', 'lower') ORDER BY l.id`,
  candidates: `SELECT lc.link, ${END('c')}
    FROM links l JOIN link_candidates lc ON lc.link = l.id JOIN interfaces c ON c.id = lc.interface
    WHERE l.snapshot = ? AND l.relation = 'veth'`,
} as const;

type EndRow = Record<string, string | number | null>;

/**
 * veth pairs with their owners at both ends (the host end first), veths that
 * could not be paired with why and their candidates, and lower devices that
 * cross namespaces — as decided at ingest by the shared correlation.
 */
export function peersOf(db: Database, snap: SnapshotRef, owners: Map<number, Owners> = loadOwners(db, snap.row)): PeersResult {
  const end = (row: EndRow, t: string): EndView => {
    const netns = row[`${t}_netns`] as number;
    return {
      netns,
      ifname: row[`${t}_ifname`] as string,
      ifindex: row[`${t}_ifindex`] as number,
      kind: row[`${t}_kind`] as string | null,
      master: row[`${t}_master`] as string | null,
      owner: owners.get(netns) as Owners,
    };
  };
  const candidates = new Map<number, EndView[]>();
  for (const row of db.prepare(PEERS_SQL.candidates).all(snap.row) as EndRow[]) {
    const link = row.link as number;
    candidates.set(link, [...(candidates.get(link) ?? []), end(row, 'c')]);
  }
  const pairs: PairView[] = [];
  const unpaired: UnpairedView[] = [];
  const lowers: LowerView[] = [];
  for (const row of db.prepare(PEERS_SQL.links).all(snap.row) as EndRow[]) {
    const a = end(row, 'a');
    const b = row.b_netns !== null ? end(row, 'b') : null;
    if (row.relation === 'veth') {
      if (b) pairs.push(b.owner.host && !a.owner.host ? { a: b, b: a, method: row.method as string } : { a, b, method: row.method as string });
      else unpaired.push({ ...a, reason: row.status as string, detail: (row.detail as string | null) ?? '', candidates: (candidates.get(row.id as number) ?? []).sort(byEnd) });
    } else if (!b || b.netns !== a.netns) {
      lowers.push({ end: a, target: b, method: row.method as string | null, detail: row.detail as string | null });
    }
  }
  const hostFirst = (x: EndView, y: EndView) => Number(y.owner.host) - Number(x.owner.host) || byEnd(x, y);
  pairs.sort((x, y) => hostFirst(x.a, y.a));
  unpaired.sort(hostFirst);
  lowers.sort((x, y) => hostFirst(x.end, y.end));
  return { snapshot: { id: snap.id, host: snap.host, takenAt: snap.takenAt, bootId: snap.bootId }, pairs, unpaired, lowers, gaps: loadGaps(db, snap.row) };
}

function byEnd(x: EndView, y: EndView): number {
  return x.netns - y.netns || x.ifindex - y.ifindex;
}
