#!/usr/bin/env node
// Bundles the collector into one file, dist/nsnap-collect.mjs, that runs with
// plain `node` (20+) and no node_modules beside it: what goes onto production hosts.
//
// Code a live run to a local directory never needs — the S3 store with the AWS
// SDK (~600 KB), and the zod schema that `import` checks its bundle with — is
// embedded as gzip-compressed text and imported from a data: URL the first
// time it is used. V8 parses every function it is given at start-up, even one
// never called: as code, the S3 SDK alone cost ~30 ms of a collector run's
// start. A string is only scanned, but character by character: the 1.1 MB of
// both chunks as plain text still cost ~5 ms of every start (`--version`,
// medians: 84 → 80 ms once compressed to ~0.3 MB of base64); a chunk is
// inflated only when imported. A chunk is a separate copy of the modules
// it contains, so nothing may cross the boundary that relies on identity:
// StoreError recognizes its copies (Symbol.hasInstance).
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = path.join(here, '..', 'shared', 'src');
const outfile = path.join(here, 'dist', 'nsnap-collect.mjs');
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  legalComments: 'none',
  minify: true,
  logLevel: 'warning',
};

/** Dynamic imports served from an embedded chunk: which import (by specifier and importer), and the module it stands for. */
const COLD = [
  { specifier: './s3.js', importer: path.join(shared, 'store', 'open.ts'), entry: path.join(shared, 'store', 's3.ts') },
  { specifier: '@nsnap/shared/schema', importer: path.join(here, 'src', 'import', 'command.ts'), entry: path.join(shared, 'schema', 'decode.ts') },
];

async function chunkOf(entry) {
  const r = await build({
    ...common,
    entryPoints: [entry],
    write: false,
    metafile: true,
    outfile: 'chunk.mjs',
    // Some dependencies (the AWS SDK) still call require(), only for Node's own
    // modules once bundled: any base path resolves those.
    banner: { js: "import { createRequire as __nsnapCreateRequire } from 'node:module'; const require = __nsnapCreateRequire(process.execPath);" },
  });
  const output = Object.values(r.metafile.outputs)[0];
  const code = r.outputFiles[0].text;
  const names = output.exports.filter((n) => n !== 'default');
  const packed = gzipSync(code, { level: 9 }).toString('base64');
  return `import { gunzipSync } from 'node:zlib';\nconst packed = ${JSON.stringify(packed)};\nconst m = await import('data:text/javascript;base64,' + gunzipSync(Buffer.from(packed, 'base64')).toString('base64'));\nexport const { ${names.join(', ')} } = m;\n`;
}

const chunks = new Map();
for (const c of COLD) chunks.set(c.entry, await chunkOf(c.entry));

const used = new Set();
const cold = {
  name: 'nsnap-cold-chunks',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const c = COLD.find((x) => x.specifier === args.path && x.importer === args.importer);
      if (!c) return undefined;
      used.add(c);
      return { path: c.entry, namespace: 'nsnap-cold' };
    });
    b.onLoad({ filter: /.*/, namespace: 'nsnap-cold' }, (args) => ({ contents: chunks.get(args.path), loader: 'js' }));
  },
};

await build({
  ...common,
  entryPoints: [path.join(here, 'src', 'bin.ts')],
  outfile,
  plugins: [cold],
  // Some dependencies still call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __nsnapCreateRequire } from 'node:module'; const require = __nsnapCreateRequire(import.meta.url);" },
});
// A renamed import would quietly put the code back onto the start-up path.
const unused = COLD.filter((c) => !used.has(c));
if (unused.length) throw new Error(`no dynamic import matched: ${unused.map((c) => `${c.specifier} from ${path.relative(here, c.importer)}`).join(', ')}`);
process.stderr.write(`collector bundle: ${path.relative(process.cwd(), outfile)} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)\n`);
