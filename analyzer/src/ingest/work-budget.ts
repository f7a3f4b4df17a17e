import { issueCount, parseCapture, type DumpParser } from '@nsnap/shared';

/**
 * What ingest spends on one bundle at most. Every parser is linear, so work
 * follows the text parsed; a bundle of mostly junk (a forged one: 200k junk
 * lines gzip to 5 KB) is stopped by its issue count long before its size
 * limit, and fails by name while the other bundles go on. A real bundle has
 * no parse issue at all; 400 namespaces are ~4 MB of dumps.
 */
export const WORK_BUDGET = {
  /** Parse issues (junk lines, entries that are not interfaces, duplicates) over all link dumps. */
  parseIssues: 10_000,
  /** Characters of link dumps parsed. */
  dumpChars: 256 * 1024 * 1024,
} as const;

/** A bundle over `WORK_BUDGET`: its message says which bound and where. */
export class WorkBudgetError extends Error {
  constructor(message: string) {
    super(`over the per-bundle work budget: ${message}`);
    this.name = 'WorkBudgetError';
  }
}

/** `parseCapture`, metered: throws WorkBudgetError as soon as the bundle's dumps pass a bound. */
export function meteredParser(budget: { parseIssues: number; dumpChars: number } = WORK_BUDGET): DumpParser {
  let issues = 0;
  let chars = 0;
  let dumps = 0;
  return (capture) => {
    chars += capture.stdout.length;
    if (chars > budget.dumpChars) throw new WorkBudgetError(`more than ${budget.dumpChars} characters of link dumps`);
    const result = parseCapture(capture);
    dumps++;
    issues += issueCount(result.issues);
    if (issues > budget.parseIssues) throw new WorkBudgetError(`${issues} parse issues in the first ${dumps} link dump(s), more than the ${budget.parseIssues} allowed`);
    return result;
  };
}

/**
 * A parser that reads each capture once: ingest reads a namespace's dump for its links, then for its
 * routes, rules and neighbours (routing-rows.ts); parsing it twice was a sixth of ingest.
 */
export function parsedOnce(parse: DumpParser): DumpParser {
  const seen = new WeakMap<Parameters<DumpParser>[0], ReturnType<DumpParser>>();
  return (capture) => {
    let result = seen.get(capture);
    if (!result) seen.set(capture, (result = parse(capture)));
    return result;
  };
}
