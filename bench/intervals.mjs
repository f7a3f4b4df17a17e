#!/usr/bin/env node
// Facts as intervals (issue #17): database bytes and query times against the
// per-snapshot layout of schema 4, measured in the same run. Bundles come from
// bench/analyzer-bundles.mjs (one real collector run cloned into a docker-like
// host whose containers come and go). The schema-4 database is the same facts
// written out per snapshot (every span row once for each snapshot it holds at,
// with schema 4's tables and indexes, and each interface's raw JSON read back
// from its bundle, as schema 4 stored it), so both hold the same answers.
//   unchanged  bytes an unchanged N-namespace snapshot adds (target ≤ 5 KB)
//   size       S snapshots × N namespaces at C churn: database bytes against
//              schema 4's (target ≤ 1/5) and the gzip bundles' (target ≤ 1)
//   history    `history` and `whois --all` over W snapshots (target ≤ 1 s), each
//              in a process of its own (bench/history-walk.mjs; median of R), and
//              against schema 4 read snapshot by snapshot over the first K of
//              them (K = --v4-snapshots, W by default: schema 4 at 10,000 is GBs);
//              and both commands through the CLI, Node's start and output included
//   queries    `peers`, `diff`, `whois --at` on the newest snapshot of the size
//              run, in process, median of R rounds, both layouts (target ≤ 100 ms)
//   ingest     `nsnap ingest` per snapshot, and against the floor of reading,
//              gunzipping and parsing the same bundles (target ≥ 55%); in process,
//              the same bundles into both layouts, and a huge snapshot that changes
//              everything (H namespaces, churn 100%) into both layouts
// Bundles of the unchanged and size runs carry what today's collector adds: each
// namespace's routes, rules and neighbours, and runtime names for its container.
// A JSON line with every figure ends the output.
// Usage (root: the template is a real collector run over real namespaces):
//   node bench/intervals.mjs [--snapshots 2000] [--namespaces 100] [--whois-snapshots 10000]
//     [--whois-namespaces 20] [--v4-snapshots K] [--churn 0.05] [--runs 5] [--huge-namespaces 1000]
//   history and whois --all alone at 10,000 (the other parts kept small):
//   node bench/intervals.mjs --snapshots 20 --namespaces 10 --whois-snapshots 10000 --v4-snapshots 1000
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
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
const whoisSnapshots = Number(opt('--whois-snapshots', '10000'));
const whoisNamespaces = Number(opt('--whois-namespaces', '20'));
const v4Snapshots = Math.min(whoisSnapshots, Number(opt('--v4-snapshots', String(whoisSnapshots))));
const churn = Number(opt('--churn', '0.05'));
const runs = Number(opt('--runs', '5'));
const hugeNamespaces = Number(opt('--huge-namespaces', '1000'));
const collector = path.join(root, 'collector/dist/nsnap-collect.mjs');
const bin = path.join(root, 'analyzer/dist/nsnap.cjs');
const Sqlite = createRequire(path.join(root, 'analyzer/package.json'))('better-sqlite3');
const dist = (m) => import(path.join(root, 'analyzer/dist', m));
const { bundleKey } = await import(path.join(root, 'shared/dist/index.js'));
const { migrate } = await dist('db/migrate.js');
const { MIGRATIONS } = await dist('db/migrations.js');
const { SPAN_TABLES, holdsAt } = await dist('db/intervals.js');
const { findBundles } = await dist('ingest/find-bundles.js');
const { normalizeBundle } = await dist('ingest/normalize.js');
const { unpackBundle, parseUnpacked } = await dist('ingest/read-bundle.js');
const { routingRows } = await dist('ingest/routing-rows.js');
const { meteredParser, parsedOnce } = await dist('ingest/work-budget.js');
const { snapshotInserter } = await dist('ingest/insert-snapshot.js');
const { toDbText } = await import(path.join(root, 'shared/dist/index.js'));
const { selectSnapshot } = await dist('query/select.js');
const { peersOf } = await dist('query/peers.js');
const { diffSelected } = await dist('query/diff-snapshots.js');
const { whoisAt } = await dist('query/whois.js');

