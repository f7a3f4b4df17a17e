import { describe, expect, it } from 'vitest';
import { readTime, type TimeBound } from './parse-time.js';

const now = new Date('2026-11-29T12:00:00Z');

/** [text, bound, instant or null]: the whole grammar, one row per rule, the same for every option that takes a time. */
const TABLE: [string, TimeBound, string | null][] = [
  ['now', 'at', '2026-11-29T12:00:00.000Z'],
  [' NOW ', 'until', '2026-11-29T12:00:00.000Z'],
  ['45s', 'since', '2026-11-29T11:59:15.000Z'],
  ['90m', 'until', '2026-11-29T10:30:00.000Z'],
  ['36h', 'since', '2026-11-28T00:00:00.000Z'],
  ['36h', 'at', '2026-11-28T00:00:00.000Z'],
  ['7d', 'since', '2026-11-22T12:00:00.000Z'],
  ['2w', 'since', '2026-11-15T12:00:00.000Z'],
  // A bare day is a UTC day: its first millisecond as a lower bound or a point, its last as an upper bound.
  ['2026-11-29', 'since', '2026-11-29T00:00:00.000Z'],
  ['2026-11-29', 'at', '2026-11-29T00:00:00.000Z'],
  ['2026-11-29', 'until', '2026-11-29T23:59:59.999Z'],
  // Without a zone a time is UTC, whatever the laptop's zone; a time with hours is a point, whatever the bound.
  ['2026-11-29T03:12', 'at', '2026-11-29T03:12:00.000Z'],
  ['2026-11-29T03:12', 'until', '2026-11-29T03:12:00.000Z'],
  ['2026-11-29 03:12', 'since', '2026-11-29T03:12:00.000Z'],
  ['2026-11-29T03:12:05.250', 'at', '2026-11-29T03:12:05.250Z'],
  ['2026-11-29T03:12Z', 'at', '2026-11-29T03:12:00.000Z'],
  ['2026-11-29t03:12z', 'at', '2026-11-29T03:12:00.000Z'],
  ['2026-11-29T10:00:00+02:00', 'since', '2026-11-29T08:00:00.000Z'],
  ['2026-11-29T03:12:05.25-0130', 'at', '2026-11-29T04:42:05.250Z'],
  ['2026-11-29T00:30+01:00', 'until', '2026-11-28T23:30:00.000Z'],
  ['2024-02-29', 'at', '2024-02-29T00:00:00.000Z'],
  // Not times.
  ['2026-02-30', 'at', null],
  ['2025-02-29', 'since', null],
  ['2026-13-01', 'since', null],
  ['2026-11-29T24:00', 'at', null],
  ['2026-11-29T10:60Z', 'at', null],
  ['2026-11-29T10:00+25:00', 'at', null],
  ['2026-11-29T10', 'at', null],
  ['yesterday', 'since', null],
  ['', 'since', null],
  ['7y', 'since', null],
  ['-3h', 'since', null],
  ['1234567h', 'since', null],
  ['1700000000', 'at', null],
  ['2026-11-29T03:12Z\u001b[31m', 'at', null],
  [`${'9'.repeat(100)}d`, 'since', null],
];

describe('readTime: the one time grammar', () => {
  it.each(TABLE)('%j as %s → %s', (text, bound, expected) => {
    expect(readTime(text, bound, now)?.toISOString() ?? null).toBe(expected);
  });

  it('does not depend on the zone of the machine it runs on', () => {
    const saved = process.env.TZ;
    // Node reads TZ when dates are formatted, not only at start-up.
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      for (const [text, bound, expected] of TABLE) expect(readTime(text, bound, now)?.toISOString() ?? null, text).toBe(expected);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
