/**
 * The one time grammar of the analyzer: `ingest --since/--until`,
 * `history --since/--until`, `whois --at` and the `@TIME` selector
 * (docs/time.md#times). A time is
 * - `now`;
 * - an age before now: a number and a unit, `45s`, `90m`, `36h`, `7d`, `2w`;
 * - an ISO-8601 time, `2026-11-29T03:12`, `2026-11-29 03:12:05.250`, with a zone
 *   (`Z`, `+02:00`, `-0130`) or without one, and then it is UTC, like every
 *   time nsnap stores (never the laptop's zone: one command, one meaning on
 *   every machine);
 * - a bare day, `2026-11-29`, a UTC day: as a lower bound (`since`) or a point
 *   (`at`) its first millisecond, as an upper bound (`until`) its last.
 */
export type TimeBound = 'since' | 'until' | 'at';

export const TIME_GRAMMAR =
  'a time such as 2026-11-29T03:12Z or 2026-11-29T05:12+02:00 (UTC when no zone is given), a UTC day (2026-11-29), "now", or an age (45s, 90m, 36h, 7d, 2w)';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const AGE = /^(\d{1,6})([smhdw])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DAY_MS = UNIT_MS.d;

/** The instant `text` means as `bound`, or null when it is not a time of the grammar. */
export function readTime(text: string, bound: TimeBound, now: Date): Date | null {
  const t = text.trim();
  if (t.length > 64) return null;
  if (t.toLowerCase() === 'now') return new Date(now.getTime());
  const age = AGE.exec(t);
  if (age) return new Date(now.getTime() - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS]);
  const m = ISO.exec(t);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const hour = h ?? '00';
  const minute = mi ?? '00';
  const ms = frac === '' ? 0 : Number(frac.slice(1, 4).padEnd(3, '0'));
  // Date.UTC rolls day 30 of February over into March: the fields must come back unchanged.
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hour), Number(minute), Number(s), ms);
  const check = new Date(utc);
  const valid =
    check.getUTCFullYear() === Number(y) && check.getUTCMonth() === Number(mo) - 1 && check.getUTCDate() === Number(d) &&
    check.getUTCHours() === Number(hour) && check.getUTCMinutes() === Number(minute) && check.getUTCSeconds() === Number(s);
  if (!valid) return null;
  const offset = zoneOffsetMs(zone);
  if (offset === null) return null;
  const instant = utc - offset;
  // A bare day is the whole day: an upper bound means its last millisecond.
  if (h === undefined && bound === 'until') return new Date(instant + DAY_MS - 1);
  return new Date(instant);
}

function zoneOffsetMs(zone: string): number | null {
  if (zone.toUpperCase() === 'Z') return 0;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!z) return null;
  const hours = Number(z[2]);
  const minutes = Number(z[3]);
  if (hours > 23 || minutes > 59) return null;
  return (z[1] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}