if (process.getuid?.() !== 0) {
  console.error('bench/intervals needs root: its bundle template is a real collector run over namespaces it builds');
  process.exit(2);
}
const V4 = MIGRATIONS.findIndex((m) => m.name === 'facts stored as intervals of snapshots');
const V7 = MIGRATIONS.findIndex((m) => m.name === 'routing lists and runtime names stored as intervals of snapshots');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-bench-intervals-'));
process.on('SIGINT', () => {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});
const since = (t0) => performance.now() - t0;
const log = (text) => console.log(text);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dirBytes = (dir) => readdirSync(dir, { recursive: true, withFileTypes: true }).reduce((n, e) => n + (e.isFile() ? statSync(path.join(e.parentPath, e.name)).size : 0), 0);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function ingest(db, dir) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, '--db', db, 'ingest', '--quiet', dir], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nsnap ingest failed: ${r.stderr}`);
  return since(t0);
}

/** The bytes a database needs, written compactly (VACUUM INTO), so that both layouts are measured alike. */
function compactBytes(db) {
  const out = path.join(tmp, `compact-${path.basename(db)}`);
  rmSync(out, { force: true });
  const d = new Sqlite(db, { readonly: true });
  d.prepare('VACUUM INTO ?').run(out);
  d.close();
  const bytes = statSync(out).size;
  rmSync(out, { force: true });
  return bytes;
}

/**
 * Schema 4's database of the same facts: every span row written once per snapshot it holds at, ids
 * made unique per snapshot as schema 4 had them (snapshot × 10^7 + the span's or key's id).
 */
function writeV4(source, target, dir) {
  rmSync(target, { force: true });
  const db = new Sqlite(target);
  migrate(db, MIGRATIONS.slice(0, V4));
  // And the per-snapshot tables of migrations 6 and 7 (routing lists, runtime names) as they were before migration 8.
  for (const m of MIGRATIONS.slice(V4 + 1, V7)) db.exec(m.sql);
  db.pragma('foreign_keys = OFF');
  db.prepare('ATTACH DATABASE ? AS n').run(source);
  db.exec('CREATE INDEX n.bench_container_spans ON container_spans(host, container_id)');
  const ID = 10_000_000;
  const per = (t, cols, extra = '') =>
    `SELECT s.id AS snapshot, ${cols} FROM n.${t} x CROSS JOIN n.snapshots s WHERE s.host = x.host AND ${holdsAt('x', 's.taken_at', 's.id')} ${extra}`;
  const container = `(SELECT s.id * ${ID} + c.id FROM n.container_spans c WHERE c.host = x.host AND c.container_id = x.container_id AND c.runtime = x.container_runtime
    AND c.netns IS x.netns AND ${holdsAt('c', 's.taken_at', 's.id')})`;
  const iface = SPAN_TABLES.interfaces.columns.filter((c) => c !== 'iface');
  const t0 = performance.now();
  db.transaction(() => {
    for (const t of ['hosts', 'snapshots', 'snapshot_tags', 'probes', 'gaps', 'ingest_log']) db.exec(`INSERT INTO ${t} SELECT * FROM n.${t}`);
    db.exec(`INSERT INTO namespaces ${per('namespace_spans', 'x.inode, x.is_host, x.captured, x.problem, x.entered_via, x.entered_path')}`);
    db.exec(`INSERT INTO handles (snapshot, netns, kind, path, name, error) ${per('handle_spans', 'x.netns, x.kind, x.path, x.name, x.error')}`);
    db.exec(`INSERT INTO containers (snapshot, id, netns, runtime, container_id, pod_uid, cgroup_version)
      ${per('container_spans', `s.id * ${ID} + x.id, x.netns, x.runtime, x.container_id, x.pod_uid, x.cgroup_version`)}`);
    db.exec(`INSERT INTO processes (snapshot, pid, netns, netns_error, comm, start_time, container)
      ${per('process_spans', `x.pid, x.netns, x.netns_error, x.comm, x.start_time, CASE WHEN x.container_id IS NULL THEN NULL ELSE ${container} END`)}`);
    db.exec(`INSERT INTO interfaces (snapshot, id, ${iface.join(', ')}, raw) ${per('interface_spans', `s.id * ${ID} + x.iface, ${iface.map((c) => `x.${c}`).join(', ')}, ''`)}`);
    db.exec(`INSERT INTO links (snapshot, id, relation, a, b, status, method, detail)
      ${per('link_spans', `s.id * ${ID} + x.id, x.relation, s.id * ${ID} + x.a, s.id * ${ID} + x.b, x.status, x.method, x.detail`)}`);
    db.exec(`INSERT INTO link_candidates (link, interface) SELECT s.id * ${ID} + x.id, s.id * ${ID} + j.value
      FROM n.link_spans x CROSS JOIN n.snapshots s JOIN json_each(x.candidates) j WHERE s.host = x.host AND ${holdsAt('x', 's.taken_at', 's.id')}`);
    db.exec(`INSERT INTO nsids ${per('nsid_spans', 'x.observer, x.nsid, x.target, x.method')}`);
    db.exec('INSERT INTO routing_sets SELECT * FROM n.routing_sets');
    db.exec('INSERT INTO routing_entries SELECT * FROM n.routing_entries');
    db.exec(`INSERT INTO namespace_routing ${per('routing_spans', 'x.netns, x.kind, x.routing_set')}`);
    db.exec(`INSERT INTO runtime_pods (snapshot, pod_uid, namespace, name) ${per('runtime_pod_spans', 'x.pod_uid, x.namespace, x.name')}`);
    db.exec(`INSERT INTO runtime_containers (snapshot, source, container_id, name, image, pod_uid, pod_namespace, pod_name)
      ${per('runtime_container_spans', 'x.source, x.container_id, x.name, x.image, x.pod_uid, x.pod_namespace, x.pod_name')}`);
  })();
  // Schema 4 kept each interface's raw JSON in every snapshot (schema 5 keeps it in the bundle only).
  const row = db.prepare('SELECT id FROM snapshots WHERE snapshot_id = ?').pluck();
  const setRaw = db.prepare('UPDATE interfaces SET raw = ? WHERE snapshot = ? AND netns = ? AND ifindex = ?');
  db.transaction(() => {
    for (const file of findBundles(dir).files) {
      const rows = normalizeBundle(parseUnpacked(unpackBundle(readFileSync(file))).bundle);
      const id = row.get(rows.bundle.snapshotId);
      for (const { netns, link } of rows.interfaces) setRaw.run(link.raw, id, netns, link.ifindex);
    }
  })();
  db.exec('DROP INDEX n.bench_container_spans');
  db.exec('DETACH DATABASE n');
  // Selections ask which snapshots were forgotten: schema 4 kept no record, so none.
  db.exec('CREATE TABLE forgotten (host TEXT NOT NULL, snapshot_id TEXT NOT NULL, taken_at TEXT NOT NULL) STRICT');
  db.exec('ANALYZE');
  db.close();
  return since(t0);
}

/** Read + gunzip + JSON.parse of every bundle: what any ingest pays before it writes. */
function readFloor(dir) {
  const t0 = performance.now();
  for (const file of findBundles(dir).files) JSON.parse(gunzipSync(readFileSync(file)));
  return since(t0);
}

/** Schema 4's inserter (test/support/v4-inserter.ts, frozen), compiled once for this run. */
async function v4Inserter() {
  const { buildSync } = createRequire(path.join(root, 'collector/package.json'))('esbuild');
  const out = path.join(tmp, 'v4-inserter.mjs');
  buildSync({ entryPoints: [path.join(root, 'test/support/v4-inserter.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error', nodePaths: [path.join(root, 'test/node_modules')] });
  return (await import(out)).insertV4;
}

/** Routing lists and runtime names as migrations 6 and 7 stored them beside schema 4's facts: rows per snapshot. */
function perSnapshotNames(db) {
  const s = {
    find: db.prepare('SELECT id FROM routing_sets WHERE kind = ? AND sha256 = ?').pluck(),
    set: db.prepare('INSERT INTO routing_sets (kind, sha256, entries) VALUES (?, ?, ?)'),
    entry: db.prepare('INSERT INTO routing_entries (routing_set, position, key, text) VALUES (?, ?, ?, ?)'),
    use: db.prepare('INSERT OR IGNORE INTO namespace_routing (snapshot, netns, kind, routing_set) VALUES (?, ?, ?, ?)'),
    pod: db.prepare('INSERT INTO runtime_pods (snapshot, pod_uid, namespace, name) VALUES (?, ?, ?, ?)'),
    container: db.prepare('INSERT INTO runtime_containers (snapshot, source, container_id, name, image, pod_uid, pod_namespace, pod_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
  };
  const text = (v) => (v === null || v === undefined ? null : toDbText(v));
  return (snapshot, bundle, routing) => {
    for (const r of routing) {
      let id = s.find.get(r.kind, r.sha256);
      if (id === undefined) {
        id = Number(s.set.run(r.kind, r.sha256, r.entries.length).lastInsertRowid);
        r.entries.forEach((e, i) => s.entry.run(id, i, toDbText(e.key), toDbText(e.text)));
      }
      s.use.run(snapshot, r.netns, r.kind, id);
    }
    for (const p of bundle.runtimeNames?.pods ?? []) s.pod.run(snapshot, toDbText(p.uid), text(p.namespace), text(p.name));
    for (const c of bundle.runtimeNames?.containers ?? []) s.container.run(snapshot, c.source, toDbText(c.id), text(c.name), text(c.image), text(c.pod?.uid), text(c.pod?.namespace), text(c.pod?.name));
  };
}

/** A database file as `nsnap` opens one for writing (open.ts): WAL, foreign keys on. */
function writable(file, layout) {
  rmSync(file, { force: true });
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  if (layout === 'intervals') migrate(db);
  else {
    migrate(db, MIGRATIONS.slice(0, V4));
    for (const m of MIGRATIONS.slice(V4 + 1, V7)) db.exec(m.sql);
  }
  return db;
}

/**
 * The same bundles ingested in process into each layout, each bundle read, unpacked, parsed,
 * normalized and inserted in its own transaction as `nsnap ingest` does; returns ms per layout.
 */
function ingestLayouts(dir, insertV4, name) {
  const files = findBundles(dir).files;
  const out = {};
  for (const layout of ['intervals', 'v4']) {
    const db = writable(path.join(tmp, `ingest-${name}-${layout}.db`), layout);
    const inserter = layout === 'intervals' ? snapshotInserter(db) : null;
    const names = layout === 'v4' ? perSnapshotNames(db) : null;
    const at = new Date().toISOString();
    const t0 = performance.now();
    for (const file of files) {
      const u = unpackBundle(readFileSync(file));
      const { bundle } = parseUnpacked(u);
      const parse = parsedOnce(meteredParser());
      const rows = normalizeBundle(bundle, parse);
      const routing = routingRows(bundle, parse).rows;
      db.transaction(() => {
        if (inserter) inserter.insert(rows, u.contentSha256, u.json.byteLength, at, routing);
        else names(insertV4(db, rows, u.contentSha256, u.json.byteLength, at), bundle, routing);
      }).immediate();
    }
    out[layout] = since(t0);
    db.close();
  }
  return out;
}

const open = (file) => new Sqlite(file, { readonly: true });
const timeMedian = (f) => {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    xs.push(since(t0));
  }
  return median(xs);
};

const results = { machine: { cpus: os.availableParallelism(), node: process.version }, params: { snapshots, namespaces, whoisSnapshots, whoisNamespaces, v4Snapshots, churn, runs } };
try {
  const parts = templateParts(await captureTemplate(collector));

  // Unchanged snapshots: 1, then 1 + K, of a host with no churn.
  const K = 50;
  const dirU = path.join(tmp, 'unchanged');
  await writeSnapshots(new SimHost(parts, { label: 'still-1', namespaces, churn: 0, seed: 4, start: '2026-11-01T00:00:00Z' }), dirU, K + 1, withNames);
  const files = findBundles(dirU).files.sort();
  const dbU = path.join(tmp, 'unchanged.db');
  const first = path.join(tmp, 'unchanged-first');
  spawnSync('mkdir', ['-p', first]);
  spawnSync('cp', [files[0], first]);
  ingest(dbU, first);
  const one = compactBytes(dbU);
  ingest(dbU, dirU);
  const more = compactBytes(dbU);
  results.unchanged = { bytesPerSnapshot: (more - one) / K, gzipBytesPerSnapshot: dirBytes(dirU) / (K + 1) };
  log(`unchanged  a ${namespaces}-namespace snapshot that changes nothing, with routing lists and runtime names, adds ${kib(results.unchanged.bytesPerSnapshot)} (target ≤ 5 KB; its bundle: ${kib(results.unchanged.gzipBytesPerSnapshot)} gzip)`);

  // Size: S snapshots × N namespaces at churn C.
  const dirS = path.join(tmp, 'size');
  const hostS = new SimHost(parts, { label: 'node-1', namespaces, churn, seed: 1, start: '2026-11-01T00:00:00Z' });
  await writeSnapshots(hostS, dirS, snapshots, withNames);
  const gzip = dirBytes(dirS);
  const dbS = path.join(tmp, 'size.db');
  const ingestMs = ingest(dbS, dirS);
  const floorMs = readFloor(dirS);
  const dbV4 = path.join(tmp, 'size-v4.db');
  writeV4(dbS, dbV4, dirS);
  const bytes = compactBytes(dbS);
  const bytesV4 = compactBytes(dbV4);
  results.size = { bytes, bytesV4, gzip, ofV4: bytes / bytesV4, ofGzip: bytes / gzip };
  results.ingest = { msPerSnapshot: ingestMs / snapshots, floorMsPerSnapshot: floorMs / snapshots, floorOverIngest: floorMs / ingestMs };
  log(`size       ${snapshots} snapshots × ${namespaces} namespaces, churn ${churn * 100}%: ${mib(bytes)}; schema 4 ${mib(bytesV4)} (${(100 * results.size.ofV4).toFixed(1)}%, target ≤ 20%); gzip bundles ${mib(gzip)} (${(100 * results.size.ofGzip).toFixed(0)}%, target ≤ 100%)`);
  log(`ingest     ${results.ingest.msPerSnapshot.toFixed(1)} ms per snapshot; read+gunzip+parse alone ${results.ingest.floorMsPerSnapshot.toFixed(1)} ms (${(100 * results.ingest.floorOverIngest).toFixed(0)}% of ingest, target ≥ 55%)`);

  // In process, the same bundles into both layouts; then a huge host whose every container is new in every snapshot.
  const insertV4 = await v4Inserter();
  const inProcess = ingestLayouts(dirS, insertV4, 'size');
  const dirH = path.join(tmp, 'huge');
  const HUGE = 6;
  await writeSnapshots(new SimHost(parts, { label: 'huge-1', namespaces: hugeNamespaces, churn: 1, seed: 5, start: '2026-11-01T00:00:00Z' }), dirH, HUGE, withNames);
  const huge = ingestLayouts(dirH, insertV4, 'huge');
  const hugeFloor = readFloor(dirH);
  const throughput = (ms, count) => count / (ms / 1000);
  results.ingestLayouts = {
    size: { perSecond: throughput(inProcess.intervals, snapshots), v4PerSecond: throughput(inProcess.v4, snapshots), ofV4: inProcess.v4 / inProcess.intervals, floorOverIngest: floorMs / inProcess.intervals },
    huge: { namespaces: hugeNamespaces, snapshots: HUGE, msPerSnapshot: huge.intervals / HUGE, v4MsPerSnapshot: huge.v4 / HUGE, ofV4: huge.v4 / huge.intervals, floorOverIngest: hugeFloor / huge.intervals },
  };
  const L = results.ingestLayouts;
  log(`ingest     in process, ${snapshots} snapshots: ${L.size.perSecond.toFixed(0)} snapshots/s; schema 4 ${L.size.v4PerSecond.toFixed(0)}/s (${(100 * L.size.ofV4).toFixed(0)}% of its throughput); floor ${(100 * L.size.floorOverIngest).toFixed(0)}% of ingest`);
  log(`ingest     a ${hugeNamespaces}-namespace snapshot that changes everything: ${L.huge.msPerSnapshot.toFixed(0)} ms; schema 4 ${L.huge.v4MsPerSnapshot.toFixed(0)} ms (${(100 * L.huge.ofV4).toFixed(0)}% of its throughput); floor ${(100 * L.huge.floorOverIngest).toFixed(0)}% of ingest`);

  // Queries on the newest snapshot of the size run, both layouts, in process.
  const queries = {};
  for (const [layout, file] of [['intervals', dbS], ['v4', dbV4]]) {
    const db = open(file);
    const latest = selectSnapshot(db, { snapshot: 'latest', host: 'node-1' });
    const before = selectSnapshot(db, { snapshot: 'latest~1', host: 'node-1' });
    const name = peersOf(db, latest).pairs[0].a.ifname;
    queries[layout] = {
      peers: timeMedian(() => peersOf(db, latest)),
      diff: timeMedian(() => diffSelected(db, before, latest)),
      whoisAt: timeMedian(() => whoisAt(db, name, { at: latest.takenAt, host: 'node-1' })),
    };
    db.close();
  }
  results.queries = queries;
  for (const q of ['peers', 'diff', 'whoisAt']) log(`${q.padEnd(10)} ${queries.intervals[q].toFixed(1)} ms; schema 4 ${queries.v4[q].toFixed(1)} ms (target ≤ 100 ms)`);

  // history and whois --all over W snapshots; both layouts over the first K of them (schema 4 at
  // 10,000 snapshots is gigabytes: --v4-snapshots measures it, and the new layout again, at fewer).
  const dirW = path.join(tmp, 'whois');
  const dirK = path.join(tmp, 'whois-first');
  const hostW = new SimHost(parts, { label: 'node-2', namespaces: whoisNamespaces, churn, seed: 2, start: '2026-10-01T00:00:00Z' });
  const probeAt = Math.floor(Math.min(whoisSnapshots, v4Snapshots) / 2);
  let probe = null;
  const firstK = [];
  await writeSnapshots(hostW, dirW, whoisSnapshots, (bundle, i) => {
    if (i === probeAt) probe = hostW.current[0].veth;
    if (i < v4Snapshots) firstK.push(bundleKey({ host: bundle.host.label, takenAt: bundle.takenAt.start, snapshotId: bundle.snapshotId }));
  });
  const dbW = path.join(tmp, 'whois.db');
  ingest(dbW, dirW);
  let dbK = dbW;
  if (v4Snapshots < whoisSnapshots) {
    for (const key of firstK) {
      mkdirSync(path.dirname(path.join(dirK, key)), { recursive: true });
      copyFileSync(path.join(dirW, key), path.join(dirK, key));
    }
    dbK = path.join(tmp, 'whois-first.db');
    ingest(dbK, dirK);
  }
  const dbWv4 = path.join(tmp, 'whois-v4.db');
  writeV4(dbK, dbWv4, v4Snapshots < whoisSnapshots ? dirK : dirW);
  // Each walk in a process of its own (bench/history-walk.mjs), as a user's nsnap runs it, R times,
  // the layouts in turn within a round so that the machine's drift touches them alike.
  const layouts = [['intervals', dbW], ...(dbK !== dbW ? [['intervalsAtV4', dbK]] : []), ['v4', dbWv4]];
  const walks = Object.fromEntries(layouts.map(([layout]) => [layout, []]));
  for (let r = 0; r < runs; r++) {
    for (const [layout, file] of layouts) {
      const walk = (mode) => {
        const p = spawnSync(process.execPath, [path.join(root, 'bench/history-walk.mjs'), mode, file, 'node-2', probe, ...(layout === 'v4' ? ['--per-snapshot'] : [])], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (p.status !== 0) throw new Error(`bench/history-walk.mjs ${mode} ${layout} exited ${p.status}: ${p.stderr}`);
        return JSON.parse(p.stdout);
      };
      walks[layout].push({ ...walk('history'), ...walk('whois') });
    }
  }
  const history = {};
  for (const [layout] of layouts) {
    const w = walks[layout];
    history[layout] = {
      snapshots: w[0].steps + 1,
      historyMs: median(w.map((x) => x.historyMs)),
      historyMsAll: w.map((x) => Math.round(x.historyMs)),
      steps: w[0].steps,
      whoisAllMs: median(w.map((x) => x.whoisAllMs)),
      whoisAllWarmMs: median(w.map((x) => x.whoisAllWarmMs)),
      periods: w[0].periods,
    };
  }
  // And the commands themselves, Node's start and the output included (bench/analyzer-time.mjs).
  const timer = spawnSync(process.execPath, [path.join(root, 'bench/analyzer-time.mjs')], {
    input: JSON.stringify({ runs, commands: { node: [process.execPath, '-e', '0'], history: [process.execPath, bin, '--db', dbW, 'history', '--host', 'node-2', '--json'], whoisAll: [process.execPath, bin, '--db', dbW, 'whois', probe, '--all', '--host', 'node-2', '--json'] } }),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (timer.status !== 0) throw new Error(`bench/analyzer-time.mjs exited ${timer.status}: ${timer.stderr}`);
  const cli = Object.fromEntries(Object.entries(JSON.parse(timer.stdout)).map(([k, xs]) => [k, median(xs)]));
  results.history = history;
  results.historyCli = cli;
  const same = history.intervalsAtV4 ?? history.intervals;
  log(`history    ${whoisSnapshots} snapshots × ${whoisNamespaces} namespaces: ${history.intervals.historyMs.toFixed(0)} ms (target ≤ 1000 ms; median of ${runs} processes: ${history.intervals.historyMsAll.join(', ')})`);
  log(`           the command: ${cli.history.toFixed(0)} ms with Node's start and the JSON out (\`node -e 0\` ${cli.node.toFixed(0)} ms)`);
  log(`           at ${history.v4.snapshots} snapshots: ${same.historyMs.toFixed(0)} ms; schema 4 ${history.v4.historyMs.toFixed(0)} ms (${(same.historyMs / history.v4.historyMs).toFixed(2)}×)`);
  log(`whois --all ${probe} over ${whoisSnapshots} snapshots: ${history.intervals.whoisAllMs.toFixed(1)} ms its first call, ${history.intervals.whoisAllWarmMs.toFixed(1)} ms warm (target ≤ 1000 ms; ${history.intervals.periods} periods); the command ${cli.whoisAll.toFixed(0)} ms`);
  log(`           at ${history.v4.snapshots} snapshots, warm: ${same.whoisAllWarmMs.toFixed(1)} ms; schema 4 ${history.v4.whoisAllWarmMs.toFixed(1)} ms (${(same.whoisAllWarmMs / history.v4.whoisAllWarmMs).toFixed(2)}×, target ≤ 1×); first calls ${same.whoisAllMs.toFixed(1)} and ${history.v4.whoisAllMs.toFixed(1)} ms`);
  console.log(JSON.stringify(results));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
