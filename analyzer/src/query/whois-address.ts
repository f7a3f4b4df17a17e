import { fromDbText } from '@nsnap/shared/core';
import type { Database } from 'better-sqlite3';
import { hasOwnMac, judgeSameInode } from '../diff/identity.js';
import { type AddressQuery, parseIp } from './ip-address.js';
import { RANGE_SQL, type SnapshotRef } from './select.js';
import type { WhoisAllAnswer as WhoisHistory, WhoisMatch, WhoisPeriod } from '../answer/whois.js';
import { ANSWER_VERSIONS } from '../answer/version.js';
import type { OwnerReader } from './whois.js';

/**
 * SQL of address lookups. The addresses are JSON text in `interfaces.addresses`; no index knows them,
 * so one snapshot's interfaces are walked through the (snapshot, netns, ifindex) index, and those
 * without an address (most host veth ends) are skipped before their text is parsed.
 */
export const ADDRESS_SQL = {
  /** Only what the test needs: reading whole rows (their raw dumps beside) for a rare match took twice as long (bench/whois-address.mjs). */
  withAddresses: "SELECT id, addresses FROM interfaces WHERE snapshot = ? AND addresses <> '[]' ORDER BY netns, ifindex",
  row: 'SELECT id, netns, ifindex, ifname, kind, master, mtu, operstate, address AS mac FROM interfaces WHERE snapshot = ? AND id = ?',
  isHost: 'SELECT is_host FROM namespaces WHERE snapshot = ? AND inode = ?',
  captured: 'SELECT captured FROM namespaces WHERE snapshot = ? AND inode = ?',
} as const;

type Row = { id: number; netns: number; ifindex: number; ifname: string; kind: string | null; master: string | null; mtu: number | null; operstate: string | null; mac: string | null };

/** One interface holding the address, with the entry (`ADDRESS/LEN`) it holds it as. */
export interface AddressHolder {
  row: Row;
  held: string;
}

type StoredAddress = { family?: unknown; local?: unknown; prefixlen?: unknown };

/**
 * The entries of one `addresses` text that are the address asked for: the
 * stored text is a host's, so each local is parsed and compared by its key,
 * never by its spelling, and an entry that is not an address is passed over.
 */
function heldAs(text: string, q: AddressQuery): string[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const a of list as StoredAddress[]) {
    if (typeof a?.local !== 'string' || typeof a.prefixlen !== 'number') continue;
    const ip = parseIp(a.local);
    if (!ip || ip.key !== q.address.key || (q.prefixlen !== null && a.prefixlen !== q.prefixlen)) continue;
    out.push(`${ip.text}/${a.prefixlen}`);
  }
  return out;
}

/** Every interface of one snapshot holding the address: all of them, in (netns, ifindex) order, never one picked. */
export class AddressScanner {
  private readonly scan;
  private readonly row;
  /** Parsed once per distinct text: lo's, and a container's over many snapshots, repeat. */
  private readonly seen = new Map<string, string[]>();
  constructor(db: Database, private readonly q: AddressQuery) {
    this.scan = db.prepare(ADDRESS_SQL.withAddresses).raw();
    this.row = db.prepare(ADDRESS_SQL.row);
  }

  holders(snapshot: number): AddressHolder[] {
    const out: AddressHolder[] = [];
    for (const [id, text] of this.scan.all(snapshot) as [number, string][]) {
      let held = this.seen.get(text);
      if (held === undefined) {
        held = heldAs(text, this.q);
        // Bounded: past this many distinct texts, the rest are parsed each time.
        if (this.seen.size < 100_000) this.seen.set(text, held);
      }
      if (held.length === 0) continue;
      // An interface's id names it over the span of snapshots it held for: the snapshot picks the row.
      const r = this.row.get(snapshot, id) as Row;
      const row = { ...r, ifname: fromDbText(r.ifname), master: r.master === null ? null : fromDbText(r.master) };
      for (const h of held) out.push({ row, held: h });
    }
    return out;
  }
}

/** The whois matches of an address in one snapshot. */
export function addressMatches(db: Database, snapshot: number, q: AddressQuery, reader: OwnerReader): WhoisMatch[] {
  return new AddressScanner(db, q).holders(snapshot).map((h) => ({ ...reader.interfaceMatch(h.row), matchedBy: 'address' as const, address: h.held }));
}

