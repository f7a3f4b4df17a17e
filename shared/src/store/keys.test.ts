import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../ids.js';
import { BundleSchema } from '../schema/bundle.js';
import { assertSafeKey, bundleKey, isHostLabel, parseBundleKey, sanitizeHostLabel } from './keys.js';

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
    expect(sanitizeHostLabel('../../etc/passwd')).toMatch(/^etc-passwd-[0-9a-f]{8}$/);
    expect(sanitizeHostLabel('a/b\u001b[31m')).toMatch(/^a-b-31m-[0-9a-f]{8}$/);
    expect(sanitizeHostLabel('...')).toMatch(/^host-[0-9a-f]{8}$/);
    expect(sanitizeHostLabel('x'.repeat(100))).toHaveLength(63);
    expect(() => bundleKey({ host: '..', takenAt: '2026-11-29T03:12:45Z', snapshotId: id })).toThrow(/host label/);
  });
  it('every sanitized hostname is a label the key and the schema take (web..1 made every run exit 70)', () => {
    const odd = ['web..1', 'a...b', '.hidden', 'x'.repeat(64), 'a b', 'сервер-1', '\u00ff', '-', 'host=1/2', 'é'.repeat(64)];
    for (const name of odd) {
      const label = sanitizeHostLabel(name);
      expect(isHostLabel(label), label).toBe(true);
      expect(BundleSchema.shape.host.shape.label.safeParse(label).success, label).toBe(true);
      expect(() => bundleKey({ host: label, takenAt: '2026-11-29T03:12:45Z', snapshotId: id })).not.toThrow();
    }
    expect(sanitizeHostLabel('web..1')).toMatch(/^web\.1-[0-9a-f]{8}$/);
    expect(BundleSchema.shape.host.shape.label.safeParse('web..1').success).toBe(false);
  });
  it('keeps non-ASCII hostnames apart instead of collapsing them to one label', () => {
    const names = ['сервер', 'сервер-1', 'сервер-2', 'наш-сервер', '主机', 'ホスト', 'müller', 'mùller'];
    const labels = names.map(sanitizeHostLabel);
    expect(new Set(labels).size).toBe(names.length);
    expect(sanitizeHostLabel('сервер-1')).toBe(sanitizeHostLabel('сервер-1'));
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
