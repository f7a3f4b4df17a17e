import type { ParseIssue } from '../model.js';
import { pushIssue, truncate } from './issues.js';

export { truncate } from './issues.js';

/**
 * Splits text holding several top-level JSON values one after another (what
 * `ip -j -batch` prints: one array per command) and parses each. Text between
 * values that is not JSON is reported, never thrown. Linear in the text.
 */
export function splitJsonValues(text: string): { values: unknown[]; issues: ParseIssue[] } {
  return splitByLines(text) ?? scanValues(text);
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

/** The usual case, one value per line as `ip -j` prints: JSON.parse per line is much faster than scanning. */
function splitByLines(text: string): { values: unknown[]; issues: ParseIssue[] } | null {
  const values: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const first = line.trimStart()[0];
    if (first !== '[' && first !== '{') return null;
    try {
      values.push(JSON.parse(line));
    } catch {
      return null;
    }
  }
  return { values, issues: [] };
}

/**
 * Finds each top-level value by its brackets (strings tracked, so a raw
 * newline or bracket in an alias is no boundary) and parses it leniently.
 * Line numbers are counted as the scan goes, once.
 */
function scanValues(text: string): { values: unknown[]; issues: ParseIssue[] } {
  const values: unknown[] = [];
  const issues: ParseIssue[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let startLine = 0;
  let junkStart = -1;
  let junkLine = 0;
  let line = 1;
  const flushJunk = (end: number) => {
    if (junkStart < 0) return;
    const junk = text.slice(junkStart, Math.min(end, junkStart + 200)).trim();
    if (junk) pushIssue(issues, { line: junkLine, message: `not JSON: ${truncate(junk)}` });
    junkStart = -1;
  };
  for (let i = 0; i < text.length; i++) {
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
      }
    }
  }
  if (depth > 0 && start >= 0) pushIssue(issues, { line: startLine, message: 'truncated JSON value at end of output' });
  flushJunk(text.length);
  return { values, issues };
}
