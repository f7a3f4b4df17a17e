#!/usr/bin/env node
// Analyzer benchmark (issue #8). Bundles are generated from one real
// collector run (bench/analyzer-bundles.mjs: a docker-like host whose
// containers come and go between snapshots), then:
//   ingest   `nsnap ingest` of S snapshots of a host with N namespaces, in
//            interfaces per second, against a floor measured in the same run:
//            reading + gunzip + JSON.parse of the same bundles, plus
//            inserting exactly the rows the ingest wrote (every table, the span
//            tables too), with prepared statements in one transaction, into a
//            fresh database (same schema and pragmas); the bundles carry what
//            today's collector adds (routing lists, runtime names)
//   peers    `nsnap peers` and `nsnap diff` between two snapshots of a host
//   diff     with B namespaces, process start included (median of R rounds,
//            each running every command once, timed from a small process:
//            bench/analyzer-time.mjs), against `node -e 0` and `nsnap
//            --version` measured alongside
//   whois    `nsnap whois IFNAME --at T` over W snapshots (a host with fewer
//            namespaces, so that generating and ingesting them stays quick)
// plus the database size per snapshot and where ingest time goes, stage by
// stage. A JSON line with every figure ends the output.
// Usage (root: the template is a real collector run over real namespaces):
//   node bench/analyzer.mjs [--snapshots 2000] [--namespaces 100] [--big 400]
//     [--whois-snapshots 10000] [--whois-namespaces 20] [--churn 0.05] [--runs 10] [--profile DIR]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { SimHost, captureTemplate, templateParts, withNames, writeSnapshots } from './analyzer-bundles.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const snapshots = Number(opt('--snapshots', '2000'));
const namespaces = Number(opt('--namespaces', '100'));
const big = Number(opt('--big', '400'));
const whoisSnapshots = Number(opt('--whois-snapshots', '10000'));
const whoisNamespaces = Number(opt('--whois-namespaces', '20'));
const churn = Number(opt('--churn', '0.05'));
const runs = Number(opt('--runs', '10'));
const profile = opt('--profile', null);
const collector = path.join(root, 'collector/dist/nsnap-collect.mjs');
const bin = path.join(root, 'analyzer/dist/nsnap.cjs');
const Sqlite = createRequire(path.join(root, 'analyzer/package.json'))('better-sqlite3');
const { openDatabase } = await import(path.join(root, 'analyzer/dist/db/open.js'));
const { findBundles } = await import(path.join(root, 'analyzer/dist/ingest/find-bundles.js'));

