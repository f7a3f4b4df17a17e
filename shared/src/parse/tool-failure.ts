import type { ParseIssue } from '../model.js';
import { truncate } from './json-values.js';

const FAILURE_PATTERNS: RegExp[] = [
  /command not found/i,
  /^nsenter: /m,
  /^Object "[^"]*" is unknown/m,
  /^Option "[^"]*" is unknown/m,
  /No such file or directory/,
  /Permission denied/,
  /Operation not permitted/,
];

/**
 * Tool-failure text pasted or captured where output was expected is rejected
 * before parsing (insights-core's habit), so an error message is never read
 * as "zero interfaces".
 */
export function rejectToolFailure(text: string): { status: 'unusable'; reason: string; issues: ParseIssue[] } | null {
  const head = text.slice(0, 400).trimStart();
  if (head.startsWith('[') || head.startsWith('{')) return null;
  for (const pattern of FAILURE_PATTERNS) {
    if (pattern.test(head)) return { status: 'unusable', reason: `tool failure text: ${truncate(head.split('\n')[0] ?? '')}`, issues: [] };
  }
  return null;
}
