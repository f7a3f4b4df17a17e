// Times commands for bench/analyzer.mjs, from a process of its own: spawning a child costs its
// parent's size in fork(), and the bench, after its ingests, holds hundreds of MB (measured: a
// 840 MB parent adds 16 ms to `node -e 0`). A user starts nsnap from a shell.
// Input on stdin: {"runs": R, "commands": {"name": [argv…], …}}; each round runs every command once,
// in turn, so that the machine's drift touches them alike. Output: {"name": [ms…], …}.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const { runs, commands } = JSON.parse(readFileSync(0, 'utf8'));
const ms = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
// Round 0 is not timed: it brings every file into the page cache.
for (let r = 0; r <= runs; r++) {
  for (const [name, argv] of Object.entries(commands)) {
    const t0 = performance.now();
    const p = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r > 0) ms[name].push(performance.now() - t0);
    if (p.status !== 0) throw new Error(`${argv.join(' ')} exited ${p.status}: ${String(p.stderr).slice(0, 500)}`);
  }
}
process.stdout.write(JSON.stringify(ms));
