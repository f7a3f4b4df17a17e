import type { Database } from 'better-sqlite3';
import { readTime, TIME_GRAMMAR, type TimeBound } from '../time/parse-time.js';
import { UsageError, quote } from '../errors.js';

/** One snapshot, as every query names it. */
export interface SnapshotRef {
  /** Row id in `snapshots`: what the other tables reference. */
  row: number;
  id: string;
  host: string;
  takenAt: string;
  bootId: string | null;
  /** For `@TIME`: the time asked for (ISO-8601 UTC); the snapshot is the one in force then. */
  asOf?: string;
}

export interface Selection {
  /** A selector (see `SELECTOR_HELP`); `latest` by default. */
  snapshot: string;
  host: string | null;
}

/** A selection that names no snapshot, or more than one. */
export class SelectionError extends UsageError {
  override name = 'SelectionError';
}

export const SELECTOR_HELP = `SEL (a snapshot selector):
  latest                  the newest snapshot
  latest~N                N snapshots before the newest (latest~1 is the one before it)
  @TIME                   the last snapshot taken at or before TIME (ISO-8601, e.g. @2026-11-29T03:12Z;
                          no zone means UTC); the answer says how old it was then
  tag:KEY=VALUE           the newest snapshot carrying that tag (nsnap-collect --tag KEY=VALUE)
  ID                      a snapshot id, or a unique prefix of one (at least 4 characters)
  --host H restricts every selector to one host; it is needed when several hosts match.`;

/** A selector, parsed. */
export type Selector =
  | { kind: 'latest'; back: number }
  | { kind: 'at'; time: string }
  | { kind: 'tag'; key: string; value: string }
  | { kind: 'id'; prefix: string };

/** How many snapshots an ambiguous id prefix lists in its error. */
const PREFIX_MATCHES_SHOWN = 10;

const COLUMNS = 's.id AS row, s.snapshot_id AS id, h.label AS host, s.taken_at AS takenAt, s.boot_id AS bootId';
const NEWEST_FIRST = 'ORDER BY s.taken_at DESC, s.id DESC';

/** SQL of the selections, exported so tests can check their query plans. */
export const SELECT_SQL = {
  latestOfHost: `SELECT ${COLUMNS} FROM snapshots s JOIN hosts h ON h.id = s.host WHERE s.host = ? ${NEWEST_FIRST} LIMIT 1`,
  nthOfHostAtOrBefore: `SELECT ${COLUMNS} FROM snapshots s JOIN hosts h ON h.id = s.host WHERE s.host = @host AND s.taken_at <= @time ${NEWEST_FIRST} LIMIT 1 OFFSET @back`,
  hostsAtOrBefore: 'SELECT h.id, h.label FROM hosts h WHERE EXISTS (SELECT 1 FROM snapshots s WHERE s.host = h.id AND s.taken_at <= ?) ORDER BY h.label',
  hostsWithTag: 'SELECT DISTINCT h.id, h.label FROM snapshot_tags t JOIN snapshots s ON s.id = t.snapshot JOIN hosts h ON h.id = s.host WHERE t.key = ? AND t.value = ? ORDER BY h.label',
  latestWithTag: `SELECT ${COLUMNS} FROM snapshot_tags t JOIN snapshots s ON s.id = t.snapshot JOIN hosts h ON h.id = s.host WHERE t.key = @key AND t.value = @value AND s.host = @host ${NEWEST_FIRST} LIMIT 1`,
  /** A forgotten snapshot of the host taken after the one selected and at or before the time asked for. */
  forgottenBetween: 'SELECT snapshot_id AS id, taken_at AS takenAt FROM forgotten WHERE host = @host AND taken_at > @after AND taken_at <= @time ORDER BY taken_at DESC LIMIT 1',
  /** Forgotten snapshots of a host taken strictly between two times: what an answer over that range lacks. */
  forgottenWithin: 'SELECT count(*) AS snapshots, min(taken_at) AS "from", max(taken_at) AS "to" FROM forgotten WHERE host = @host AND taken_at > @after AND taken_at < @before',
  byIdPrefix: `SELECT ${COLUMNS} FROM snapshots s JOIN hosts h ON h.id = s.host WHERE s.snapshot_id >= @lo AND s.snapshot_id < @hi AND (@host IS NULL OR s.host = @host) ORDER BY s.snapshot_id LIMIT ${PREFIX_MATCHES_SHOWN + 1}`,
} as const;

