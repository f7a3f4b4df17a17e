import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8b, encodeUtf8b, fromDbText, hasInvalidBytes, toDbText } from './bytes.js';
import { escapeControl } from './text.js';

// Names as the kernel may hold them: any bytes, biased towards the ones that are not UTF-8.
const anyBytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const nameBytes = fc.array(fc.oneof(fc.constantFrom(0xff, 0xfe, 0xc3, 0x80, 0xed, 0xa0, 0x5c, 0x1b, 0x07), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }).map((a) => Buffer.from(a));

describe('UTF-8b', () => {
  it('decodes valid UTF-8 as Node does, and says it was exact', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const bytes = Buffer.from(s, 'utf8');
        expect(decodeUtf8b(bytes)).toEqual({ text: bytes.toString('utf8'), exact: true });
      }),
    );
  });

  it('round-trips any bytes exactly', () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes, nameBytes), (bytes) => {
        const { text, exact } = decodeUtf8b(bytes);
        expect(encodeUtf8b(text).equals(bytes)).toBe(true);
        expect(exact).toBe(!hasInvalidBytes(text));
      }),
    );
  });

  it('keeps names that differ only in bytes that are not UTF-8 apart (no U+FFFD collision)', () => {
    const a = decodeUtf8b(Buffer.of(0x6e, 0xff, 0x31)).text;
    const b = decodeUtf8b(Buffer.of(0x6e, 0xfe, 0x31)).text;
    expect(a).toBe('n\udcff1');
    expect(a).not.toBe(b);
    // Overlong forms and encoded surrogates are not UTF-8 either (RFC 3629).
    expect(decodeUtf8b(Buffer.of(0xc0, 0xaf)).text).toBe('\udcc0\udcaf');
    expect(decodeUtf8b(Buffer.of(0xed, 0xa0, 0x80)).text).toBe('\udced\udca0\udc80');
    expect(JSON.stringify(a)).toBe('"n\\udcff1"');
  });

  it('database text form: names without a backslash or such a byte unchanged; reversible; injective', () => {
    expect(toDbText('veth4a67fcf')).toBe('veth4a67fcf');
    expect(toDbText('n\udcff1')).toBe('n\\xff1');
    expect(toDbText('n\\xff1')).toBe('n\\\\xff1');
    fc.assert(
      fc.property(fc.oneof(anyBytes, nameBytes), fc.oneof(anyBytes, nameBytes), (x, y) => {
        const a = decodeUtf8b(x).text;
        const b = decodeUtf8b(y).text;
        expect(fromDbText(toDbText(a))).toBe(a);
        expect(toDbText(a) === toDbText(b)).toBe(x.equals(y));
        expect(decodeUtf8b(Buffer.from(toDbText(a), 'utf8')).exact).toBe(true);
      }),
    );
  });

  it('text output: no raw control byte, a byte that is not UTF-8 as \\xNN, distinct names print distinctly', () => {
    expect(escapeControl('n\udcff1')).toBe('n\\xff1');
    expect(escapeControl('a\u0085b')).toBe('a\\u{85}b');
    expect(escapeControl('\u{1f600}')).toBe('\u{1f600}');
    fc.assert(
      fc.property(fc.oneof(anyBytes, nameBytes), fc.oneof(anyBytes, nameBytes), (x, y) => {
        const a = escapeControl(decodeUtf8b(x).text);
        // `u`: a valid pair (an emoji from 4 random bytes) is one code point, only a lone surrogate matches.
        expect(a).not.toMatch(/[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/u);
        expect(a === escapeControl(decodeUtf8b(y).text)).toBe(x.equals(y));
      }),
    );
  });
});
