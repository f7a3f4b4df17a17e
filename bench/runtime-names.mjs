#!/usr/bin/env node
// The runtime-names probe (issue #19) on a tree like a busy Kubernetes node: N pod log
// directories, N containerd sandboxes and N containers (the fixtures' config.json,
// ~2-3 KB each), N docker containers; the time at n and at 4n and their ratio
// (linear: ~4), best of 3, in wall and CPU time. It runs while the link dumps do (`during: namespace-links`).
// Usage: node bench/runtime-names.mjs [n]   (after `tsc -b`)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRuntimeNames } from '../collector/dist/probes/runtime-names.js';

const n = Number(process.argv[2] ?? 400);
const fixtures = path.resolve(import.meta.dirname, '../fixtures/runtime-roots');
const sandbox = readFileSync(path.join(fixtures, 'k8s-containerd/run/containerd/io.containerd.runtime.v2.task/k8s.io/bb3b311a34072532d5d8ca35d9c847bde1e67dcec899ebb61db8b0ad3d70d576/config.json'));
const container = readFileSync(path.join(fixtures, 'k8s-containerd/run/containerd/io.containerd.runtime.v2.task/k8s.io/2d538b1bdc00a5f6251c9f47babca6163794a065133bcd2a0a0264a37a533644/config.json'));
const docker = readFileSync(path.join(fixtures, 'docker/var/lib/docker/containers/5b1e6c0f0d9a4e3f8e2b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e/config.v2.json'));
const id = (k, i) => `${k}${i.toString(16)}`.padEnd(64, '0');

function tree(k) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nsnap-bench-names-'));
  for (let i = 0; i < k; i++) {
    mkdirSync(path.join(root, 'var/log/pods', `ns_pod${i}_${id('a', i).slice(0, 8)}-0000-4000-8000-${id('b', i).slice(0, 12)}`), { recursive: true });
    for (const [c, body] of [[id('c', i), sandbox], [id('d', i), container]]) {
      mkdirSync(path.join(root, 'run/containerd/io.containerd.runtime.v2.task/k8s.io', c), { recursive: true });
      writeFileSync(path.join(root, 'run/containerd/io.containerd.runtime.v2.task/k8s.io', c, 'config.json'), body);
    }
    mkdirSync(path.join(root, 'var/lib/docker/containers', id('e', i)), { recursive: true });
    writeFileSync(path.join(root, 'var/lib/docker/containers', id('e', i), 'config.v2.json'), docker);
  }
  return root;
}

/** Best of 3: wall time, and CPU time of this process (user + system: what a loaded host does not inflate as much). */
async function best(root) {
  let wall = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await readRuntimeNames(root);
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, performance.now() - t0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

const small = tree(n);
const big = tree(4 * n);
try {
  const a = await best(small);
  const b = await best(big);
  console.log(`runtime-names: n=${n}: ${a.wall.toFixed(1)} ms wall, ${a.cpu.toFixed(1)} ms CPU (${((a.cpu / n) * 1000).toFixed(0)} µs CPU per pod of 4 entries); 4n: ${b.wall.toFixed(1)} ms wall, ${b.cpu.toFixed(1)} ms CPU; CPU ratio ${(b.cpu / a.cpu).toFixed(2)} (linear: ~4)`);
} finally {
  rmSync(small, { recursive: true, force: true });
  rmSync(big, { recursive: true, force: true });
}
