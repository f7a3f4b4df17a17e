// Peak memory of `nsnap ingest` at and over the bundle size limits (docs/reliability.md, ## Analyzer).
// Each case runs the built CLI once under /usr/bin/time and reports its maximum resident set size:
//   baseline   the fixture bundle (8 KiB of JSON)
//   at-limit   a valid bundle of just under 128 MiB of JSON (captures' stderr padded; stderr is kept, not parsed)
//   bomb       1 MiB of gzip that inflates to 1 GiB: refused when inflating passes 128 MiB
//   sparse     a 1 GiB file: refused when reading passes 128 MiB
// Usage: node bench/analyzer-limits.mjs   (after node analyzer/build.mjs)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nsnap = path.join(root, 'analyzer/dist/nsnap.cjs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-limits-bench-'));
const MiB = 1024 * 1024;

try {
  const fixture = readFileSync(path.join(root, 'fixtures/bundles/host-only.json'), 'utf8');
  const baseline = path.join(dir, 'baseline.json');
  writeFileSync(baseline, fixture);

  const big = JSON.parse(fixture);
  const capture = big.namespaces[0].captures[0];
  const pad = 'x'.repeat(31 * MiB);
  big.namespaces[0].captures = [0, 1, 2, 3].map(() => ({ ...capture, stderr: pad }));
  big.snapshotId = big.snapshotId.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  const atLimit = path.join(dir, 'at-limit.json.gz');
  const atLimitJson = Buffer.from(JSON.stringify(big));
  writeFileSync(atLimit, gzipSync(atLimitJson, { level: 1 }));

  const bomb = path.join(dir, 'bomb.json.gz');
  writeFileSync(bomb, gzipSync(Buffer.alloc(1024 * MiB, 0x20), { level: 9 }));
  const sparse = path.join(dir, 'sparse.json');
  writeFileSync(sparse, '');
  truncateSync(sparse, 1024 * MiB);

  const cases = [
    ['baseline', baseline, Buffer.byteLength(fixture)],
    ['at-limit', atLimit, atLimitJson.byteLength],
    ['bomb', bomb, 1024 * MiB],
    ['sparse', sparse, 1024 * MiB],
  ];
  console.log('| case | JSON bytes | outcome | peak RSS | time |');
  console.log('|---|---|---|---|---|');
  for (const [name, file, bytes] of cases) {
    const db = path.join(dir, `${name}.db`);
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, nsnap, 'ingest', '--json', '-q', file, '--db', db], { encoding: 'utf8', maxBuffer: 64 * MiB });
    const ms = performance.now() - t0;
    const rssKiB = Number(r.stderr.trim().split('\n').at(-1));
    const summary = JSON.parse(r.stdout);
    const outcome = summary.files[0].outcome === 'failed' ? `failed: ${summary.files[0].reason}` : summary.files[0].outcome;
    console.log(`| ${name} | ${(bytes / MiB).toFixed(1)} MiB | ${outcome} | ${(rssKiB / 1024).toFixed(0)} MiB | ${(ms / 1000).toFixed(1)} s |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
