import type { ParseIssue } from '../model.js';
import { pushIssue, truncate } from './issues.js';

export { truncate } from './issues.js';

/**
 * Splits text holding several top-level JSON values one after another (what
 * `ip -j -batch` prints: one array per command) and parses each. Text between
 * values that is not JSON is reported, never thrown. Linear in the text.
 *
 * Line by line while each line is one value (what `ip -j` prints), a line
 * with a raw control character in an alias through the lenient parse, and
 * only from a line that is no whole value (a raw newline inside a string)
 * by scanning brackets, until a value ends at the end of a line. One hostile
 * alias on a host used to send its whole dump — half a megabyte at 400
 * namespaces, every link, route and neighbour — through the character scan
 * (~115 ms of a loaded run's main thread, profiled); now its line only.
 */
export function splitJsonValues(text: string): { values: unknown[]; issues: ParseIssue[] } {
  const values: unknown[] = [];
  const issues: ParseIssue[] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const eol = text.indexOf('\n', pos);
    const end = eol < 0 ? text.length : eol;
    const value = wholeLine(text.slice(pos, end));
    if (value === NOT_WHOLE) {
      ({ next: pos, line } = scanValues(text, pos, line, values, issues));
      continue;
    }
    if (value !== BLANK) values.push(value);
    pos = end + 1;
    line++;
  }
  return { values, issues };
}

const BLANK = Symbol('blank');
const NOT_WHOLE = Symbol('not whole');

/** One line as one JSON value (raw control characters allowed), BLANK, or NOT_WHOLE. */
function wholeLine(text: string): unknown {
  if (text.trim() === '') return BLANK;
  const first = text.trimStart()[0];
  if (first !== '[' && first !== '{') return NOT_WHOLE;
  try {
    return parseLenientJson(text);
  } catch {
    return NOT_WHOLE;
  }
}

/**
 * JSON.parse, but reading what iproute2 (6.1) writes: it prints the control
 * characters of an alias or name raw inside `-j` strings, which JSON forbids.
 * Those are taken as the characters they are. Valid JSON parses exactly as
 * JSON.parse does; anything else still throws.
 */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const escaped = escapeRawControls(text);
    if (escaped === text) throw error;
    return JSON.parse(escaped);
  }
}

/** Writes each raw U+0000–U+001F inside a string as `\u00NN`. One pass; text outside strings is left as it is. */
function escapeRawControls(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!inString) {
      if (c === 0x22) inString = true;
      continue;
    }
    if (c === 0x5c) i++;
    else if (c === 0x22) inString = false;
    else if (c < 0x20) {
      out += `${text.slice(from, i)}\\u00${c.toString(16).padStart(2, '0')}`;
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * Finds top-level values by their brackets from `from` (strings tracked, so a
 * raw newline or bracket in an alias is no boundary) and parses each
 * leniently into `values`. Returns where a value ended at the end of a line
 * (the caller goes on line by line from there), or the end of the text.
 */
function scanValues(text: string, from: number, firstLine: number, values: unknown[], issues: ParseIssue[]): { next: number; line: number } {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let startLine = 0;
  let junkStart = -1;
  let junkLine = 0;
  let line = firstLine;
  const flushJunk = (end: number) => {
    if (junkStart < 0) return;
    const junk = text.slice(junkStart, Math.min(end, junkStart + 200)).trim();
    if (junk) pushIssue(issues, { line: junkLine, message: `not JSON: ${truncate(junk)}` });
    junkStart = -1;
  };
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (depth === 0) {
      if (c === '[' || c === '{') {
        flushJunk(i);
        start = i;
        startLine = line;
        depth = 1;
      } else if (junkStart < 0 && c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') {
        junkStart = i;
        junkLine = line;
      }
      continue;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        try {
          values.push(parseLenientJson(text.slice(start, i + 1)));
        } catch (error) {
          pushIssue(issues, { line: startLine, message: `invalid JSON: ${truncate((error as Error).message)}` });
        }
        start = -1;
        if (text[i + 1] === '\n') return { next: i + 2, line: line + 1 };
      }
    }
  }
  if (depth > 0 && start >= 0) pushIssue(issues, { line: startLine, message: 'truncated JSON value at end of output' });
  flushJunk(text.length);
  return { next: text.length, line };
}
