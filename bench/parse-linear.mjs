#!/usr/bin/env node
// Parser growth on hostile input (issue #15 §1): for each parser in
// shared/src/parse and each shape of junk, the time at n and at 16n and
// their ratio (linear: ~16; quadratic: ~256). The old scanValues recounted
// lines per junk segment: 40k segments took 62.7 s, now 0.24 s.
// Usage: node bench/parse-linear.mjs [n]   (after `tsc -b`)
import * as shared from '../shared/dist/core.js';

const n = Number(process.argv[2] ?? 10_000);
const repeat = (line, k) => Array.from({ length: k }, (_, i) => line.replaceAll('$i', String(i))).join('\n');
const shapes = {
  'junk lines': (k) => repeat('junk $i junk', k),
  'junk between values': (k) => repeat('junk $i\n[]', k),
  'one huge line': (k) => 'x'.repeat(40 * k),
  'raw controls in strings': (k) => `[${repeat('{"ifindex":$i,"ifname":"v$i","ifalias":"\x1b[31m\x07\n"}', k).replaceAll('}\n{', '},{')}]`,
};
const parsers = ['splitJsonValues', 'parseIpBatchJson', 'parseLsnsJson', 'parseNetnsListIdJson', 'parseIpLinkText', 'parseLsnsTable', 'parseNetnsListId', 'parseNetnsList', 'parseProcNsListing', 'containerFromCgroup'];
const best = (fn) => {
  let b = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    fn();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
};
const rows = [];
for (const name of parsers) {
  for (const [shape, input] of Object.entries(shapes)) {
    const small = input(n);
    const large = input(16 * n);
    shared[name](small);
    const a = best(() => shared[name](small));
    const b = best(() => shared[name](large));
    rows.push({ parser: name, shape, ms: +a.toFixed(2), ms16: +b.toFixed(1), ratio: +(b / Math.max(a, 0.01)).toFixed(1) });
    console.log(`${name.padEnd(22)} ${shape.padEnd(24)} n=${n}: ${a.toFixed(2)} ms  16n: ${b.toFixed(1)} ms  ratio ${(b / Math.max(a, 0.01)).toFixed(1)}`);
  }
}
console.log(JSON.stringify({ n, rows }));
