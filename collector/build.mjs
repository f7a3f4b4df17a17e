#!/usr/bin/env node
// Bundles the collector into one file, dist/nsnap-collect.mjs, that runs with
// plain `node` (20+) and no node_modules beside it: what goes onto production hosts.
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(here, 'dist', 'nsnap-collect.mjs');
await build({
  entryPoints: [path.join(here, 'src', 'bin.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  legalComments: 'none',
  minify: true,
  // Some dependencies (the AWS SDK) still call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __nsnapCreateRequire } from 'node:module'; const require = __nsnapCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
process.stderr.write(`collector bundle: ${path.relative(process.cwd(), outfile)} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)\n`);
