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
//   history    `history` and `whois --all` over W snapshots (target ≤ 1 s), and
//              against schema 4 read snapshot by snapshot over the first K of
//              them (K = --v4-snapshots, W by default: schema 4 at 10,000 is GBs)
//   queries    `peers`, `diff`, `whois --at` on the newest snapshot of the size
//              run, in process, median of R rounds, both layouts (target ≤ 100 ms)
//   ingest     `nsnap ingest` per snapshot, and against the floor of reading,
//              gunzipping and parsing the same bundles
// A JSON line with every figure ends the output.
// Usage (root: the template is a real collector run over real namespaces):
//   node bench/intervals.mjs [--snapshots 2000] [--namespaces 100] [--whois-snapshots 10000]
//     [--whois-namespaces 20] [--v4-snapshots K] [--churn 0.05] [--runs 5]
//   history and whois --all alone at 10,000 (the other parts kept small):
//   node bench/intervals.mjs --snapshots 20 --namespaces 10 --whois-snapshots 10000 --v4-snapshots 1000
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { SimHost, captureTemplate, templateParts, writeSnapshots } from './analyzer-bundles.mjs';

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
const { selectSnapshot } = await dist('query/select.js');
const { peersOf } = await dist('query/peers.js');
const { diffSelected, loadForDiff } = await dist('query/diff-snapshots.js');
const { whoisAt, whoisAll } = await dist('query/whois.js');
const { nameHistoryPerSnapshot } = await dist('query/whois-history.js');
const { historyRange, walkHistory } = await dist('query/history.js');

if (process.getuid?.() !== 0) {
  console.error('bench/intervals needs root: its bundle template is a real collector run over namespaces it builds');
  process.exit(2);
}
const V4 = MIGRATIONS.findIndex((m) => m.name === 'facts stored as intervals of snapshots');

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
  // Routes and runtime names (migrations 6 and 7) were per-snapshot tables beside schema 4's facts: the
  // same rows, read through the names and columns the queries read, so both layouts answer alike.
  for (const m of MIGRATIONS.filter((m) => m.version === 6 || m.version === 7)) db.exec(m.sql);
  db.transaction(() => {
    db.exec('INSERT INTO routing_sets (id, kind, sha256, entries) SELECT id, kind, sha256, entries FROM n.routing_sets');
    db.exec('INSERT INTO routing_entries (routing_set, position, key, text) SELECT routing_set, position, key, text FROM n.routing_entries');
    db.exec('INSERT INTO namespace_routing (snapshot, netns, kind, routing_set) SELECT snapshot, netns, kind, routing_set FROM n.namespace_routing');
    db.exec('INSERT INTO runtime_pods (snapshot, pod_uid, namespace, name) SELECT snapshot, pod_uid, namespace, name FROM n.runtime_pods');
    db.exec(`INSERT INTO runtime_containers (snapshot, source, container_id, name, image, pod_uid, pod_namespace, pod_name)
      SELECT snapshot, source, container_id, name, image, pod_uid, pod_namespace, pod_name FROM n.runtime_containers`);
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
  await writeSnapshots(new SimHost(parts, { label: 'still-1', namespaces, churn: 0, seed: 4, start: '2026-11-01T00:00:00Z' }), dirU, K + 1);
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
  log(`unchanged  a ${namespaces}-namespace snapshot that changes nothing adds ${kib(results.unchanged.bytesPerSnapshot)} (target ≤ 5 KB; its bundle: ${kib(results.unchanged.gzipBytesPerSnapshot)} gzip)`);

  // Size: S snapshots × N namespaces at churn C.
  const dirS = path.join(tmp, 'size');
  const hostS = new SimHost(parts, { label: 'node-1', namespaces, churn, seed: 1, start: '2026-11-01T00:00:00Z' });
  await writeSnapshots(hostS, dirS, snapshots);
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
  log(`ingest     ${results.ingest.msPerSnapshot.toFixed(1)} ms per snapshot; read+gunzip+parse alone ${results.ingest.floorMsPerSnapshot.toFixed(1)} ms (${(100 * results.ingest.floorOverIngest).toFixed(0)}% of ingest)`);

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
  const history = {};
  const layouts = [['intervals', dbW], ...(dbK !== dbW ? [['intervalsAtV4', dbK]] : []), ['v4', dbWv4]];
  for (const [layout, file] of layouts) {
    const db = open(file);
    let t0 = performance.now();
    const range = historyRange(db, 'node-2', null, null).snapshots;
    let steps = 0;
    // Schema 4 has no intervals: every snapshot loaded, as nsnap did before.
    const states = layout === 'v4' ? (function* () { for (const ref of range) yield loadForDiff(db, ref, false); })() : undefined;
    walkHistory(db, range, { verbose: false, withOwners: false }, () => (steps += 1), states);
    const historyMs = since(t0);
    const whois = () => whoisAll(db, probe, 'node-2', undefined, layout === 'v4' ? nameHistoryPerSnapshot : undefined);
    const periods = whois().periods.length;
    history[layout] = { snapshots: range.length, historyMs, steps, whoisAllMs: timeMedian(whois), periods };
    db.close();
  }
  results.history = history;
  const same = history.intervalsAtV4 ?? history.intervals;
  log(`history    ${whoisSnapshots} snapshots × ${whoisNamespaces} namespaces: ${history.intervals.historyMs.toFixed(0)} ms (target ≤ 1000 ms)`);
  log(`           at ${history.v4.snapshots} snapshots: ${same.historyMs.toFixed(0)} ms; schema 4 ${history.v4.historyMs.toFixed(0)} ms (${(same.historyMs / history.v4.historyMs).toFixed(2)}×)`);
  log(`whois --all ${probe} over ${whoisSnapshots} snapshots: ${history.intervals.whoisAllMs.toFixed(1)} ms (target ≤ 1000 ms; ${history.intervals.periods} periods)`);
  log(`           at ${history.v4.snapshots} snapshots: ${same.whoisAllMs.toFixed(1)} ms; schema 4 ${history.v4.whoisAllMs.toFixed(1)} ms (${(same.whoisAllMs / history.v4.whoisAllMs).toFixed(2)}×, target ≤ 1×)`);
  console.log(JSON.stringify(results));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
