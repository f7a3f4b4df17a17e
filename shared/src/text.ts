/**
 * Makes a name or alias from an untrusted bundle safe to print: control
 * characters (C0, DEL, C1) and bidi overrides are shown as \xNN / \u{NNNN}
 * escapes, so a host cannot move the cursor or recolour a terminal.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\\]/g, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** "1 gap", "3 gaps", "1 process": a count with its noun, in the form English wants. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