/**
 * Every period during which one device held the address, over all snapshots of
 * a host, oldest first. A device is (boot, namespace inode, ifindex, entry);
 * its period goes on while the next snapshot still shows it, or over
 * snapshots that knew its namespace but could not capture it (counted as
 * gaps), and ends at a snapshot without it. Within a period the inode must be
 * the same namespace on evidence (the host's; the device's own MAC kept; or
 * `judgeSameInode`), since the kernel reuses inodes within seconds; where
 * nothing proves it either way, a new period starts and says it is uncertain.
 * Several devices holding the address at once are several periods side by side.
 */
export function whoisAddressAll(
  db: Database,
  what: string,
  q: AddressQuery,
  host: { id: number; label: string },
  reader: OwnerReader,
  judge: OwnerReader,
  /** Called as the walk goes, with the snapshots read so far (the progress renderer paces what it shows). */
  progress: (done: number, total: number) => void = () => {},
): WhoisHistory {
  const snaps = db.prepare(RANGE_SQL).all({ host: host.id, since: '', until: '9999' }) as SnapshotRef[];
  const scanner = new AddressScanner(db, q);
  const captured = db.prepare(ADDRESS_SQL.captured).pluck();
  const isHost = db.prepare(ADDRESS_SQL.isHost).pluck();
  type Open = { first: SnapshotRef; last: SnapshotRef; lastIndex: number; lastRow: Row; held: string; snapshots: number; gaps: number; uncertain?: string };
  const periods: Open[] = [];
  const open = new Map<string, Open>();
  for (let n = 0; n < snaps.length; n++) {
    const s = snaps[n] as SnapshotRef;
    if (n % 64 === 0) progress(n, snaps.length);
    for (const h of scanner.holders(s.row)) {
      const key = JSON.stringify([s.bootId, h.row.netns, h.row.ifindex, h.held]);
      const current = open.get(key);
      let uncertain: string | undefined;
      if (current && current.lastIndex < n) {
        let gaps = 0;
        // Only a snapshot that knew the namespace but could not capture it is a gap; one without the namespace, or with it and without the address, ends the period.
        for (let m = current.lastIndex + 1; m < n && gaps >= 0; m++) gaps = captured.get((snaps[m] as SnapshotRef).row, h.row.netns) === 0 ? gaps + 1 : -1;
        const consecutive = current.lastIndex === n - 1;
        let same = isHost.get(s.row, h.row.netns) === 1;
        if (!same && (consecutive || gaps >= 0)) {
          const kept = hasOwnMac({ ...h.row, address: h.row.mac }) && h.row.mac?.toLowerCase() === current.lastRow.mac?.toLowerCase();
          if (kept) same = true;
          else {
            const verdict = judgeSameInode(judge.at(current.last.row).state(h.row.netns), judge.at(s.row).state(h.row.netns));
            same = verdict.verdict === 'same';
            if (verdict.verdict === 'uncertain') uncertain = verdict.reason;
          }
        }
        if (same && (consecutive || gaps >= 0)) {
          Object.assign(current, { last: s, lastIndex: n, lastRow: h.row, snapshots: current.snapshots + 1, gaps: current.gaps + Math.max(gaps, 0) });
          continue;
        }
      }
      const p: Open = { first: s, last: s, lastIndex: n, lastRow: h.row, held: h.held, snapshots: 1, gaps: 0, ...(uncertain !== undefined ? { uncertain } : {}) };
      periods.push(p);
      open.set(key, p);
    }
  }
  return {
    answerVersion: ANSWER_VERSIONS.whoisAll,
    query: what,
    host: host.label,
    periods: periods.map(
      (p): WhoisPeriod => ({
        first: { id: p.first.id, takenAt: p.first.takenAt },
        last: { id: p.last.id, takenAt: p.last.takenAt },
        snapshots: p.snapshots,
        gaps: p.gaps,
        ...(p.uncertain !== undefined ? { uncertain: p.uncertain } : {}),
        bootId: p.last.bootId,
        netns: p.lastRow.netns,
        ifindex: p.lastRow.ifindex,
        match: { ...reader.at(p.last.row).interfaceMatch(p.lastRow), matchedBy: 'address', address: p.held },
      }),
    ),
  };
}
