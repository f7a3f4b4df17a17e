import { fromDbText } from '@nsnap/shared/core';
import type { Database } from 'better-sqlite3';
import type { EndView, LowerView, PairView, PeersAnswer, UnpairedView } from '../answer/peers.js';
import { ANSWER_VERSIONS } from '../answer/version.js';
import { loadGaps } from './gaps.js';
import type { Owners } from '../answer/common.js';
import { loadOwners } from './owners.js';
import type { SnapshotRef } from './select.js';

const END = (t: string) => `${t}.netns AS ${t}_netns, ${t}.ifindex AS ${t}_ifindex, ${t}.ifname AS ${t}_ifname, ${t}.kind AS ${t}_kind, ${t}.master AS ${t}_master`;

export const PEERS_SQL = {
  // Links with a far end and those without, as two joins rather than a LEFT JOIN: SQLite cannot search
  // the `interfaces` view on the right of a LEFT JOIN, and would build all of it to search it.
  links: `SELECT l.id, l.relation, l.status, l.method, l.detail, ${END('a')}, ${END('b')}
    FROM links l JOIN interfaces a ON a.id = l.a AND a.snapshot = l.snapshot JOIN interfaces b ON b.id = l.b AND b.snapshot = l.snapshot
    WHERE l.snapshot = @snapshot AND l.relation IN ('veth', 'lower')
    UNION ALL SELECT l.id, l.relation, l.status, l.method, l.detail, ${END('a')}, NULL, NULL, NULL, NULL, NULL
    FROM links l JOIN interfaces a ON a.id = l.a AND a.snapshot = l.snapshot
    WHERE l.snapshot = @snapshot AND l.relation IN ('veth', 'lower') AND l.b IS NULL ORDER BY 1`,
  // Candidates by interface id, their devices read once for the snapshot: a join per candidate would
  // search the interfaces held at the snapshot once for each of thousands of candidates.
  candidates: `SELECT lc.link, lc.interface FROM links l JOIN link_candidates lc ON lc.link = l.id WHERE l.snapshot = ? AND l.relation = 'veth'`,
  interfaces: 'SELECT id, netns, ifindex, ifname, kind, master FROM interfaces WHERE snapshot = ?',
} as const;

/** A row as an array (`raw`): objects with fifteen named columns cost more than the query. */
type Row = (string | number | null)[];
/** Where each query's end columns start (`END` gives netns, ifindex, ifname, kind, master); links start with id, relation, status, method, detail. */
const LINK_A = 5;
const LINK_B = 10;
const CANDIDATE = 1;

/**
 * veth pairs with their owners at both ends (the host end first), veths that
 * could not be paired with why and their candidates, and lower devices (in
 * the same namespace or across) — as decided at ingest by the shared correlation.
 */
export function peersOf(db: Database, snap: SnapshotRef, owners: Map<number, Owners> = loadOwners(db, snap.row)): PeersAnswer {
  const end = (row: Row, at: number): EndView => {
    const netns = row[at] as number;
    return {
      netns,
      ifname: fromDbText(row[at + 2] as string),
      ifindex: row[at + 1] as number,
      kind: row[at + 3] as string | null,
      master: row[at + 4] === null ? null : fromDbText(row[at + 4] as string),
      owner: owners.get(netns) as Owners,
    };
  };
  const candidates = new Map<number, EndView[]>();
  const candidateRows = db.prepare(PEERS_SQL.candidates).raw().all(snap.row) as [number, number][];
  const devices = candidateRows.length === 0 ? new Map<number, Row>() : new Map((db.prepare(PEERS_SQL.interfaces).raw().all(snap.row) as Row[]).map((r) => [r[0] as number, r]));
  for (const [link, iface] of candidateRows) {
    const list = candidates.get(link) ?? [];
    list.push(end(devices.get(iface) as Row, CANDIDATE));
    candidates.set(link, list);
  }
  const pairs: PairView[] = [];
  const unpaired: UnpairedView[] = [];
  const lowers: LowerView[] = [];
  const links = db.prepare(PEERS_SQL.links).raw().all({ snapshot: snap.row }) as Row[];
  for (let i = 0; i < links.length; i++) {
    const row = links[i] as Row;
    const a = end(row, LINK_A);
    const b = row[LINK_B] !== null ? end(row, LINK_B) : null;
    const method = row[3] as string | null;
    const detail = row[4] as string | null;
    if (row[1] === 'veth') {
      if (b) pairs.push({ ...hostEndFirst(a, b, isHostEnd), method: method as string });
      else unpaired.push({ ...a, reason: row[2] as string, detail: detail ?? '', candidates: (candidates.get(row[0] as number) ?? []).sort(byEnd) });
    } else {
      lowers.push({ end: a, target: b, method, detail });
    }
  }
  const hostFirst = hostFirstOrder(isHostEnd);
  pairs.sort((x, y) => hostFirst(x.a, y.a));
  unpaired.sort(hostFirst);
  lowers.sort((x, y) => hostFirst(x.end, y.end));
  return { answerVersion: ANSWER_VERSIONS.peers, snapshot: { id: snap.id, host: snap.host, takenAt: snap.takenAt, bootId: snap.bootId, ...(snap.asOf ? { asOf: snap.asOf } : {}) }, pairs, unpaired, lowers, gaps: loadGaps(db, snap.row) };
}

const isHostEnd = (e: EndView) => e.owner.host;

/** A veth pair as nsnap lists it (`peers`, `diff`): the host end first, when there is one. */
export function hostEndFirst<E>(a: E, b: E, isHost: (e: E) => boolean): { a: E; b: E } {
  return isHost(b) && !isHost(a) ? { a: b, b: a } : { a, b };
}

/** Ends in the order nsnap lists them: host ends first, then by namespace and ifindex. */
export function hostFirstOrder<E extends { netns: number; ifindex: number }>(isHost: (e: E) => boolean): (x: E, y: E) => number {
  return (x, y) => Number(isHost(y)) - Number(isHost(x)) || x.netns - y.netns || x.ifindex - y.ifindex;
}

function byEnd(x: EndView, y: EndView): number {
  return x.netns - y.netns || x.ifindex - y.ifindex;
}
