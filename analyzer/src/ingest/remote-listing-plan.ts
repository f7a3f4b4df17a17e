import { isHostLabel, type ParsedKey } from '@nsnap/shared';

/** Which keys of a store an ingest wants. Null fields do not filter. */
export interface KeyFilter {
  host: string | null;
  since: Date | null;
  until: Date | null;
}

export interface ListingPlan {
  /** Key prefixes to list, relative to the store's own prefix ('' is everything). */
  prefixes: string[];
  /**
   * True when each prefix holds one host's keys, which the layout orders by
   * date: the listing of a prefix can stop at the first key after `until`.
   */
  ordered: boolean;
  /**
   * True when the hosts must be found first: list the top level by delimiter,
   * and plan each prefix found there with `planTopLevel`.
   */
  byHost: boolean;
}

/** More day-level prefixes than this and one host prefix, listed until `until`, is fewer requests. */
export const MAX_DATE_PREFIXES = 64;
const DAY_MS = 86_400_000;

const ymd = (t: number) => new Date(t).toISOString().slice(0, 10);
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/**
 * The fewest `date=` prefixes that cover the UTC days `from`..`to` (YYYY-MM-DD,
 * inclusive) exactly: whole years (`date=2026-`), months 01–09 or 10–12
 * (`date=2026-0`), months (`date=2026-11-`), days 01–09, 10–19, 20–29 or 30–31
 * (`date=2026-11-2`), else single days (`date=2026-11-29/`). A year is a
 * couple of dozen prefixes instead of 365. Null when more than `max` are needed.
 */
export function datePrefixes(from: string, to: string, max = MAX_DATE_PREFIXES): string[] | null {
  const out: string[] = [];
  let t = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  while (t <= end) {
    if (out.length === max) return null;
    const d = new Date(t);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    const mm = String(m).padStart(2, '0');
    const blocks: Array<[prefix: string, last: string]> = [];
    if (m === 1 && day === 1) blocks.push([`date=${y}-`, `${y}-12-31`]);
    if ((m === 1 || m === 10) && day === 1) blocks.push([`date=${y}-${mm[0]}`, m === 1 ? `${y}-09-30` : `${y}-12-31`]);
    if (day === 1) blocks.push([`date=${y}-${mm}-`, `${y}-${mm}-${daysInMonth(y, m)}`]);
    if (day === 1 || day % 10 === 0) {
      const tens = Math.floor(day / 10);
      const lastDay = tens === 3 ? daysInMonth(y, m) : Math.min(tens * 10 + 9, daysInMonth(y, m));
      blocks.push([`date=${y}-${mm}-${tens}`, `${y}-${mm}-${String(lastDay).padStart(2, '0')}`]);
    }
    const block = blocks.find(([, last]) => Date.parse(`${last}T00:00:00Z`) <= end);
    if (block) {
      out.push(block[0]);
      t = Date.parse(`${block[1]}T00:00:00Z`) + DAY_MS;
    } else {
      out.push(`date=${ymd(t)}/`);
      t += DAY_MS;
    }
  }
  return out;
}

/**
 * What to list for a filter. With a host, only `host=H/`, narrowed to the
 * date prefixes of the range when it has a start. Without one, but with a
 * range, the hosts are found by a delimiter listing and each gets the same
 * plan; with no filter at all one listing of everything is the fewest requests.
 * Without --until a range ends tomorrow (UTC), for clocks a little ahead.
 */
export function planListing(filter: KeyFilter, now: Date): ListingPlan {
  if (filter.host !== null) return { prefixes: hostPlan(filter.host, filter, now), ordered: true, byHost: false };
  if (filter.since === null && filter.until === null) return { prefixes: [''], ordered: false, byHost: false };
  return { prefixes: [], ordered: true, byHost: true };
}

/**
 * What to list under one prefix a delimiter listing of the top level found:
 * the host's plan for `host=H/`, else all of it, so that keys outside the
 * layout are still reported.
 */
export function planTopLevel(prefix: string, filter: KeyFilter, now: Date): ListingPlan {
  const host = /^host=([^/]+)\/$/.exec(prefix)?.[1];
  if (host === undefined || !isHostLabel(host)) return { prefixes: [prefix], ordered: false, byHost: false };
  return { prefixes: hostPlan(host, filter, now), ordered: true, byHost: false };
}

function hostPlan(host: string, filter: KeyFilter, now: Date): string[] {
  const hostPrefix = `host=${host}/`;
  if (filter.since === null) return [hostPrefix];
  const until = filter.until ?? new Date(now.getTime() + DAY_MS);
  if (until < filter.since) return [];
  const dates = datePrefixes(ymd(filter.since.getTime()), ymd(until.getTime()));
  return dates === null ? [hostPrefix] : dates.map((d) => hostPrefix + d);
}

/** Whether a key's host and time are inside the filter; the key's time has whole seconds, so `since` is taken to its second. */
export function keyMatches(key: ParsedKey, filter: KeyFilter): boolean {
  if (filter.host !== null && key.host !== filter.host) return false;
  const t = Date.parse(key.takenAt);
  if (filter.since !== null && t < Math.floor(filter.since.getTime() / 1000) * 1000) return false;
  if (filter.until !== null && t > filter.until.getTime()) return false;
  return true;
}

/** True once an ordered listing is past `until`: every later key of that host is too. */
export function pastUntil(key: ParsedKey, filter: KeyFilter): boolean {
  return filter.until !== null && Date.parse(`${key.date}T00:00:00Z`) > filter.until.getTime();
}