const ID_PREFIX = /^[0-9a-f][0-9a-f-]{3,35}$/;
const TAG = /^tag:([A-Za-z0-9_.:/-]{1,64})=(.{0,256})$/s;
const LATEST = /^latest(?:~(\d{1,7}))?$/;
/** Sorts after every stored time: "no upper bound". */
const END_OF_TIME = '9999-12-31T23:59:59.999Z';

export function parseSelector(text: string): Selector {
  const raw = text.trim();
  const latest = LATEST.exec(raw.toLowerCase());
  if (latest) return { kind: 'latest', back: Number(latest[1] ?? 0) };
  if (raw.startsWith('@')) return { kind: 'at', time: parseTime(raw.slice(1), `selector ${quote(text)}`) };
  const tag = TAG.exec(raw);
  if (tag) return { kind: 'tag', key: tag[1] as string, value: tag[2] as string };
  if (raw.startsWith('tag:')) throw new SelectionError(`selector ${quote(text)}: expected tag:KEY=VALUE, KEY of letters, digits and _.:/- (at most 64)`);
  const prefix = raw.toLowerCase();
  if (ID_PREFIX.test(prefix)) return { kind: 'id', prefix };
  throw new SelectionError(
    `selector ${quote(text)}: expected "latest", a snapshot id or a prefix of one (at least 4 characters, e.g. 01a22582), latest~N, @TIME or tag:KEY=VALUE`,
  );
}

/**
 * A time of the one grammar (`time/parse-time.ts`) as ISO UTC text with
 * milliseconds — the form times are stored in, so it compares as text.
 */
export function parseTime(text: string, what: string, now: () => Date = () => new Date(), bound: TimeBound = 'at'): string {
  const t = readTime(text, bound, now());
  if (t === null) throw new SelectionError(`${what}: ${quote(text)} is not a time: expected ${TIME_GRAMMAR}`);
  return t.toISOString();
}

/**
 * Resolves `SEL [--host H]` to one snapshot. The only place that knows the
 * selector syntax (`SELECTOR_HELP`). A selector that several hosts answer is
 * refused unless --host names one; one that nothing answers says why.
 */
export function selectSnapshot(db: Database, selection: Selection): SnapshotRef {
  const hostId = selection.host !== null ? hostRow(db, selection.host) : null;
  const sel = parseSelector(selection.snapshot);
  const onHost = selection.host !== null ? ` of host ${quote(selection.host)}` : '';
  switch (sel.kind) {
    case 'latest':
    case 'at': {
      const time = sel.kind === 'at' ? sel.time : END_OF_TIME;
      const back = sel.kind === 'latest' ? sel.back : 0;
      const what = sel.kind === 'at' ? `"@${sel.time}"` : `"${selection.snapshot.trim()}"`;
      const host = hostId ?? onlyHost(db, db.prepare(SELECT_SQL.hostsAtOrBefore).all(time) as HostRow[], what, sel.kind === 'at' ? `no snapshot was taken at or before ${sel.time}` : null);
      const found = (sel.kind === 'latest' && back === 0 ? db.prepare(SELECT_SQL.latestOfHost).get(host) : db.prepare(SELECT_SQL.nthOfHostAtOrBefore).get({ host, time, back })) as SnapshotRef | undefined;
      if (sel.kind === 'at') refuseForgotten(db, found?.host ?? db.prepare('SELECT label FROM hosts WHERE id = ?').pluck().get(host), found?.takenAt ?? '', sel.time);
      if (found) return sel.kind === 'at' ? { ...found, asOf: sel.time } : found;
      if (sel.kind === 'at') throw new SelectionError(`no snapshot${onHost} was taken at or before ${sel.time} (\`nsnap snapshots\` lists them)`);
      if (back === 0) throw new SelectionError(`host ${quote(selection.host ?? '')} has no snapshots`);
      const count = db.prepare('SELECT count(*) FROM snapshots WHERE host = ?').pluck().get(host) as number;
      throw new SelectionError(`${what}: the host has only ${count} snapshot${count === 1 ? '' : 's'} (latest~${count - 1} is the oldest)`);
    }
    case 'tag': {
      const what = quote(`tag:${sel.key}=${sel.value}`);
      const host = hostId ?? onlyHost(db, db.prepare(SELECT_SQL.hostsWithTag).all(sel.key, sel.value) as HostRow[], what, `no snapshot carries tag ${quote(`${sel.key}=${sel.value}`)}`);
      const found = db.prepare(SELECT_SQL.latestWithTag).get({ key: sel.key, value: sel.value, host }) as SnapshotRef | undefined;
      if (!found) throw new SelectionError(`no snapshot${onHost} carries tag ${quote(`${sel.key}=${sel.value}`)} (\`nsnap snapshots --json\` shows the tags)`);
      return found;
    }
    case 'id': {
      // The range [sel, sel + 1 past the last character) holds exactly the ids starting with sel.
      const upper = sel.prefix.slice(0, -1) + String.fromCharCode(sel.prefix.charCodeAt(sel.prefix.length - 1) + 1);
      const matches = db.prepare(SELECT_SQL.byIdPrefix).all({ lo: sel.prefix, hi: upper, host: hostId }) as SnapshotRef[];
      if (matches.length === 0) throw new SelectionError(`no snapshot ${quote(selection.snapshot)}${onHost} (\`nsnap snapshots\` lists them)`);
      if (matches.length > 1) {
        const shown = matches.slice(0, PREFIX_MATCHES_SHOWN).map((m) => `  ${m.id}  ${quote(m.host)}  ${m.takenAt}`);
        const more = matches.length > PREFIX_MATCHES_SHOWN ? `\n  … and more` : '';
        throw new SelectionError(`${quote(selection.snapshot)} matches several snapshots; give more characters of the id:\n${shown.join('\n')}${more}`);
      }
      return matches[0] as SnapshotRef;
    }
  }
}

