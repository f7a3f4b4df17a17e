import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../ids.js';
import { assertSafeKey, bundleKey, parseBundleKey, sanitizeHostLabel } from './keys.js';

describe('key layout', () => {
  const id = '01a2256d-3adc-7728-bc94-35a8156b3654';
  it('puts host and date first, then the compact time and the snapshot id', () => {
    expect(bundleKey({ host: 'node-1', takenAt: '2026-11-29T03:12:45.123Z', snapshotId: id })).toBe(`host=node-1/date=2026-11-29/20261129T031245Z_${id}.json.gz`);
  });
  it('reads a key back into its parts', () => {
    expect(parseBundleKey(`prefix/host=node-1/date=2026-11-29/20261129T031245Z_${id}.json.gz`)).toEqual({ host: 'node-1', date: '2026-11-29', takenAt: '2026-11-29T03:12:45Z', snapshotId: id });
    expect(parseBundleKey('host=../date=2026-11-29/x.json.gz')).toBeNull();
  });
  it('sanitizes host labels so no hostname can make a path', () => {
    expect(sanitizeHostLabel('web-01.example.com')).toBe('web-01.example.com');
    expect(sanitizeHostLabel('../../etc/passwd')).toBe('etc-passwd');
    expect(sanitizeHostLabel('a/b\u001b[31m')).toBe('a-b-31m');
    expect(sanitizeHostLabel('...')).toBe('unknown-host');
    expect(sanitizeHostLabel('x'.repeat(100))).toHaveLength(63);
    expect(() => bundleKey({ host: '..', takenAt: '2026-11-29T03:12:45Z', snapshotId: id })).toThrow(/host label/);
  });
  it('refuses unsafe keys', () => {
    for (const bad of ['', '/abs', 'a/../b', 'a//b', './a', 'a\\b', 'a\0b']) expect(() => assertSafeKey(bad)).toThrow();
    expect(() => assertSafeKey('host=a/date=2026-01-01/x.json.gz')).not.toThrow();
  });
  it('makes time-sortable UUIDv7 ids', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
  });
});
