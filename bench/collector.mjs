#!/usr/bin/env node
// Collector benchmark (issue #8). For N = 10, 100, 400 namespaces — each with
// a veth to a bridge and a sleeping process — it measures, median of 5 runs:
//   collector   `nsnap-collect --stdout` (node start-up included)
//   baseline 1  the way people do it by hand: a sequential shell loop of
//               `nsenter --net=/proc/PID/ns/net ip -d -j -force -batch FILE`, FILE
//               holding the collector's own per-namespace batch (links, addresses,
//               routes, rules, neighbours: NAMESPACE_BATCH of the spec table)
//   baseline 2  the best shell pipeline: the same through `xargs -P K`
//   exec floor  `nsenter --net=… true` for every namespace, same parallelism
//   Node floor  bench/collector-floor.mjs, bundled like the collector: Node's start and the
//               collector's own bulk capture (same way in, same concurrency) over the same
//               namespaces, and nothing else — the least any collector in Node pays
// and prints ratios against those baselines, measured in the same run.
// The collector runs at its default --concurrency (one per core) unless given;
// `xargs -P 2K` is timed too, as a reference at that parallelism.
// The scan's share: the durations the bundle records for its probes that read
// /proc and mount tables (proc-scan, netns-handles; netns-holders — the fd,
// thread and other-mount-namespace walk, which runs while the capture's
// commands run — and held-links, which captures what it found), median of
// --runs more runs. Each sleeper here runs in a mount namespace of its own
// (`ip netns exec` makes one): the walk meets 400 mount tables of 400+ mounts
// each, its worst case, and `--max-scan` leaves most of them unread (a gap).
// Each row also gives what the collector adds on top of the commands: Node's
// start (`node -e 0`, median) and the collector process's own CPU time (user +
// system, its children's not included: start-up, scans, parsing, spawns, the
// bundle's JSON) and peak RSS, median over the scan's runs (the timed runs start
// the collector exactly as a host does, with nothing loaded in front of it).
// --ipv6-rules: the collector takes every namespace's IPv6 rules too (a second
// pass, `ip -6 -d -j -force -batch` fed `rule show`), and so do both baselines
// (a second command per namespace; baseline 2 as a second xargs pass), so the
// ratios still compare the same work.
// Usage (root): node bench/collector.mjs [--sizes 10,100,400] [--runs 5] [--enter auto|ip-netns|nsenter] [--max-scan N] [--concurrency N] [--ipv6-rules]
// (--enter is passed to the collector; each row says how it entered the namespaces.)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
// The single-file build is what runs on hosts (collector/build.mjs).
const collector = path.join(root, opt('--collector', 'collector/dist/nsnap-collect.mjs'));
const sizes = opt('--sizes', '10,100,400').split(',').map(Number);
const runs = Number(opt('--runs', '5'));
const enterArgs = opt('--enter', null) === null ? [] : ['--enter', opt('--enter')];
const scanArgs = opt('--max-scan', null) === null ? [] : ['--max-scan', opt('--max-scan')];
const K = os.availableParallelism();
// The collector's --concurrency: its own default (one per core) unless given; the baselines keep
// -P K, and `xargs -P 2K` is timed too, for comparison at the collector's default parallelism.
const C = opt('--concurrency', null);
const concurrencyArgs = C === null ? [] : ['--concurrency', C];
const rules6 = args.includes('--ipv6-rules');
const rules6Args = rules6 ? ['--ipv6-rules'] : [];
const prefix = `b${randomBytes(2).toString('hex')}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-bench-'));
// The baselines run the very batch the collector feeds each namespace.
const { NAMESPACE_BATCH, RULES6_BATCH } = await import(path.join(root, 'shared/dist/core.js'));
// The Node floor, bundled like the collector (one file, minified).
const floorScript = path.join(tmp, 'floor.mjs');
const { build } = createRequire(path.join(root, 'collector/package.json'))('esbuild');
await build({ entryPoints: [path.join(root, 'bench/collector-floor.mjs')], outfile: floorScript, bundle: true, platform: 'node', format: 'esm', target: 'node20', minify: true, logLevel: 'warning' });
const batchFile = path.join(tmp, 'batch');
writeFileSync(batchFile, NAMESPACE_BATCH);
const IP_BATCH = ['ip', '-d', '-j', '-force', '-batch', batchFile];
const rules6File = path.join(tmp, 'rules6');
writeFileSync(rules6File, RULES6_BATCH);
const IP6_BATCH = ['ip', '-6', '-d', '-j', '-force', '-batch', rules6File];

if (process.getuid?.() !== 0) {
  console.error('bench/collector needs root: it builds network namespaces');
  process.exit(2);
}

function ipBatch(lines) {
  const r = spawnSync('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -batch failed: ${r.stderr}`);
}

const sleepers = [];
let built = 0;
const bridge = `${prefix}br`;

