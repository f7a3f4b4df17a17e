import type { ParseIssue } from '../model.js';

export function truncate(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Most issues a parser keeps: garbage input must not turn into a list as long as itself. */
export const MAX_ISSUES = 200;

const MORE = / more issues not kept$/;

/** Adds an issue, keeping at most MAX_ISSUES and saying how many more were dropped. */
export function pushIssue(issues: ParseIssue[], issue: ParseIssue): void {
  if (issues.length < MAX_ISSUES) {
    issues.push(issue);
    return;
  }
  const last = issues[MAX_ISSUES];
  const dropped = last ? Number(/^(\d+)/.exec(last.message)?.[1] ?? '0') + 1 : 1;
  issues[MAX_ISSUES] = { line: null, message: `${dropped} more issues not kept` };
}

/** How many issues a parser met, counting those `pushIssue` did not keep. */
export function issueCount(issues: ParseIssue[]): number {
  const last = issues[issues.length - 1];
  if (issues.length <= MAX_ISSUES || !last || last.line !== null || !MORE.test(last.message)) return issues.length;
  return issues.length - 1 + Number(/^(\d+)/.exec(last.message)?.[1] ?? '0');
}
