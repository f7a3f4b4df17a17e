const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const RELATIVE = /^(\d{1,6})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// A full time needs a zone: a bare local time would mean different instants on different laptops.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads a --since/--until value: a UTC day (`2026-11-29`: its first
 * millisecond for --since, its last for --until), a time with a zone
 * (`2026-11-29T10:00:00Z`, `…+02:00`), or an age before `now` (`90m`, `36h`, `7d`).
 * Returns null for anything else.
 */
export function parseTimeBound(text: string, bound: 'since' | 'until', now: Date): Date | null {
  const day = DAY.exec(text);
  if (day) {
    const start = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    const d = new Date(start);
    if (d.toISOString().slice(0, 10) !== text) return null;
    return bound === 'since' ? d : new Date(start + UNIT_MS.d - 1);
  }
  const rel = RELATIVE.exec(text);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS]);
  if (!INSTANT.test(text)) return null;
  const t = new Date(text);
  return Number.isNaN(t.getTime()) ? null : t;
}