async function grow(n) {
  if (built === 0) ipBatch([`link add ${bridge} type bridge`, `link set ${bridge} up`]);
  const lines = [];
  for (let i = built; i < n; i++) lines.push(`netns add ${prefix}n${i}`);
  ipBatch(lines);
  const links = [];
  for (let i = built; i < n; i++) {
    links.push(`link add ${prefix}v${i} type veth peer name eth0 netns ${prefix}n${i}`);
    links.push(`link set ${prefix}v${i} master ${bridge} up`);
  }
  ipBatch(links);
  for (let i = built; i < n; i++) {
    const child = spawn('ip', ['netns', 'exec', `${prefix}n${i}`, 'sleep', '100000'], { stdio: 'ignore', detached: true });
    child.unref();
    sleepers.push(child.pid);
  }
  // Wait until every sleeper runs inside its namespace.
  const own = readlinkSafe('/proc/self/ns/net');
  for (const pid of sleepers) {
    for (let t = 0; t < 500 && (readlinkSafe(`/proc/${pid}/ns/net`) === own || readFileSafe(`/proc/${pid}/comm`).trim() !== 'sleep'); t++) await new Promise((r) => setTimeout(r, 5));
  }
  built = n;
}

function readlinkSafe(p) {
  try {
    return spawnSync('readlink', [p], { encoding: 'utf8' }).stdout;
  } catch {
    return '';
  }
}
function readFileSafe(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function cleanup() {
  for (const pid of sleepers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  const lines = [];
  for (let i = 0; i < built; i++) lines.push(`netns delete ${prefix}n${i}`);
  lines.push(`link delete ${bridge}`);
  spawnSync('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n' });
  rmSync(tmp, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function time(cmd, cmdArgs, input, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, cmdArgs, { input, stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 300)}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = [];
try {
  for (const n of sizes) {
    await grow(n);
    const pids = sleepers.slice(0, n).join('\n') + '\n';
    const rssFile = path.join(tmp, `rss-${n}`);
    const cpuFile = path.join(tmp, `cpu-${n}`);
    const m = { collector: [], nodeFloor: [], seq: [], xargs: [], xargs2K: [], floor: [], node: [] };
    const seq6 = rules6 ? `; nsenter --net=/proc/$p/ns/net ${IP6_BATCH.join(' ')}` : '';
    for (let r = 0; r < runs; r++) {
      m.collector.push(time(process.execPath, [collector, '--stdout', '--quiet', ...concurrencyArgs, ...enterArgs, ...scanArgs, ...rules6Args], ''));
      m.nodeFloor.push(rules6 ? 0 : time(process.execPath, [floorScript, ...concurrencyArgs, ...enterArgs], pids));
      m.seq.push(time('bash', ['-c', `while read -r p; do nsenter --net=/proc/$p/ns/net ${IP_BATCH.join(' ')}${seq6}; done`], pids));
      m.xargs.push(
        time('xargs', ['-P', String(K), '-I{}', 'nsenter', '--net=/proc/{}/ns/net', ...IP_BATCH], pids) +
          (rules6 ? time('xargs', ['-P', String(K), '-I{}', 'nsenter', '--net=/proc/{}/ns/net', ...IP6_BATCH], pids) : 0),
      );
      m.xargs2K.push(
        time('xargs', ['-P', String(2 * K), '-I{}', 'nsenter', '--net=/proc/{}/ns/net', ...IP_BATCH], pids) +
          (rules6 ? time('xargs', ['-P', String(2 * K), '-I{}', 'nsenter', '--net=/proc/{}/ns/net', ...IP6_BATCH], pids) : 0),
      );
      m.floor.push(time('xargs', ['-P', String(K), '-I{}', 'nsenter', '--net=/proc/{}/ns/net', 'true'], pids));
      m.node.push(time(process.execPath, ['-e', '0'], ''));
    }
    const bundle = spawnSync(process.execPath, [collector, '--out', path.join(tmp, 'out'), '--quiet', ...enterArgs, ...rules6Args], { encoding: 'utf8' });
    const stored = bundle.stdout.trim().split('\n').at(-1);
    const bytes = readFileSync(stored).byteLength;
    // How the bulk pass entered: the command its captures record (bulk-capture.ts).
    const argv = JSON.parse(gunzipSync(readFileSync(stored))).namespaces.find((ns) => !ns.isHost && ns.captures.length > 0)?.captures[0].argv ?? [];
    const enteredWith = argv[0] === 'ip' && argv[1] === '-n' ? 'ip -n' : argv[0] ?? 'nothing';
    const SCAN_PROBES = ['proc-scan', 'netns-handles', 'netns-holders', 'held-links'];
    const scan = Object.fromEntries(SCAN_PROBES.map((name) => [name, []]));
    let scanGaps = [];
    for (let r = 0; r < runs; r++) {
      const env = { ...process.env, NSNAP_BENCH_RSS_FILE: rssFile, NSNAP_BENCH_CPU_FILE: cpuFile };
      const printed = JSON.parse(
        spawnSync(process.execPath, ['--import', path.join(root, 'bench/rss-report.mjs'), collector, '--stdout', '--quiet', ...concurrencyArgs, ...enterArgs, ...scanArgs, ...rules6Args], { encoding: 'utf8', maxBuffer: 1 << 30, env }).stdout,
      );
      for (const p of printed.probes) if (p.name in scan) scan[p.name].push(p.durationMs);
      // What the walk's limit left unread (another run's pids or helpers' namespaces count too: the host is shared).
      scanGaps = printed.gaps.filter((g) => g.probe === 'netns-holders').map((g) => g.subject);
    }
    const scanMs = Object.fromEntries(SCAN_PROBES.filter((name) => scan[name].length > 0).map((name) => [name, median(scan[name])]));
    const rss = Math.max(...readFileSync(rssFile, 'utf8').trim().split('\n').map(Number));
    const ownCpuMs = median(readFileSync(cpuFile, 'utf8').trim().split('\n').map(Number));
    const row = {
      n,
      collectorMs: median(m.collector),
      nodeFloorMs: rules6 ? null : median(m.nodeFloor),
      seqMs: median(m.seq),
      xargsMs: median(m.xargs),
      floorMs: median(m.floor),
      xargs2KMs: median(m.xargs2K),
      nodeStartMs: median(m.node),
      ownCpuMs,
      concurrency: C === null ? 'default' : Number(C),
      ipv6Rules: rules6,
      peakRssMiB: rss / 1024,
      gzipBytesPerNs: bytes / (n + 1),
      enteredWith,
      scanMs,
      scanGaps,
    };
    results.push(row);
    console.log(
      `N=${String(n).padStart(3)}  collector ${row.collectorMs.toFixed(0)} ms | baseline1 (sequential) ${row.seqMs.toFixed(0)} ms | ` +
        `baseline2 (xargs -P ${K}) ${row.xargsMs.toFixed(0)} ms | exec floor ${row.floorMs.toFixed(0)} ms`,
    );
    console.log(
      `       collector/baseline2 ${(row.collectorMs / row.xargsMs).toFixed(2)}×  baseline1/collector ${(row.seqMs / row.collectorMs).toFixed(2)}×  ` +
        `collector/floor ${(row.collectorMs / row.floorMs).toFixed(2)}×  peak RSS ${row.peakRssMiB.toFixed(0)} MiB  gzip ${row.gzipBytesPerNs.toFixed(0)} B/namespace  entered with ${row.enteredWith}`,
    );
    if (row.nodeFloorMs !== null) {
      console.log(
        `       Node floor (start + the same bulk capture, nothing else) ${row.nodeFloorMs.toFixed(0)} ms = ${(row.nodeFloorMs / row.xargsMs).toFixed(2)}× baseline 2; ` +
          `the collector's own work above it ${(row.collectorMs - row.nodeFloorMs).toFixed(0)} ms`,
      );
    }
    console.log(
      `       gap to baseline 2 ${(row.collectorMs - row.xargsMs).toFixed(0)} ms; node start (node -e 0) ${row.nodeStartMs.toFixed(0)} ms; ` +
        `the collector process's own CPU ${row.ownCpuMs.toFixed(0)} ms (children not included); --concurrency ${C ?? 'default'}; xargs -P ${2 * K} ${row.xargs2KMs.toFixed(0)} ms${rules6 ? '; IPv6 rules of every namespace, baselines too' : ''}`,
    );
    const scanTotal = Object.values(scanMs).reduce((a, b) => a + b, 0);
    console.log(
      `       scan ${scanTotal.toFixed(1)} ms (${Object.entries(scanMs).map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ')}) = ` +
        `${((100 * scanTotal) / row.collectorMs).toFixed(1)}% of the collector's run` +
        (scanMs['netns-holders'] === undefined ? '' : `; fd/thread/mount walk ${((100 * scanMs['netns-holders']) / row.collectorMs).toFixed(1)}% (during the capture)`) +
        (scanGaps.length === 0 ? '' : `; left unread by --max-scan: ${scanGaps.join(', ')}`),
    );
  }
  if (results.length > 1) {
    const [first, last] = [results[0], results.at(-1)];
    const perNs = (r) => (r.collectorMs - 0) / r.n;
    console.log(`growth: ${(perNs(first)).toFixed(2)} ms/namespace at N=${first.n}, ${(perNs(last)).toFixed(2)} ms/namespace at N=${last.n}; ` +
      `marginal ${((last.collectorMs - first.collectorMs) / (last.n - first.n)).toFixed(2)} ms per added namespace`);
  }
  console.log(JSON.stringify({ machine: { cpus: K, node: process.version, kernel: os.release() }, runs, results }));
} finally {
  cleanup();
}
