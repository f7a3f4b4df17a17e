import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BundleSchema } from './bundle.js';
import { BundleError, decodeBundle, validateBundle } from './decode.js';

const raw = readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/bundles/host-only.json'), 'utf8');
const doc = () => JSON.parse(raw) as Record<string, any>;

describe('bundle schema', () => {
  it('round-trips a real collector bundle unchanged', () => {
    const bundle = validateBundle(doc());
    expect(JSON.parse(JSON.stringify(bundle))).toEqual(doc());
    expect(decodeBundle(gzipSync(raw))).toEqual(bundle);
    expect(decodeBundle(Buffer.from(raw))).toEqual(bundle);
  });

  it('names the field and the reason when a bundle is not valid', () => {
    const d = doc();
    d.processes[0].pid = -4;
    expect(() => validateBundle(d)).toThrow(/processes\.0\.pid: .*(>|greater|positive)/i);
    const e = doc();
    delete e.host.bootId;
    expect(() => validateBundle(e)).toThrow(/host\.bootId/);
    const f = doc();
    f.namespaces[0].captures[0].argv = [];
    expect(() => validateBundle(f)).toThrow(/namespaces\.0\.captures\.0\.argv/);
  });

  it('refuses other schema versions with a message that says so', () => {
    const d = doc();
    d.schemaVersion = 2;
    expect(() => validateBundle(d)).toThrow('schemaVersion: expected 1, got 2');
    try {
      validateBundle(d);
    } catch (error) {
      expect((error as BundleError).kind).toBe('version');
    }
  });

  it('ignores fields a newer writer added (readers check the version, not every field)', () => {
    const d = doc();
    d.futureField = { x: 1 };
    expect('futureField' in BundleSchema.parse(d)).toBe(false);
  });

  it('reads holders and entered.holder where present, and bundles without them', () => {
    const d = doc();
    expect(validateBundle(d).holders).toBeUndefined();
    d.holders = [{ kind: 'fd', path: '/proc/42/fd/3', pid: 42, inode: 4026532999 }];
    d.namespaces[0].entered = { via: 'pid', path: '/proc/42/fd/3', pid: 42, holder: 'fd' };
    const bundle = validateBundle(d);
    expect(bundle.holders).toEqual(d.holders);
    expect(bundle.namespaces[0]!.entered?.holder).toBe('fd');
    d.holders[0].kind = 'socket';
    expect(() => validateBundle(d)).toThrow(/holders\.0\.kind/);
  });

  it('bounds sizes: an oversized capture is rejected', () => {
    const d = doc();
    d.namespaces[0].captures[0].stderr = 'x'.repeat(32 * 1024 * 1024 + 1);
    expect(() => validateBundle(d)).toThrow(/namespaces\.0\.captures\.0\.stderr/);
  });

  it('reports truncated gzip and non-JSON input as such', () => {
    const gz = gzipSync(raw);
    expect(() => decodeBundle(gz.subarray(0, gz.length - 40))).toThrow(BundleError);
    expect(() => decodeBundle(gz.subarray(0, gz.length - 40))).toThrow(/gzip|not JSON/);
    expect(() => decodeBundle(Buffer.from('hello'))).toThrow(/not JSON/);
  });
});