/**
 * The state at `time` is that of the snapshot taken last before it: when that one was forgotten (`nsnap
 * forget`, `prune`), the state then is gone, and an older snapshot would answer for a time it did not see.
 */
function refuseForgotten(db: Database, host: unknown, after: string, time: string): void {
  const gone = db.prepare(SELECT_SQL.forgottenBetween).get({ host, after, time }) as { id: string; takenAt: string } | undefined;
  if (gone) {
    throw new SelectionError(
      `the state at ${time} is gone: snapshot ${gone.id} of host ${quote(String(host))}, taken at ${gone.takenAt}, was forgotten (pruned)${after !== '' ? `; the latest one kept before that time was taken at ${after}` : ''}`,
    );
  }
}

/** Snapshots forgotten between two of a host: an answer over that range says what it lacks. */
export interface ForgottenRange {
  snapshots: number;
  from: string;
  to: string;
}

/** The forgotten snapshots of `host` (label) taken strictly between `after` and `before`, or null if none. */
export function forgottenWithin(db: Database, host: string, after: string, before: string): ForgottenRange | null {
  const r = db.prepare(SELECT_SQL.forgottenWithin).get({ host, after, before }) as ForgottenRange;
  return r.snapshots > 0 ? r : null;
}

interface HostRow {
  id: number;
  label: string;
}

/** The one host a selector can mean without --host; otherwise an error naming the hosts. */
function onlyHost(db: Database, hosts: HostRow[], what: string, noneReason: string | null): number {
  if (hosts.length === 1) return (hosts[0] as HostRow).id;
  if (hosts.length === 0) {
    const any = db.prepare('SELECT 1 FROM snapshots LIMIT 1').get();
    if (!any) throw new SelectionError('the database holds no snapshots yet: run `nsnap ingest DIR` first');
    throw new SelectionError(`${what}: ${noneReason ?? 'no snapshot matches'}`);
  }
  const shown = hosts.slice(0, 10).map((h) => quote(h.label, 60).slice(1, -1)).join(', ');
  throw new SelectionError(`${what} is ambiguous: the database holds snapshots of ${hosts.length} hosts (${shown}${hosts.length > 10 ? ', …' : ''}); choose one with --host`);
}

function hostRow(db: Database, label: string): number {
  const id = db.prepare('SELECT id FROM hosts WHERE label = ?').pluck().get(label) as number | undefined;
  if (id !== undefined) return id;
  const known = db.prepare('SELECT label FROM hosts ORDER BY label LIMIT 11').pluck().all() as string[];
  const list = known.length === 0 ? 'the database holds no hosts yet' : `known hosts: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}`;
  throw new SelectionError(`no host ${quote(label)} in the database (${list})`);
}

/** The snapshots of one host between two times (inclusive), oldest first. */
export const RANGE_SQL = `SELECT ${COLUMNS} FROM snapshots s JOIN hosts h ON h.id = s.host
  WHERE s.host = @host AND s.taken_at >= @since AND s.taken_at <= @until ORDER BY s.taken_at, s.id`;

/** The one host of `--host`, or of the database when it holds a single one. */
export function resolveHost(db: Database, host: string | null, what: string): { id: number; label: string } {
  if (host !== null) return { id: hostRow(db, host), label: host };
  const hosts = db.prepare(SELECT_SQL.hostsAtOrBefore).all(END_OF_TIME) as HostRow[];
  const id = onlyHost(db, hosts, what, null);
  return hosts.find((h) => h.id === id) as HostRow;
}
