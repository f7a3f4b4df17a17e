#!/usr/bin/env node
// Builds what the `nsnap` command runs (dist/nsnap.cjs, compiled by tsc from src/nsnap.cts, loads it).
// Starting Node and the CLI is most of what a query costs (docs/performance.md), hence:
//   dist/nsnap-cli.cjs      the CLI with the workspace code, commander and better-sqlite3's JavaScript
//                           (not its addon) in one CommonJS file: an ES module entry starts ~4 ms slower,
//                           and every further file costs a resolution, a read and a compilation
//   dist/nsnap-zod.cjs      zod and the AWS SDK, which only ingest uses: required when an ingest runs,
//   dist/nsnap-s3.cjs       so that no query reads or parses their 2 MB
//   dist/nsnap-viz.cjs      Graphviz compiled to WebAssembly (1.2 MB), required only by `graph --format svg`
//   dist/nsnap-ingest-worker.cjs  the worker thread that prepares bundles while ingest writes (src/ingest/prepare-pipeline.ts)
//   dist/nsnap-cli.v8cache  V8's code cache of nsnap-cli.cjs, made by running queries over a fixture
//                           bundle: a run deserializes the functions those compiled instead of compiling them
// `node build.mjs --train DB` is the training run itself (a process of its own: nothing but the CLI
// compiled in it, and Node's default V8 flags, which V8 checks a cache against).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const dist = path.join(here, 'dist');
const bundle = path.join(dist, 'nsnap-cli.cjs');
const cacheFile = path.join(dist, 'nsnap-cli.v8cache');
const launcher = path.join(dist, 'nsnap.cjs');
const fixture = path.join(root, 'fixtures/bundles/host-only.json');
/** Packages only ingest, export or svg load, each bundled into a file of its own, required from the CLI bundle as it needs them. */
const VENDOR = { zod: 'nsnap-zod.cjs', '@aws-sdk/client-s3': 'nsnap-s3.cjs', 'hyparquet-writer': 'nsnap-parquet.cjs', '@viz-js/viz': 'nsnap-viz.cjs' };
/** The package whose dependency each vendored package is. */
const VENDOR_FROM = { zod: 'shared', '@aws-sdk/client-s3': 'shared', 'hyparquet-writer': 'analyzer', '@viz-js/viz': 'analyzer' };

/** What the training run runs, each after `--db DB`: every query, over a database holding the fixture. */
const TRAINING = [
  ['--version'], ['snapshots'], ['show'], ['show', '--json'], ['peers'], ['peers', '--json'], ['graph'],
  ['diff', 'latest', 'latest'], ['diff', 'latest', 'latest', '--json'], ['history', '-v'],
  ['whois', 'lo'], ['whois', 'lo', '--json'], ['whois', '1'], ['whois', 'lo', '--all'], ['check'],
];
/** As src/nsnap.cts compiles the bundle: a cache is for one exact source text. */
const wrap = (source) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

if (process.argv[2] === '--train') await train(process.argv[3]);
else await buildAll();

