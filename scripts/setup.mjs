#!/usr/bin/env node
// One-step set-up on a machine that has only Node 20 and npm: installs the
// pinned pnpm through npx, the workspace's dependencies from the lockfile
// (better-sqlite3 compiles from source), and builds every package.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const pnpmSpec = pkg.packageManager; // "pnpm@12.4.2"

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  console.error(`nsnap needs Node.js 20 or later; this is ${process.version}`);
  process.exit(1);
}

const env = { ...process.env };
// node-gyp builds better-sqlite3 against the installed Node headers; npm is set
// up that way on Debian, a pnpm not started by npx needs to be told.
if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';

function run(label, cmd, args) {
  process.stderr.write(`setup: ${label}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: ['ignore', 2, 2] });
  if (r.error || r.status !== 0) {
    console.error(`setup: ${label} failed (${r.error?.message ?? `exit code ${r.status}`})`);
    process.exit(1);
  }
  process.stderr.write(`setup: ${label} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

// The report's browser tests drive Debian's chromium through playwright-core, which downloads no browser.
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  if (existsSync('/usr/bin/apt-get')) {
    env.DEBIAN_FRONTEND = 'noninteractive';
    run('updating the apt package lists (for chromium)', 'apt-get', ['update']);
    run('installing chromium for the browser tests', 'apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
  } else {
    process.stderr.write(`setup: ${CHROMIUM} is missing and there is no apt-get: the report's browser tests will fail until a chromium is there\n`);
  }
}

run(`installing dependencies with ${pnpmSpec}`, 'npx', ['-y', pnpmSpec, 'install', '--frozen-lockfile']);
run('building (tsc -b)', path.join(root, 'node_modules/.bin/tsc'), ['-b']);
run('type-checking the tests (tsc -p test)', path.join(root, 'node_modules/.bin/tsc'), ['-p', 'test']);
run('bundling the collector into one file', process.execPath, [path.join(root, 'collector/build.mjs')]);
run('bundling the analyzer CLI and its code cache', process.execPath, [path.join(root, 'analyzer/build.mjs')]);
