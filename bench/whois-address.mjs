#!/usr/bin/env node
// `nsnap whois ADDRESS` against `nsnap whois IFNAME` on one database (issue #19). Addresses are JSON
// text in interfaces.addresses, which no index knows: `--at` walks the interfaces of one snapshot,
// `--all` those of every snapshot of the host. The figures are ratios to the name lookups, which
// go through the (ifname, snapshot) index, measured alongside (medians of R rounds, each running
// every command once, from bench/analyzer-time.mjs). Bundles: bench/analyzer-bundles.mjs (root:
// the template is a real collector run). A JSON line with every figure ends the output.
// Usage: node bench/whois-address.mjs [--snapshots 2000] [--namespaces 100] [--churn 0.05] [--runs 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimHost, captureTemplate, templateParts, writeSnapshots } from './analyzer-bundles.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const snapshots = opt('--snapshots', 2000);
const namespaces = opt('--namespaces', 100);
const churn = opt('--churn', 0.05);
const runs = opt('--runs', 5);
const bin = path.join(root, 'analyzer/dist/nsnap.cjs');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.getuid?.() !== 0) {
  console.error('bench/whois-address needs root: its bundle template is a real collector run over namespaces it builds');
  process.exit(2);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-bench-whois-address-'));
try {
  const parts = templateParts(await captureTemplate(path.join(root, 'collector/dist/nsnap-collect.mjs')));
  const host = new SimHost(parts, { label: 'node-1', namespaces, churn, seed: 7, start: '2026-11-01T00:00:00Z' });
  let probe = null;
  await writeSnapshots(host, path.join(tmp, 'b'), snapshots, (bundle, i) => {
    if (i !== Math.floor(snapshots / 2)) return;
    // A container of the middle snapshot: its host veth's name and its eth0's address.
    const ns = bundle.namespaces.find((n) => !n.isHost && n.captures.length > 0);
    const addrs = JSON.parse(ns.captures[0].stdout.split('\n')[1]);
    const local = addrs.flatMap((a) => a.addr_info).find((a) => a.family === 'inet' && a.local !== '127.0.0.1').local;
    const veth = host.current.find((c) => c.inode === ns.inode).veth;
    probe = { veth, local, at: new Date(Date.parse(bundle.takenAt.start) + 60_000).toISOString() };
  });
  const db = path.join(tmp, 'nsnap.db');
  let t0 = performance.now();
  const ing = spawnSync(process.execPath, [bin, '--db', db, 'ingest', '--quiet', path.join(tmp, 'b')], { stdio: 'inherit' });
  if (ing.status !== 0) throw new Error(`ingest exited ${ing.status}`);
  console.log(`ingested ${snapshots} snapshots × ${namespaces} namespaces in ${((performance.now() - t0) / 1000).toFixed(1)} s; probe ${JSON.stringify(probe)}`);

  const whois = (...rest) => [process.execPath, bin, '--db', db, 'whois', ...rest, '--host', 'node-1'];
  const commands = {
    version: [process.execPath, bin, '--version'],
    nameAt: whois(probe.veth, '--at', probe.at),
    addressAt: whois(probe.local, '--at', probe.at),
    nameAll: whois(probe.veth, '--all'),
    addressAll: whois(probe.local, '--all'),
  };
  for (const [name, argv] of Object.entries(commands)) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`${name}: ${argv.slice(2).join(' ')} exited ${r.status}: ${r.stderr.slice(0, 300)}`);
  }
  t0 = performance.now();
  const timed = spawnSync(process.execPath, [path.join(root, 'bench/analyzer-time.mjs')], { input: JSON.stringify({ runs, commands }), encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
  if (timed.status !== 0) throw new Error(`bench/analyzer-time.mjs exited ${timed.status}`);
  const ms = Object.fromEntries(Object.entries(JSON.parse(timed.stdout)).map(([k, v]) => [k, median(v)]));
  const own = (k) => ms[k] - ms.version;
  const results = {
    params: { snapshots, namespaces, churn, runs },
    ms,
    // Whole commands: above loading the CLI, a name lookup is within the noise of starting one.
    ratioAt: ms.addressAt / ms.nameAt,
    ratioAll: ms.addressAll / ms.nameAll,
    addressAllMsPerSnapshot: own('addressAll') / snapshots,
  };
  for (const [k, v] of Object.entries(ms)) console.log(`${k.padEnd(10)} ${v.toFixed(0)} ms median (--version + ${(v - ms.version).toFixed(0)} ms)`);
  console.log(`address/name: --at ${results.ratioAt.toFixed(2)}×, --all ${results.ratioAll.toFixed(2)}×; --all ${(results.addressAllMsPerSnapshot * 1000).toFixed(0)} µs per snapshot above --version`);
  console.log(JSON.stringify(results));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
