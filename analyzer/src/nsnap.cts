#!/usr/bin/env node
// The `nsnap` command. Starting is most of what a query costs (docs/performance.md), so this runs
// the CLI bundled into one CommonJS file (dist/nsnap-cli.cjs, by analyzer/build.mjs) with the V8
// code cache the build made for it: the functions a query needs are deserialized, not compiled.
// Without the cache (or with one of another bundle or Node) V8 compiles as usual.
import fs = require('node:fs');
import Module = require('node:module');
import path = require('node:path');
import util = require('node:util');
import vm = require('node:vm');

const file = path.join(__dirname, 'nsnap-cli.cjs');
// The bundle is ASCII (the build checks): read as latin1, it needs no UTF-8 decoding.
const source = fs.readFileSync(file, 'latin1');
let cachedData: Buffer | undefined;
try {
  const cache = fs.readFileSync(path.join(__dirname, 'nsnap-cli.v8cache'));
  // V8 checks only the length of the source a cache was made from: the stamp (the bundle's sha256,
  // also its last line) ties the cache to this very bundle.
  const stamp = cache.subarray(0, 64).toString('latin1');
  if (source.endsWith(`\n//# nsnap-build ${stamp}\n`)) cachedData = cache.subarray(64);
} catch {
  // No cache beside the bundle.
}
// The same text as the build compiled; like Node's own module wrapper, on the first line, so that
// line numbers in stack traces are the bundle's.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
util.debuglog('nsnap')('code cache %s', cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used');
const cli = { exports: {} as { run(argv: string[]): Promise<void> } };
script.runInThisContext()(cli.exports, Module.createRequire(file), cli, file, __dirname);
void cli.exports.run(process.argv);
