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
    const result = parseByContent(capture);
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

// A namespace that did not change prints the same dump at every snapshot (`ip -d -j` shows no
// counters): most of a bundle's dumps are the text of the snapshot before's. A parse depends on the
// spec, the commands and the output alone, so each distinct text is parsed once: parsing the dumps
// (JSON inside the bundle's strings, and every interface read twice) was a third of ingest
// (bench/analyzer.mjs). Results are frozen, as they are shared between bundles; the cache is bounded.
const CACHE_CHARS = 16 * 1024 * 1024;
const CACHE_ENTRY_CHARS = 256 * 1024;
const parsedTexts = new Map<string, ReturnType<DumpParser>>();
/** No link's `raw` text: no table holds it (ip-batch-json.ts). */
const NO_RAW = { raw: false } as const;
let cachedChars = 0;

function parseByContent(capture: Parameters<DumpParser>[0]): ReturnType<DumpParser> {
  if (capture.stdout.length > CACHE_ENTRY_CHARS) return parseCapture(capture, NO_RAW);
  // The commands by their length first: no stdin, or any text, is one key of its own.
  const key = `${capture.spec}\0${capture.stdin === null ? '-' : `${capture.stdin.length}:${capture.stdin}`}\0${capture.stdout}`;
  const hit = parsedTexts.get(key);
  if (hit) return hit;
  const result = deepFreeze(parseCapture(capture, NO_RAW));
  if (cachedChars + key.length > CACHE_CHARS) {
    parsedTexts.clear();
    cachedChars = 0;
  }
  parsedTexts.set(key, result);
  cachedChars += key.length;
  return result;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
