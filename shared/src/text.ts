/**
 * Makes a name or alias from an untrusted bundle safe to print: control
 * characters (C0, DEL) are shown as \xNN, C1 controls and bidi overrides as
 * \u{NNNN}, and a byte that was not UTF-8 (a UTF-8b lone surrogate, see
 * bytes.ts) as \xNN with NN ≥ 80 — so a host cannot move the cursor or
 * recolour a terminal, and two names that differ only in such bytes print
 * differently. \xNN with NN ≥ 80 means such a byte and nothing else.
 */
export function escapeControl(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      if (c === '\\') return '\\\\';
      const code = c.charCodeAt(0);
      if (code < 0x80) return `\\x${code.toString(16).padStart(2, '0')}`;
      if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16)}`;
      return `\\u{${code.toString(16)}}`;
    },
  );
}

/** "1 gap", "3 gaps", "1 process": a count with its noun, in the form English wants. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