async function buildAll() {
  // esbuild is the collector's dev dependency (collector/build.mjs); the workspace holds one copy.
  const { build } = createRequire(path.join(root, 'collector/package.json'))('esbuild');
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', conditions: ['source'], legalComments: 'none', logLevel: 'warning' };
  rmSync(cacheFile, { force: true });

  for (const [pkg, out] of Object.entries(VENDOR)) {
    // Minified: theirs is not the code an internal error's stack trace should be readable in.
    await build({ ...common, minify: true, stdin: { contents: `export * from '${pkg}';`, resolveDir: path.join(root, VENDOR_FROM[pkg]), sourcefile: `${pkg}.js` }, outfile: path.join(dist, out) });
  }

  // The report page's script (src/report/ui with cytoscape), read by `nsnap report` only when it writes a
  // report and inlined into it; it must not end its <script> element early (report/html.ts checks too).
  const page = await build({ bundle: true, platform: 'browser', format: 'iife', target: 'chrome110', minify: true, legalComments: 'none', logLevel: 'warning', entryPoints: [path.join(here, 'src/report/ui/main.ts')], write: false, charset: 'utf8' });
  const pageText = page.outputFiles[0].text;
  if (/<\/script|<!--/i.test(pageText)) throw new Error('the report page script holds "</script" or "<!--"');
  writeFileSync(path.join(dist, 'nsnap-report.js'), pageText);

  const vendor = {
    name: 'vendor',
    setup(b) {
      const names = Object.keys(VENDOR).map((n) => n.replace(/[/.]/g, '\\$&'));
      b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({ path: `./${VENDOR[args.path]}`, external: true }));
    },
  };
  // commander requires child_process when loaded, for subcommands that are executables (nsnap has
  // none); with it come net, dgram and their bindings: 1-2 ms of every start.
  const lazyChildProcess = {
    name: 'lazy-child-process',
    setup(b) {
      b.onResolve({ filter: /^node:child_process$/ }, (args) => (/commander/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({ contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });", loader: 'js' }));
    },
  };
  const result = await build({
    ...common,
    entryPoints: [path.join(here, 'src/cli.ts')],
    outfile: bundle,
    write: false,
    plugins: [vendor, lazyChildProcess],
    // open.ts finds better-sqlite3's addon from import.meta.url: here, the bundle's own location.
    define: { 'import.meta.url': '__nsnapBundleUrl' },
    banner: { js: "var __nsnapBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  // The ingest worker thread (src/ingest/prepare-pipeline.ts finds it beside the CLI bundle), zod required as the CLI requires it.
  await build({ ...common, entryPoints: [path.join(here, 'src/ingest/prepare-worker.ts')], outfile: path.join(dist, 'nsnap-ingest-worker.cjs'), plugins: [vendor] });
  const text = result.outputFiles[0].text;
  // A dynamic import() left in the bundle would need a loader the launcher's vm.Script does not have.
  if (/\bimport\(/.test(text)) throw new Error('the CLI bundle still holds an import() call: bundle or vendor what it loads');
  // The launcher reads the bundle as latin1 (no UTF-8 decoding): esbuild escapes non-ASCII characters.
  if (/[^\x00-\x7f]/.test(text)) throw new Error('the CLI bundle holds non-ASCII characters');
  const stamp = createHash('sha256').update(text).digest('hex');
  writeFileSync(bundle, `${text}//# nsnap-build ${stamp}\n`);

  // A database holding the fixture bundle, ingested through the launcher (which also tries the zod bundle).
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-build-'));
  try {
    const db = path.join(tmp, 'train.db');
    run([launcher, '--db', db, 'ingest', '--quiet', fixture], 'ingesting the training fixture');
    run([fileURLToPath(import.meta.url), '--train', db], 'training the code cache');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const kib = (f) => `${(statSync(f).size / 1024).toFixed(0)} KiB`;
  process.stderr.write(`analyzer bundle: ${path.relative(process.cwd(), bundle)} (${kib(bundle)}), code cache ${kib(cacheFile)}, ingest-only ${Object.values(VENDOR).map((f) => `${f} ${kib(path.join(dist, f))}`).join(', ')}\n`);
}

/** Runs node with args; output is the CLI's, not the build's. Node options are left out: V8 would reject a cache made under other flags. */
function run(args, what) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || /internal error/.test(r.stderr)) throw new Error(`analyzer build: ${what} failed (exit code ${r.status}): ${r.stderr.slice(0, 2000)}`);
}

async function train(db) {
  const source = readFileSync(bundle, 'latin1');
  const stamp = /\n\/\/# nsnap-build ([0-9a-f]{64})\n$/.exec(source)?.[1];
  if (!stamp) throw new Error(`${bundle} has no build stamp`);
  const script = new vm.Script(wrap(source), { filename: bundle });
  const cli = { exports: {} };
  script.runInThisContext()(cli.exports, createRequire(bundle), cli, bundle, dist);
  for (const args of TRAINING) await cli.exports.main(['node', 'nsnap', '--db', db, ...args]);
  // Findings and no-match answers set exit codes; the training itself succeeded.
  process.exitCode = 0;
  writeFileSync(cacheFile, Buffer.concat([Buffer.from(stamp, 'latin1'), script.createCachedData()]));
}