if (process.getuid?.() !== 0) {
  console.error('bench/analyzer needs root: its bundle template is a real collector run over namespaces it builds');
  process.exit(2);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-bench-analyzer-'));
process.on('SIGINT', () => {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const since = (t0) => performance.now() - t0;
const log = (text) => console.log(text);
const dirBytes = (dir) => readdirSync(dir, { recursive: true, withFileTypes: true }).reduce((n, e) => n + (e.isFile() ? statSync(path.join(e.parentPath, e.name)).size : 0), 0);
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function nsnap(cliArgs, { quiet = true, extraNode = [] } = {}) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...extraNode, bin, ...cliArgs], { stdio: ['ignore', quiet ? 'ignore' : 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = since(t0);
  if (r.status !== 0) throw new Error(`nsnap ${cliArgs.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
  return { ms, stdout: r.stdout };
}

/** Ingest through the real CLI, one process for the whole directory. */
function ingest(db, dir) {
  const extraNode = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const { ms } = nsnap(['--db', db, 'ingest', '--quiet', dir], { extraNode });
  const check = new Sqlite(db, { readonly: true });
  const count = (t) => check.prepare(`SELECT count(*) FROM ${t}`).pluck().get();
  const result = { ms, interfaces: count('interfaces'), snapshots: count('snapshots') };
  check.close();
  return { ...result, bytes: statSync(db).size };
}

/** reading + gunzip + JSON.parse of every bundle; the link dumps inside (JSON in strings) timed apart. */
function parseFloor(dir) {
  let readMs = 0;
  let parseMs = 0;
  let innerMs = 0;
  for (const file of findBundles(dir).files) {
    let t0 = performance.now();
    const json = gunzipSync(readFileSync(file));
    readMs += since(t0);
    t0 = performance.now();
    const bundle = JSON.parse(json);
    parseMs += since(t0);
    t0 = performance.now();
    for (const ns of bundle.namespaces) for (const c of ns.captures) for (const line of c.stdout.split('\n')) if (line) JSON.parse(line);
    innerMs += since(t0);
  }
  return { readMs, parseMs, innerMs };
}

/**
 * Inserts exactly the rows `source` holds into a fresh database opened the
 * way nsnap opens it (same schema, indexes and pragmas), with one prepared
 * statement per table, in one transaction. Rows are read in chunks of
 * snapshots; only the inserts and the commit are timed.
 */
function insertFloor(source, target) {
  const src = new Sqlite(source, { readonly: true });
  const dst = openDatabase(target, { mustExist: false });
  const tables = src.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid").pluck().all();
  const plan = tables.map((t) => {
    const cols = src.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t);
    const where = t === 'snapshots' ? 'WHERE id BETWEEN ? AND ?' : cols.includes('snapshot') ? 'WHERE snapshot BETWEEN ? AND ?' : t === 'link_candidates' ? 'WHERE link IN (SELECT id FROM links WHERE snapshot BETWEEN ? AND ?)' : null;
    return {
      read: src.prepare(`SELECT * FROM ${t} ${where ?? ''}`).raw(),
      chunked: where !== null,
      insert: dst.prepare(`INSERT INTO ${t} VALUES (${cols.map(() => '?').join(', ')})`),
    };
  });
  const [lo, hi] = src.prepare('SELECT min(id), max(id) FROM snapshots').raw().get();
  const CHUNK = 50;
  let ms = 0;
  let rows = 0;
  dst.exec('BEGIN IMMEDIATE');
  for (let from = lo; from <= hi; from += CHUNK) {
    for (const p of plan) {
      if (!p.chunked && from !== lo) continue;
      const data = p.chunked ? p.read.all(from, from + CHUNK - 1) : p.read.all();
      const t0 = performance.now();
      for (const row of data) p.insert.run(row);
      ms += since(t0);
      rows += data.length;
    }
  }
  const t0 = performance.now();
  dst.exec('COMMIT');
  ms += since(t0);
  src.close();
  dst.close();
  return { ms, rows };
}

/**
 * Where ingest time goes, per stage, over the first `count` bundles: the same
 * modules `nsnap ingest` runs, timed one stage at a time on one thread, into a
 * scratch database. `nsnap ingest` runs the first three stages on a worker
 * thread (analyzer/src/ingest/prepare-pipeline.ts) and the last on its main
 * thread, at once: its time per bundle is about the larger of the two sides.
 */
async function ingestStages(dir, db, count) {
  const { unpackBundle, parseUnpacked } = await import(path.join(root, 'analyzer/dist/ingest/read-bundle.js'));
  const { normalizeBundle } = await import(path.join(root, 'analyzer/dist/ingest/normalize.js'));
  const { snapshotFacts, snapshotInserter } = await import(path.join(root, 'analyzer/dist/ingest/insert-snapshot.js'));
  const { routingRows } = await import(path.join(root, 'analyzer/dist/ingest/routing-rows.js'));
  const { meteredParser, parsedOnce } = await import(path.join(root, 'analyzer/dist/ingest/work-budget.js'));
  const target = openDatabase(db, { mustExist: false });
  const inserter = snapshotInserter(target);
  const ms = { 'read+gunzip+sha256': 0, 'JSON.parse+schema': 0, 'parse dumps+correlate+owners+routing+facts': 0, 'insert+commit': 0 };
  const stages = Object.keys(ms);
  const files = findBundles(dir).files.slice(0, count);
  for (const file of files) {
    let t0 = performance.now();
    const lap = (stage) => {
      ms[stage] += since(t0);
      t0 = performance.now();
    };
    const unpacked = unpackBundle(readFileSync(file));
    lap(stages[0]);
    const { bundle } = parseUnpacked(unpacked);
    lap(stages[1]);
    const parse = parsedOnce(meteredParser());
    const facts = snapshotFacts(normalizeBundle(bundle, parse), routingRows(bundle, parse).rows);
    lap(stages[2]);
    target.transaction(() => inserter.insertFacts(facts, unpacked.contentSha256, unpacked.json.byteLength, new Date().toISOString())).immediate();
    lap(stages[3]);
  }
  target.close();
  return Object.fromEntries(stages.map((s) => [s, ms[s] / files.length]));
}

/**
 * Median and minimum wall time of each command over `runs` rounds, timed by bench/analyzer-time.mjs
 * (a small process: fork() costs the spawning process's size, and this one is large by now), each
 * round running every command in turn. Every nsnap command first runs once untimed, its output checked.
 */
function timeCommands(nodeArgs, cli) {
  const lines = {};
  for (const [name, { args, expect }] of Object.entries(cli)) {
    const { stdout } = nsnap(args, { quiet: false });
    if (!expect.test(stdout)) throw new Error(`nsnap ${args.join(' ')} printed no ${expect}: ${stdout.slice(0, 300)}`);
    lines[name] = stdout.trim().split('\n').length;
  }
  const commands = { node: [process.execPath, ...nodeArgs], ...Object.fromEntries(Object.entries(cli).map(([name, c]) => [name, [process.execPath, bin, ...c.args]])) };
  const r = spawnSync(process.execPath, [path.join(root, 'bench/analyzer-time.mjs')], { input: JSON.stringify({ runs, commands }), encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`bench/analyzer-time.mjs exited ${r.status}`);
  const ms = JSON.parse(r.stdout);
  return Object.fromEntries(Object.keys(commands).map((name) => [name, { ms: median(ms[name]), min: Math.min(...ms[name]), lines: lines[name] }]));
}

const commands = nsnap(['--help'], { quiet: false }).stdout;
const has = (name) => new RegExp(`^  ${name}\\b`, 'm').test(commands);

const results = { machine: { cpus: os.availableParallelism(), node: process.version, kernel: os.release() }, params: { snapshots, namespaces, big, whoisSnapshots, whoisNamespaces, churn, runs } };
try {
  let t0 = performance.now();
  const parts = templateParts(await captureTemplate(collector));
  log(`template: real collector run, ${parts.baseLinks.length} host devices kept, ${parts.hostProcesses.length} host processes (${since(t0).toFixed(0)} ms)`);

  // Ingest: S snapshots of N namespaces.
  const dirA = path.join(tmp, 'ingest');
  t0 = performance.now();
  const hostA = new SimHost(parts, { label: 'node-1', namespaces, churn, seed: 1, start: '2026-11-01T00:00:00Z' });
  await writeSnapshots(hostA, dirA, snapshots, withNames);
  const genA = since(t0);
  const storedA = dirBytes(dirA);
  log(`generated ${snapshots} snapshots × ${namespaces} namespaces (churn ${churn * 100}% per snapshot, with routing lists and runtime names) in ${(genA / 1000).toFixed(1)} s, ${mib(storedA)} gzip`);
  const dbA = path.join(tmp, 'ingest.db');
  const ing = ingest(dbA, dirA);
  const parse = parseFloor(dirA);
  const ins = insertFloor(dbA, path.join(tmp, 'floor.db'));
  const floorMs = parse.readMs + parse.parseMs + ins.ms;
  const rate = (ms) => ing.interfaces / (ms / 1000);
  results.ingest = {
    snapshots: ing.snapshots,
    interfaces: ing.interfaces,
    ingestMs: ing.ms,
    ingestPerSecond: rate(ing.ms),
    floor: { readGunzipMs: parse.readMs, jsonParseMs: parse.parseMs, insertMs: ins.ms, rows: ins.rows, innerDumpParseMs: parse.innerMs },
    floorMs,
    floorPerSecond: rate(floorMs),
    ratio: floorMs / ing.ms,
    ratioWithDumpParse: (floorMs + parse.innerMs) / ing.ms,
    dbBytesPerSnapshot: ing.bytes / ing.snapshots,
    gzipBytesPerSnapshot: storedA / snapshots,
  };
  log(`ingest   ${ing.snapshots} snapshots, ${ing.interfaces} interfaces in ${(ing.ms / 1000).toFixed(1)} s: ${rate(ing.ms).toFixed(0)} interfaces/s, ${(ing.ms / ing.snapshots).toFixed(1)} ms/snapshot`);
  log(`floor    read+gunzip ${(parse.readMs / 1000).toFixed(1)} s + JSON.parse ${(parse.parseMs / 1000).toFixed(1)} s + insert ${ins.rows} rows ${(ins.ms / 1000).toFixed(1)} s = ${(floorMs / 1000).toFixed(1)} s: ${rate(floorMs).toFixed(0)} interfaces/s`);
  log(`         ingest/floor ${(100 * results.ingest.ratio).toFixed(0)}% (target ≥ 55%); with the link dumps' own JSON.parse (${(parse.innerMs / 1000).toFixed(1)} s) in the floor: ${(100 * results.ingest.ratioWithDumpParse).toFixed(0)}%`);
  const stages = await ingestStages(dirA, path.join(tmp, 'stages.db'), Math.min(snapshots, 200));
  results.ingest.stagesMsPerSnapshot = stages;
  log(`stages   per snapshot, one thread: ${Object.entries(stages).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}`);
  const [prepareMs, writeMs] = [Object.values(stages).slice(0, 3).reduce((a, b) => a + b, 0), stages['insert+commit']];
  log(`         nsnap ingest prepares on a worker thread (${prepareMs.toFixed(1)} ms) while its main thread writes (${writeMs.toFixed(1)} ms)`);
  log(`         database ${mib(ing.bytes)}: ${(ing.bytes / ing.snapshots / 1024).toFixed(0)} KiB per snapshot (bundle: ${(storedA / snapshots / 1024).toFixed(0)} KiB gzip)`);

  // The whois database: W small snapshots, plus two big ones of another host for peers and diff.
  const dirW = path.join(tmp, 'whois');
  t0 = performance.now();
  const hostW = new SimHost(parts, { label: 'node-2', namespaces: whoisNamespaces, churn, seed: 2, start: '2026-10-01T00:00:00Z' });
  let probe = null;
  await writeSnapshots(hostW, dirW, whoisSnapshots, (bundle, i) => {
    if (i === Math.floor(whoisSnapshots / 2)) probe = { ifname: hostW.current[0].veth, at: new Date(Date.parse(bundle.takenAt.start) + 60_000).toISOString() };
  });
  const hostB = new SimHost(parts, { label: 'big-1', namespaces: big, churn, seed: 3, start: '2026-11-29T10:00:00Z' });
  const bigIds = [];
  await writeSnapshots(hostB, dirW, 2, (bundle) => bigIds.push(bundle.snapshotId));
  const genW = since(t0);
  const storedW = dirBytes(dirW);
  log(`generated ${whoisSnapshots} snapshots × ${whoisNamespaces} namespaces + 2 × ${big} in ${(genW / 1000).toFixed(1)} s, ${mib(storedW)} gzip`);
  const dbW = path.join(tmp, 'whois.db');
  const ingW = ingest(dbW, dirW);
  log(`ingest   ${ingW.snapshots} snapshots, ${ingW.interfaces} interfaces in ${(ingW.ms / 1000).toFixed(1)} s: ${(ingW.interfaces / (ingW.ms / 1000)).toFixed(0)} interfaces/s; database ${mib(ingW.bytes)}, ${(ingW.bytes / ingW.snapshots / 1024).toFixed(0)} KiB per snapshot`);

  const [fromId, toId] = bigIds;
  const any = /\S/;
  const t = timeCommands(['-e', '0'], {
    version: { args: ['--version'], expect: any },
    peers: { args: ['--db', dbW, 'peers', '--host', 'big-1', '--snapshot', toId], expect: any },
    peersJson: { args: ['--db', dbW, 'peers', '--host', 'big-1', '--snapshot', toId, '--json'], expect: any },
    ...(has('diff') ? { diff: { args: ['--db', dbW, 'diff', '--host', 'big-1', fromId, toId], expect: any } } : {}),
    ...(has('whois') ? { whois: { args: ['--db', dbW, 'whois', probe.ifname, '--at', probe.at, '--host', 'node-2'], expect: new RegExp(`^${probe.ifname} #\\d+ veth.*⇄ eth0`, 'm') } } : {}),
  });
  const nodeStart = t.node.ms;
  const version = t.version;
  const q = { nodeStartMs: nodeStart, versionMs: version.ms, peers: t.peers, peersJson: t.peersJson, diff: t.diff, whois: t.whois };
  results.queries = { ...q, whoisProbe: probe, whoisDbSnapshots: ingW.snapshots, whoisDbBytesPerSnapshot: ingW.bytes / ingW.snapshots, whoisIngestMs: ingW.ms, whoisIngestInterfaces: ingW.interfaces };
  log(`start    node -e 0 ${nodeStart.toFixed(0)} ms, nsnap --version ${version.ms.toFixed(0)} ms (medians of ${runs} rounds, each command once a round, timed from a small process; this one holds ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
  // What a command costs above loading the CLI (`--version`) is its own work: the query, rendering, the modules only it loads.
  const show = (name, r, target) =>
    log(`${name.padEnd(8)} ${r.ms.toFixed(0)} ms median (min ${r.min.toFixed(0)}), --version + ${(r.ms - version.ms).toFixed(0)} ms, ${r.lines} lines${target ? ` (target ≤ ${target} ms: ${r.ms <= target ? 'met' : 'missed'})` : ''}`);
  show('peers', q.peers, 100);
  show('peers --json', q.peersJson);
  if (q.diff) show('diff', q.diff, 100);
  else log('diff     not in this nsnap yet');
  if (q.whois) show('whois', q.whois, 100);
  else log('whois    not in this nsnap yet');
  console.log(JSON.stringify(results));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
