// Loaded with `node --import` in front of a CLI under benchmark: at exit,
// writes the process's peak RSS (KiB) to the file named by NSNAP_BENCH_RSS_FILE.
import { appendFileSync } from 'node:fs';

const file = process.env.NSNAP_BENCH_RSS_FILE;
if (file) process.on('exit', () => appendFileSync(file, `${process.resourceUsage().maxRSS}\n`));
