#!/usr/bin/env node
// Lake benchmark (issue #20). Synthetic snapshots (test/support/bundle-builder.ts) of a Kubernetes-like
// fleet: H hosts, each with N pod namespaces (eth0 with an address, a host veth on cni0, a pause and an
// app process in a kubepods cgroup), one snapshot every 5 minutes, C churn (pods replaced by new ones
// with new inodes, ifindexes, addresses and ids), a 30% churn during the "10:00 deploy", a kernel
// upgrade half-way on even hosts after which each snapshot has one leaked veth. Then:
//   bundles   gzip JSON bytes per snapshot, as the collector stores them
//   ingest    `nsnap ingest` into SQLite: database bytes per snapshot
//   export    `nsnap export` from the database and `--from` the bundles: rows/s, Parquet bytes per snapshot
//   writers   hyparquet-writer (what export uses) vs DuckDB's COPY … TO parquet, on the same interfaces rows
//   queries   DuckDB over the lake, the five fleet questions of docs/fleet.md (median of R runs)
// A JSON line with every figure ends the output.
// Usage: node bench/export.mjs [--snapshots 2000] [--hosts 10] [--namespaces 100] [--churn 0.05] [--runs 3]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const snapshots = Number(opt('--snapshots', '2000'));
const hosts = Number(opt('--hosts', '10'));
const namespaces = Number(opt('--namespaces', '100'));
const churn = Number(opt('--churn', '0.05'));
const runs = Number(opt('--runs', '3'));
/** Keep the bundles, database and lakes in this directory (for profiling) instead of a temporary one. */
const keep = opt('--keep', null);
const bin = path.join(root, 'analyzer/dist/nsnap.cjs');
const perHost = Math.ceil(snapshots / hosts);

const tmp = keep ?? mkdtempSync(path.join(os.tmpdir(), 'nsnap-bench-export-'));
if (keep) mkdirSync(keep, { recursive: true });
process.on('SIGINT', () => {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});

// bundle-builder.ts is TypeScript (the tests' own): esbuild (the collector's dev dependency) makes it a module here.
const { buildSync } = createRequire(path.join(root, 'collector/package.json'))('esbuild');
const builderFile = path.join(tmp, 'bundle-builder.mjs');
buildSync({ entryPoints: [path.join(root, 'test/support/bundle-builder.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', conditions: ['source'], outfile: builderFile, logLevel: 'warning' });
const { BundleBuilder, writeBundle } = await import(pathToFileURL(builderFile).href);

const HOST_NETNS = 4026531840;
const START = Date.parse('2026-11-29T00:00:00Z');
const DEPLOY = [Date.parse('2026-11-29T10:00:00Z'), Date.parse('2026-11-29T10:30:00Z')];
const hex = (n) => randomBytes(n).toString('hex');
const uuid = () => `${hex(4)}-${hex(2)}-4${hex(2).slice(1)}-8${hex(2).slice(1)}-${hex(6)}`;

/** One host's pods over time. */
class Fleet {
  constructor(h) {
    this.h = h;
    this.label = `node-${String(h).padStart(3, '0')}`;
    this.bootId = uuid();
    this.nextInode = 4026532000;
    this.nextIfindex = 10;
    this.nextNsid = 0;
    this.nextPid = 1000;
    this.nextIp = 2;
    this.pods = Array.from({ length: namespaces }, () => this.pod());
  }

  pod() {
    const ip = this.nextIp++;
    return {
      inode: this.nextInode++,
      hostIfindex: this.nextIfindex++,
      nsid: this.nextNsid++,
      veth: `veth${hex(4)}`,
      pids: [this.nextPid++, this.nextPid++],
      podUid: uuid(),
      containers: [hex(32), hex(32)],
      // Each node its own /24 of the pod network, addresses reused after 250 pods, as a CNI hands them out.
      ip: `10.42.${this.h % 256}.${(ip % 250) + 2}`,
    };
  }

  step(t) {
    const share = t >= DEPLOY[0] && t < DEPLOY[1] ? 0.3 : churn;
    for (let i = 0; i < this.pods.length; i++) if (Math.random() < share) this.pods[i] = this.pod();
  }

  bundle(i, t) {
    const upgraded = this.h % 2 === 0 && i >= perHost / 2;
    const b = new BundleBuilder({ host: this.label, takenAt: new Date(t).toISOString(), bootId: this.bootId });
    const hostLinks = [
      { ifindex: 2, ifname: 'ens5', address: `02:00:00:00:${String(this.h % 100).padStart(2, '0')}:01`, addrs: [{ family: 'inet', local: `192.168.${this.h % 256}.10`, prefixlen: 24 }] },
      { ifindex: 3, ifname: 'cni0', kind: 'bridge', addrs: [{ family: 'inet', local: '10.42.0.1', prefixlen: 16 }] },
      ...this.pods.map((p) => ({ ifindex: p.hostIfindex, ifname: p.veth, kind: 'veth', linkIndex: 2, linkNetnsid: p.nsid, master: 'cni0' })),
      // After the upgrade: a veth whose peer namespace nothing holds any more (a leak).
      ...(upgraded ? [{ ifindex: 9, ifname: `vethleak${i % 10}`, kind: 'veth', linkIndex: 2, linkNetnsid: 9999, master: 'cni0' }] : []),
    ];
    b.namespace({ inode: HOST_NETNS, host: true, links: hostLinks });
    b.process({ pid: 1, netns: HOST_NETNS, comm: 'systemd' });
    for (const p of this.pods) {
      b.namespace({ inode: p.inode, binds: [`/run/netns/cni-${p.podUid}`], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: p.hostIfindex, linkNetnsid: 0, addrs: [{ family: 'inet', local: p.ip, prefixlen: 24 }] }] });
      const cg = (c) => `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${p.podUid.replace(/-/g, '_')}.slice/cri-containerd-${c}.scope\n`;
      b.process({ pid: p.pids[0], netns: p.inode, comm: 'pause', cgroup: cg(p.containers[0]) });
      b.process({ pid: p.pids[1], netns: p.inode, comm: 'app', cgroup: cg(p.containers[1]) });
    }
    b.lsns(HOST_NETNS, this.pods.map((p) => ({ inode: p.inode, nsid: p.nsid })));
    // Now and then a process exits while it is read, as on a busy node.
    if (i % 7 === 3) b.gap({ probe: 'proc-scan', subject: '1 pid', reason: 'vanished', detail: `/proc/PID/ns/net unreadable for pid ${this.nextPid + 1}` });
    const bundle = b.build();
    bundle.host.kernelRelease = upgraded ? '6.12.9-amd64' : '6.1.0-18-amd64';
    return bundle;
  }
}

