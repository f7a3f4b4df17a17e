import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dotString } from './dot.js';

/** One DOT double-quoted string, whole: opening quote, escaped pairs or plain characters, closing quote. */
const ONE_STRING = /^"(?:\\[\s\S]|[^"\\])*"$/;

describe('dotString', () => {
  it('is one quoted DOT string for any lines: no raw quote, control byte, lone surrogate, or & that is not &amp;', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 4 }), (lines) => {
        const s = dotString(...lines);
        expect(s).toMatch(ONE_STRING);
        expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
        expect(s.replace(/&amp;/g, '')).not.toContain('&');
        // Graphviz's own escapes (\N, \G, \l…) cannot be formed: every backslash is doubled or escapes a quote or our line break.
        expect(s.slice(1, -1).replace(/\\\\|\\"|\\n/g, '')).not.toContain('\\');
      }),
    );
  });

  it('writes names as text output shows them, escaped for DOT', () => {
    expect(dotString('veth\udcff"x\\N', '&#0;')).toBe('"veth\\\\xff\\"x\\\\\\\\N\\n&amp;#0;"');
  });
});
