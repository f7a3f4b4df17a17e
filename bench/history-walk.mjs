#!/usr/bin/env node
// `history` and `whois --all` over one host's whole range, timed inside a process of their own, as a
// user's `nsnap` runs them: V8 optimizes the code as it goes, and a process that has already run
// other work (a bench's ingests) has a bigger heap and other feedback, which makes the same walk
// slower or faster than it is (bench/intervals.mjs, which runs this R times and takes the median).
// Usage: node bench/history-walk.mjs history|whois DB HOST NAME [--per-snapshot]
//   --per-snapshot  schema 4's way: every snapshot loaded by itself (no intervals to read)
// Output: history {"historyMs", "steps"}; whois {"whoisAllMs" (its first call), "whoisAllWarmMs" (the median of five more), "periods"}
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [mode, file, host, name] = process.argv.slice(2);
const perSnapshot = process.argv.includes('--per-snapshot');
const dist = (m) => import(path.join(root, 'analyzer/dist', m));
const Sqlite = createRequire(path.join(root, 'analyzer/package.json'))('better-sqlite3');
const { historyRange, walkHistory } = await dist('query/history.js');
const { loadForDiff } = await dist('query/diff-snapshots.js');
const { whoisAll } = await dist('query/whois.js');
const { nameHistoryPerSnapshot } = await dist('query/whois-history.js');

const db = new Sqlite(file, { readonly: true });
if (mode === 'history') {
  const t0 = performance.now();
  const range = historyRange(db, host, null, null).snapshots;
  let steps = 0;
  const states = perSnapshot ? (function* () { for (const ref of range) yield loadForDiff(db, ref, false); })() : undefined;
  walkHistory(db, range, { verbose: false, withOwners: false }, () => (steps += 1), states);
  process.stdout.write(JSON.stringify({ historyMs: performance.now() - t0, steps }));
} else {
  // Its first call (what a user waits for), then the median of five more, warm (what the layouts' ways
  // of reading cost, without V8's start-up).
  const whois = () => {
    const t = performance.now();
    const periods = whoisAll(db, name, host, undefined, perSnapshot ? nameHistoryPerSnapshot : undefined).periods.length;
    return { ms: performance.now() - t, periods };
  };
  const first = whois();
  const warm = [1, 2, 3, 4, 5].map(() => whois().ms).sort((a, b) => a - b)[2];
  process.stdout.write(JSON.stringify({ whoisAllMs: first.ms, whoisAllWarmMs: warm, periods: first.periods }));
}
db.close();
