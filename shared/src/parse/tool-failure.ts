import type { ParseIssue } from '../model.js';
import type { FailureReason } from '../schema/bundle.js';
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

/**
 * Why a tool failed, from what it printed (a live command's stderr, or an
 * error message a person captured instead of output): the bundle's reasons.
 */
export function failureReasonOfText(text: string): FailureReason {
  if (/Permission denied|Operation not permitted/.test(text)) return 'denied';
  if (/No such file or directory|No such process/.test(text)) return 'vanished';
  if (/command not found/i.test(text)) return 'missing-command';
  if (/Option "[^"]*" is unknown|Object "[^"]*" is unknown|unrecognized option|invalid option/.test(text)) return 'unsupported';
  return 'failed';
}