const du = (dir) => {
  let n = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else n += statSync(p).size;
    }
  };
  walk(dir);
  return n;
};
const ms = (t0) => performance.now() - t0;
const run = (argv, what) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  return { ms: ms(t0), stdout: r.stdout };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

try {
  const bundles = path.join(tmp, 'bundles');
  const t0 = performance.now();
  const fleets = Array.from({ length: hosts }, (_, h) => new Fleet(h));
  let made = 0;
  for (let i = 0; i < perHost && made < snapshots; i++) {
    const t = START + i * 300_000;
    for (const f of fleets) {
      if (made >= snapshots) break;
      if (i > 0) f.step(t);
      writeBundle(bundles, f.bundle(i, t));
      made += 1;
    }
  }
  const gzipBytes = du(bundles);
  console.error(`generated ${made} snapshots (${hosts} hosts × ≤${perHost}, ${namespaces} pods each) in ${fmt(ms(t0) / 1000, 1)} s: ${fmt(gzipBytes / made)} B gzip JSON per snapshot`);

  const db = path.join(tmp, 'nsnap.db');
  const ingest = run(['--db', db, 'ingest', bundles, '--quiet'], 'ingest');
  const dbBytes = statSync(db).size;
  console.error(`ingest: ${fmt(ingest.ms / 1000, 1)} s; SQLite ${fmt(dbBytes / made)} B per snapshot`);

  const lake = path.join(tmp, 'lake');
  const exp = run(['--db', db, 'export', '--to', lake, '--json', '--quiet'], 'export');
  const summary = JSON.parse(exp.stdout);
  const rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  const lakeBytes = du(lake);
  console.error(`export from SQLite: ${fmt(exp.ms / 1000, 1)} s, ${fmt(rows)} rows (${fmt(rows / (exp.ms / 1000))} rows/s, ${fmt(made / (exp.ms / 1000), 1)} snapshots/s), ${summary.files} files, Parquet ${fmt(lakeBytes / made)} B per snapshot`);
  const again = run(['--db', db, 'export', '--to', lake, '--json', '--quiet'], 'export again');
  console.error(`export again (nothing new): ${fmt(again.ms / 1000, 2)} s, ${JSON.parse(again.stdout).files} files written`);
  const lake2 = path.join(tmp, 'lake-from-bundles');
  const fromBundles = run(['export', '--from', bundles, '--to', lake2, '--json', '--quiet'], 'export --from');
  console.error(`export --from the bundles (no database): ${fmt(fromBundles.ms / 1000, 1)} s (${fmt(rows / (fromBundles.ms / 1000))} rows/s)`);

  const { DuckDBInstance } = await import(pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('@duckdb/node-api')).href);
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  let lakeRoot = lake;
  const t = (table) => `read_parquet('${lakeRoot}/${table}/*/*/*.parquet', hive_partitioning = true)`;

  // The writers on the same rows: every snapshot's interfaces, one file per snapshot.
  const ifaceRows = summary.rows.interfaces;
  const hyparquet = await import(path.join(root, 'analyzer/dist/export/write-parquet.js'));
  const { dbSnapshotReader, listDbSnapshots } = await import(path.join(root, 'analyzer/dist/export/rows-from-db.js'));
  const { tableOf } = await import(path.join(root, 'analyzer/dist/catalogue/catalogue.js'));
  const Sqlite = createRequire(path.join(root, 'analyzer/package.json'))('better-sqlite3');
  const conn = new Sqlite(db, { readonly: true });
  const sample = listDbSnapshots(conn, { host: null, since: null, until: null }).slice(0, 200).map(dbSnapshotReader(conn));
  conn.close();
  let t1 = performance.now();
  let hyBytes = 0;
  for (const s of sample) hyBytes += hyparquet.writeParquet(tableOf('interfaces'), s.tables.interfaces, { snapshotId: s.snapshotId, contentSha256: 'x' }).byteLength;
  const hyMs = ms(t1);
  const sampleRows = sample.reduce((n, s) => n + s.tables.interfaces.length, 0);
  await duck.run(`CREATE TABLE ifaces AS SELECT * FROM ${t('interfaces')}`);
  const ids = (await duck.runAndReadAll('SELECT DISTINCT snapshot_id FROM ifaces ORDER BY 1 LIMIT 200')).getRows().map((r) => r[0]);
  mkdirSync(path.join(tmp, 'duck-out'));
  t1 = performance.now();
  for (const id of ids) await duck.run(`COPY (SELECT * EXCLUDE (host, date) FROM ifaces WHERE snapshot_id = '${id}') TO '${path.join(tmp, 'duck-out', `${id}.parquet`)}' (FORMAT parquet)`);
  const duckMs = ms(t1);
  const duckBytes = du(path.join(tmp, 'duck-out'));
  t1 = performance.now();
  await duck.run(`COPY (SELECT * FROM ifaces) TO '${path.join(tmp, 'all.parquet')}' (FORMAT parquet)`);
  const duckAllMs = ms(t1);
  console.error(`writers, interfaces of 200 snapshots (${fmt(sampleRows)} rows), one file each: hyparquet-writer ${fmt(sampleRows / (hyMs / 1000))} rows/s, ${fmt(hyBytes / 200)} B/file; DuckDB COPY ${fmt(sampleRows / (duckMs / 1000))} rows/s, ${fmt(duckBytes / 200)} B/file (rows already in DuckDB); DuckDB, all ${fmt(ifaceRows)} rows in one file: ${fmt(ifaceRows / (duckAllMs / 1000))} rows/s`);
  await duck.run('DROP TABLE ifaces');

  // The five fleet questions (docs/fleet.md has them with their explanation).
  const latestIp = '10.42.3.17';
  const someContainer = (await duck.runAndReadAll(`SELECT container_id FROM ${t('containers')} WHERE host = 'node-001' LIMIT 1`)).getRows()[0]?.[0];
  const QUESTIONS = {
    'leaked veths since the kernel upgrade': () => `
      SELECT u.host, count(DISTINCT u.ifname) AS leaked
      FROM ${t('unpaired_veths')} u JOIN ${t('snapshots')} s USING (host, snapshot_id)
      WHERE s.kernel_release = '6.12.9-amd64' AND u.reason IN ('dangling', 'unseen-peer')
      GROUP BY u.host ORDER BY u.host`,
    'which pod had an IP at 03:12 on any node': () => `
      WITH in_force AS (SELECT host, max(taken_at) AS taken_at FROM ${t('snapshots')} WHERE taken_at <= TIMESTAMP '2026-11-29 03:12:00' GROUP BY host)
      SELECT i.host, i.netns, i.ifname, c.pod_uid, list(DISTINCT c.container_id) AS containers
      FROM ${t('interfaces')} i JOIN in_force USING (host, taken_at)
      LEFT JOIN ${t('containers')} c ON c.host = i.host AND c.snapshot_id = i.snapshot_id AND c.netns = i.netns
      WHERE list_contains(list_transform(i.addresses, a -> a.local), '${latestIp}')
      GROUP BY ALL`,
    'namespaces changed across the fleet during the 10:00 deploy': () => `
      WITH before AS (SELECT host, max(taken_at) AS t FROM ${t('snapshots')} WHERE taken_at <= TIMESTAMP '2026-11-29 10:00:00' GROUP BY host),
           after AS (SELECT host, min(taken_at) AS t FROM ${t('snapshots')} WHERE taken_at >= TIMESTAMP '2026-11-29 10:30:00' GROUP BY host),
           b AS (SELECT n.host, n.boot_id, n.netns FROM ${t('namespaces')} n JOIN before ON n.host = before.host AND n.taken_at = before.t),
           a AS (SELECT n.host, n.boot_id, n.netns FROM ${t('namespaces')} n JOIN after ON n.host = after.host AND n.taken_at = after.t)
      SELECT (SELECT count(*) FROM (SELECT * FROM b EXCEPT SELECT * FROM a)) AS gone,
             (SELECT count(*) FROM (SELECT * FROM a EXCEPT SELECT * FROM b)) AS new`,
    'where a container ran, first and last seen': () => `
      SELECT host, netns, pod_uid, min(taken_at) AS first_seen, max(taken_at) AS last_seen, count(*) AS snapshots
      FROM ${t('containers')} WHERE container_id = '${someContainer}' GROUP BY ALL`,
    'hosts with failed captures in the last day, by probe': () => `
      SELECT host, probe, reason, count(*) AS gaps FROM ${t('gaps')}
      WHERE date >= '2026-11-29' GROUP BY ALL ORDER BY gaps DESC LIMIT 20`,
  };
  const timeQuestions = async (label) => {
    const out = {};
    for (const [name, sql] of Object.entries(QUESTIONS)) {
      const times = [];
      let answer;
      for (let r = 0; r < runs; r++) {
        const q0 = performance.now();
        answer = (await duck.runAndReadAll(sql())).getRowObjectsJson();
        times.push(ms(q0));
      }
      out[name] = Math.round(median(times));
      console.error(`${label} "${name}": ${fmt(out[name])} ms (median of ${runs}); ${answer.length} row(s), first ${JSON.stringify(answer[0] ?? null).slice(0, 160)}`);
    }
    return out;
  };
  const queryMs = await timeQuestions('query');
  const explain = (await duck.runAndReadAll(`EXPLAIN ANALYZE SELECT count(*) FROM ${t('interfaces')} WHERE host = 'node-001'`)).getRowObjectsJson().map((r) => r.explain_value).join('\n');
  // DuckDB's plan box wraps a long line: the count may be on the line after its label.
  const scanned = /Scanning Files:[\s│]*(\d+\/\d+)/.exec(explain)?.[1];
  console.error(`host filter (node-001): scanning ${scanned} interfaces files`);

  // Compaction (docs/fleet.md): each table rewritten as one file per host and day, then the same questions.
  const compacted = path.join(tmp, 'lake-daily');
  mkdirSync(compacted);
  t1 = performance.now();
  for (const table of readdirSync(lake)) {
    await duck.run(`COPY (SELECT * FROM ${t(table)}) TO '${path.join(compacted, table)}' (FORMAT parquet, PARTITION_BY (host, date))`);
  }
  const compactMs = ms(t1);
  const compactedBytes = du(compacted);
  console.error(`compaction to one file per table, host and day: ${fmt(compactMs / 1000, 1)} s, ${fmt(compactedBytes / made)} B per snapshot`);
  lakeRoot = compacted;
  const compactedQueryMs = await timeQuestions('compacted');
  duck.closeSync();
  instance.closeSync();

  const result = {
    snapshots: made, hosts, namespaces, churn,
    gzipBytesPerSnapshot: Math.round(gzipBytes / made),
    sqliteBytesPerSnapshot: Math.round(dbBytes / made),
    parquetBytesPerSnapshot: Math.round(lakeBytes / made),
    filesPerSnapshot: summary.files / made,
    rows, exportMs: Math.round(exp.ms), exportRowsPerSecond: Math.round(rows / (exp.ms / 1000)),
    exportFromBundlesMs: Math.round(fromBundles.ms), exportAgainMs: Math.round(again.ms), ingestMs: Math.round(ingest.ms),
    writer: { rows: sampleRows, hyparquetRowsPerSecond: Math.round(sampleRows / (hyMs / 1000)), duckdbCopyRowsPerSecond: Math.round(sampleRows / (duckMs / 1000)), hyparquetBytesPerFile: Math.round(hyBytes / 200), duckdbBytesPerFile: Math.round(duckBytes / 200) },
    queryMs, hostFilterFiles: scanned,
    compactedBytesPerSnapshot: Math.round(compactedBytes / made), compactMs: Math.round(compactMs), compactedQueryMs,
  };
  writeFileSync(path.join(tmp, 'result.json'), JSON.stringify(result));
  console.log(JSON.stringify(result));
} finally {
  if (!keep) rmSync(tmp, { recursive: true, force: true });
}
