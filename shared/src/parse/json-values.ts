import type { ParseIssue } from '../model.js';

/**
 * Splits text holding several top-level JSON values one after another (what
 * `ip -j -batch` prints: one array per command) and parses each. Text between
 * values that is not JSON is reported, never thrown.
 */
export function splitJsonValues(text: string): { values: unknown[]; issues: ParseIssue[] } {
  return splitByLines(text) ?? scanValues(text);
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

function scanValues(text: string): { values: unknown[]; issues: ParseIssue[] } {
  const values: unknown[] = [];
  const issues: ParseIssue[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let junkStart = -1;
  const lineAt = (index: number): number => {
    let line = 1;
    for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
    return line;
  };
  const flushJunk = (end: number) => {
    if (junkStart < 0) return;
    const junk = text.slice(junkStart, end).trim();
    if (junk) issues.push({ line: lineAt(junkStart), message: `not JSON: ${truncate(junk)}` });
    junkStart = -1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (depth === 0) {
      if (c === '[' || c === '{') {
        flushJunk(i);
        start = i;
        depth = 1;
      } else if (junkStart < 0 && c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') {
        junkStart = i;
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
        const raw = text.slice(start, i + 1);
        try {
          values.push(JSON.parse(raw));
        } catch (error) {
          issues.push({ line: lineAt(start), message: `invalid JSON: ${(error as Error).message}` });
        }
        start = -1;
      }
    }
  }
  if (depth > 0 && start >= 0) issues.push({ line: lineAt(start), message: 'truncated JSON value at end of output' });
  flushJunk(text.length);
  return { values, issues };
}

export function truncate(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
