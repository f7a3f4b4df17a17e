import { describe, expect, it } from 'vitest';
import { parseTimeBound } from './remote-time.js';

const now = new Date('2026-11-29T12:00:00Z');

describe('parseTimeBound', () => {
  it('reads a day as its first or last millisecond, a zoned time as given, an age back from now', () => {
    expect(parseTimeBound('2026-11-29', 'since', now)?.toISOString()).toBe('2026-11-29T00:00:00.000Z');
    expect(parseTimeBound('2026-11-29', 'until', now)?.toISOString()).toBe('2026-11-29T23:59:59.999Z');
    expect(parseTimeBound('2026-11-29T10:00:00+02:00', 'since', now)?.toISOString()).toBe('2026-11-29T08:00:00.000Z');
    expect(parseTimeBound('36h', 'since', now)?.toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(parseTimeBound('7d', 'since', now)?.toISOString()).toBe('2026-11-22T12:00:00.000Z');
    expect(parseTimeBound('90m', 'until', now)?.toISOString()).toBe('2026-11-29T10:30:00.000Z');
  });

  it('refuses a local time without a zone, an impossible day and other text', () => {
    for (const text of ['2026-11-29T10:00:00', '2026-02-30', 'yesterday', '', '7w', '2026-11-29 10:00Z']) expect(parseTimeBound(text, 'since', now), text).toBeNull();
  });
});
