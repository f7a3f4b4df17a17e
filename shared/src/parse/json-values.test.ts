import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpBatchJson } from './ip-batch-json.js';
import { parseLenientJson, splitJsonValues } from './json-values.js';

/** What iproute2 6.1 prints for a string: `"` and `\` escaped, control characters raw. */
const ipString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
const everyControl = Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)).join('') + '\x7f';
const hostile = [everyControl, '\x1b]0;pwned\x07', '\x1b[2J\x1b[31mred', 'a\nb\rc', '[{"x":1}]', '\\', '"', 'ok'];

describe('lenient ip -j decoding', () => {
  it('reads raw control characters inside strings as the characters they are', () => {
    for (const alias of hostile) {
      const out = `[{"ifindex":3,"ifname":"v0","ifalias":${ipString(alias)}}]\n[{"ifindex":3,"ifname":"v0","ifalias":${ipString(alias)},"addr_info":[]}]\n`;
      const r = parseIpBatchJson(out);
      if (r.status !== 'parsed') throw new Error(`${JSON.stringify(alias)}: ${r.status}`);
      expect(r.issues).toEqual([]);
      expect(r.value.links.map((l) => [l.ifname, l.alias])).toEqual([['v0', alias]]);
    }
  });

  it('parses valid JSON exactly as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.jsonValue(), { maxLength: 4 }), { minLength: 1, maxLength: 5 }), fc.boolean(), (arrays, oneLine) => {
        const text = arrays.map((a) => JSON.stringify(a, null, oneLine ? undefined : 1)).join('\n');
        expect(splitJsonValues(text)).toEqual({ values: arrays.map((a) => JSON.parse(JSON.stringify(a))), issues: [] });
        for (const a of arrays) expect(parseLenientJson(JSON.stringify(a))).toEqual(JSON.parse(JSON.stringify(a)));
      }),
    );
  });

  it('reads iproute2-style output of any strings, raw controls and UTF-8b included, back to those strings', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), fc.constantFrom('\udcff', '\udc80', 'é', '\u2066')) }), { minLength: 1, maxLength: 6 }), (names) => {
        const text = `[${names.map((n) => `{"s":${ipString(n)}}`).join(',')}]\n`;
        expect(splitJsonValues(text)).toEqual({ values: [names.map((s) => ({ s }))], issues: [] });
      }),
    );
  });

  it('reads each array of a batch whatever raw bytes its neighbours hold (a hostile line does not spoil the others)', () => {
    const str = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), fc.constantFrom('\n', '\udcff', 'é')) });
    fc.assert(
      fc.property(fc.array(fc.array(str, { maxLength: 3 }), { minLength: 1, maxLength: 5 }), (arrays) => {
        const text = arrays.map((a) => `[${a.map((n) => `{"s":${ipString(n)}}`).join(',')}]`).join('\n') + '\n';
        expect(splitJsonValues(text)).toEqual({ values: arrays.map((a) => a.map((s) => ({ s }))), issues: [] });
      }),
    );
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        splitJsonValues(text);
        parseIpBatchJson(text);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom('[', ']', '{', '}', '"', '\\', '\n', 'x', ':', ',', '1', '\x01'), { maxLength: 200 }), (chars) => {
        splitJsonValues(chars.join(''));
        parseIpBatchJson(chars.join(''));
      }),
    );
  });

  it('still refuses text that is not JSON, with the line where it is', () => {
    const r = splitJsonValues('[1]\njunk here\n[2]\n{"a":}\n');
    expect(r.values).toEqual([[1], [2]]);
    expect(r.issues.map((i) => i.line)).toEqual([2, 4]);
    expect(r.issues[0]!.message).toMatch(/not JSON: junk here/);
    expect(r.issues[1]!.message).toMatch(/invalid JSON/);
  });
});
