#!/usr/bin/env node
// The main job on the embedded default: collect this host into ./nsnap-data,
// ingest that directory into ./nsnap.db, and print what was found.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const collector = path.join(root, 'collector/dist/bin.js');
const analyzer = path.join(root, 'analyzer/dist/nsnap.cjs');

function step(label, bin, args, { allow = [0] } = {}) {
  process.stderr.write(`\n== ${label}: ${path.basename(path.dirname(path.dirname(bin)))} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  if (r.error || !allow.includes(r.status)) {
    process.stderr.write(`quickstart: ${label} failed (${r.error?.message ?? `exit code ${r.status}`})\n`);
    process.exit(r.status || 1);
  }
}

// Exit code 1 means "stored, but some captures failed" (e.g. an unreadable pid): still worth showing.
step('collect', collector, ['--out', './nsnap-data'], { allow: [0, 1] });
step('ingest', analyzer, ['ingest', './nsnap-data', '--db', './nsnap.db']);
step('show', analyzer, ['show', '--db', './nsnap.db']);
step('peers', analyzer, ['peers', '--db', './nsnap.db']);
