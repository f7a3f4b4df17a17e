import type { ParsedKey } from '@nsnap/shared';

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
 * date prefixes of the range when it has a start; without one, everything
 * under the store's prefix, since finding the hosts first would need a
 * delimiter listing the store interface does not offer.
 * Without --until a range ends tomorrow (UTC), for clocks a little ahead.
 */
export function planListing(filter: KeyFilter, now: Date): ListingPlan {
  if (filter.host === null) return { prefixes: [''], ordered: false };
  const hostPrefix = `host=${filter.host}/`;
  if (filter.since === null) return { prefixes: [hostPrefix], ordered: true };
  const until = filter.until ?? new Date(now.getTime() + DAY_MS);
  if (until < filter.since) return { prefixes: [], ordered: true };
  const dates = datePrefixes(ymd(filter.since.getTime()), ymd(until.getTime()));
  return dates === null ? { prefixes: [hostPrefix], ordered: true } : { prefixes: dates.map((d) => hostPrefix + d), ordered: true };
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
