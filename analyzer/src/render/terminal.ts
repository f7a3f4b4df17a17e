import { escapeControl } from '@nsnap/shared/text';

/**
 * The text frontend's escaping. Text renderers compose lines of raw answer fields and fixed text
 * (which holds no backslash and no control character) and hand them to `terminalLines`, which escapes
 * every field in them (escapeControl: control and bidi characters, bytes that were not UTF-8, and
 * backslashes doubled so that an escape cannot be forged). A newline inside a field is escaped too:
 * it cannot start a line of its own. `terminalText` is the last step of every text and JSON answer on
 * its way to stdout or stderr: whatever a renderer did or forgot, no character a terminal acts on
 * leaves nsnap raw.
 */

/** Lines of raw text as the terminal gets them, each ended by a newline. */
export function terminalLines(lines: readonly string[]): string {
  return lines.map((line) => `${escapeControl(line)}\n`).join('');
}

/** How many columns a raw field takes once escaped for the terminal (for tables). */
export const terminalWidth = (raw: string): number => escapeControl(raw).length;

/** C0 controls except the newlines that end lines, DEL, C1 controls, bidi embeddings/overrides and isolates. */
const UNSAFE_IN_TEXT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text output: each unsafe character as `\xHH` or `\u{HHHH}`, as escapeControl writes it. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE_IN_TEXT, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * JSON text already escapes C0 controls; DEL, C1, bidi controls and the line/paragraph separators
 * are valid raw in JSON strings, and a terminal acts on some of them. Written as `\uHHHH` escapes they
 * parse to the very same values: `--json` stays exact, and safe to print.
 */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
