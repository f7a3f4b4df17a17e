import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBundleKey } from '@nsnap/shared';
import { MAX_DATE_PREFIXES, datePrefixes, keyMatches, pastUntil, planListing, planTopLevel } from './remote-listing-plan.js';

const DAY_MS = 86_400_000;
const ymd = (t: number) => new Date(t).toISOString().slice(0, 10);
const dateKey = (day: string) => `date=${day}/`;

describe('datePrefixes', () => {
  it('covers a range with whole years, month blocks, months, ten-day blocks and days', () => {
    expect(datePrefixes('2026-11-24', '2026-11-26')).toEqual(['date=2026-11-24/', 'date=2026-11-25/', 'date=2026-11-26/']);
    expect(datePrefixes('2026-11-01', '2026-11-30')).toEqual(['date=2026-11-']);
    expect(datePrefixes('2026-02-20', '2026-02-28')).toEqual(['date=2026-02-2']);
    expect(datePrefixes('2025-12-30', '2027-01-02')).toEqual(['date=2025-12-3', 'date=2026-', 'date=2027-01-01/', 'date=2027-01-02/']);
    expect(datePrefixes('2026-01-15', '2026-11-29')).toEqual([
      'date=2026-01-15/', 'date=2026-01-16/', 'date=2026-01-17/', 'date=2026-01-18/', 'date=2026-01-19/', 'date=2026-01-2', 'date=2026-01-3',
      'date=2026-02-', 'date=2026-03-', 'date=2026-04-', 'date=2026-05-', 'date=2026-06-', 'date=2026-07-', 'date=2026-08-', 'date=2026-09-',
      'date=2026-10-', 'date=2026-11-0', 'date=2026-11-1', 'date=2026-11-2',
    ]);
    expect(datePrefixes('2026-01-01', '2026-09-30')).toEqual(['date=2026-0']);
  });

  it('gives up (null) past the limit rather than list hundreds of prefixes', () => {
    expect(datePrefixes('1900-01-01', '2026-11-29')).toBeNull();
  });

  it('selects exactly the days of the range, each by one prefix (property)', () => {
    const base = Date.UTC(2023, 0, 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 800 }), (start, length) => {
        const from = ymd(base + start * DAY_MS);
        const to = ymd(base + (start + length) * DAY_MS);
        const prefixes = datePrefixes(from, to, 1000);
        expect(prefixes).not.toBeNull();
        // Every day from a month before to a month after: in range ⇔ exactly one prefix matches.
        for (let d = start - 40; d <= start + length + 40; d++) {
          const day = ymd(base + d * DAY_MS);
          const hits = prefixes!.filter((p) => dateKey(day).startsWith(p)).length;
          expect(hits, day).toBe(day >= from && day <= to ? 1 : 0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('stays small for any range of a few years', () => {
    const base = Date.UTC(2020, 0, 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 365 * 3 }), (start, length) => {
        const prefixes = datePrefixes(ymd(base + start * DAY_MS), ymd(base + (start + length) * DAY_MS));
        expect(prefixes).not.toBeNull();
        expect(prefixes!.length).toBeLessThanOrEqual(MAX_DATE_PREFIXES);
      }),
    );
  });
});

describe('planListing', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  it('lists everything without any filter, one host prefix without a start, date prefixes with one', () => {
    expect(planListing({ host: null, since: null, until: null }, now)).toEqual({ prefixes: [''], ordered: false, byHost: false });
    expect(planListing({ host: 'web-1', since: null, until: new Date('2026-11-01T00:00:00Z') }, now)).toEqual({ prefixes: ['host=web-1/'], ordered: true, byHost: false });
    expect(planListing({ host: 'web-1', since: new Date('2026-11-28T10:00:00Z'), until: null }, now).prefixes).toEqual([
      'host=web-1/date=2026-11-28/', 'host=web-1/date=2026-11-29/', 'host=web-1/date=2026-11-3',
    ]);
    expect(planListing({ host: 'web-1', since: new Date('1900-01-01T00:00:00Z'), until: null }, now)).toEqual({ prefixes: ['host=web-1/'], ordered: true, byHost: false });
  });

  it('without a host but with a range, finds the hosts first and plans each as if it were given', () => {
    for (const filter of [
      { host: null, since: new Date('2026-11-28T10:00:00Z'), until: null },
      { host: null, since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-12T00:00:00Z') },
      { host: null, since: null, until: new Date('2026-11-01T00:00:00Z') },
    ]) {
      expect(planListing(filter, now)).toEqual({ prefixes: [], ordered: true, byHost: true });
      expect(planTopLevel('host=web-1/', filter, now)).toEqual(planListing({ ...filter, host: 'web-1' }, now));
    }
    const filter = { host: null, since: new Date('2026-11-28T10:00:00Z'), until: null };
    expect(planTopLevel('notes/', filter, now)).toEqual({ prefixes: ['notes/'], ordered: false, byHost: false });
    expect(planTopLevel('host=../', filter, now)).toEqual({ prefixes: ['host=../'], ordered: false, byHost: false });
  });
});

describe('keyMatches and pastUntil', () => {
  const key = parseBundleKey('host=web-1/date=2026-11-29/20261129T100000Z_01a22595-cd6e-7b01-8a98-f71a254edd49.json.gz')!;
  it('compare a key\'s whole-second time with the bounds', () => {
    expect(keyMatches(key, { host: 'web-1', since: new Date('2026-11-29T10:00:00.700Z'), until: null })).toBe(true);
    expect(keyMatches(key, { host: 'web-2', since: null, until: null })).toBe(false);
    expect(keyMatches(key, { host: null, since: new Date('2026-11-29T10:00:01Z'), until: null })).toBe(false);
    expect(keyMatches(key, { host: null, since: null, until: new Date('2026-11-29T09:59:59Z') })).toBe(false);
    expect(pastUntil(key, { host: null, since: null, until: new Date('2026-11-29T09:00:00Z') })).toBe(false);
    expect(pastUntil(key, { host: null, since: null, until: new Date('2026-11-28T23:59:59Z') })).toBe(true);
  });
});
