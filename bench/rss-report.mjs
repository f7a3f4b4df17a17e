// Loaded with `node --import` in front of a CLI under benchmark: at exit,
// writes the process's peak RSS (KiB) to the file named by NSNAP_BENCH_RSS_FILE,
// and its own CPU time (user + system, ms; its children's not included) to
// the file named by NSNAP_BENCH_CPU_FILE.
import { appendFileSync } from 'node:fs';

const file = process.env.NSNAP_BENCH_RSS_FILE;
if (file) process.on('exit', () => appendFileSync(file, `${process.resourceUsage().maxRSS}\n`));
const cpuFile = process.env.NSNAP_BENCH_CPU_FILE;
if (cpuFile) process.on('exit', () => {
  const u = process.resourceUsage();
  appendFileSync(cpuFile, `${(u.userCPUTime + u.systemCPUTime) / 1000}\n`);
});
