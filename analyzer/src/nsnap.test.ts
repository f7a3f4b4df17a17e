import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const launcher = path.resolve(here, '../dist/nsnap.cjs');
const fixture = path.resolve(here, '../../fixtures/bundles/host-only.json');

/** Runs the built command with Node's debug output of the launcher and of module loading. */
function nsnap(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG: 'nsnap,module' };
  // V8 refuses a code cache made under other V8 flags: run as a user does, without the test runner's.
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, [launcher, ...args], { env, encoding: 'utf8' });
}

describe('the nsnap command (dist/nsnap.cjs running the bundle of analyzer/build.mjs)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-launcher-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'nsnap.db');

  it('ingests with the ingest-only bundles, and queries with the code cache and without them', () => {
    const ingest = nsnap(['--db', db, 'ingest', '--quiet', fixture]);
    expect(ingest.status, ingest.stderr).toBe(0);
    expect(ingest.stderr).toMatch(/nsnap-zod\.cjs/);

    const peers = nsnap(['--db', db, 'peers']);
    expect(peers.status, peers.stderr).toBe(0);
    expect(peers.stderr).toMatch(/code cache used/);
    expect(peers.stderr).not.toMatch(/nsnap-(zod|s3|viz)\.cjs/);
  });

  it('loads Graphviz (nsnap-viz.cjs) for graph --format svg only', () => {
    const dot = nsnap(['--db', db, 'graph']);
    expect(dot.status, dot.stderr).toBe(0);
    expect(dot.stderr).not.toMatch(/nsnap-viz\.cjs/);
    const svg = nsnap(['--db', db, 'graph', '--format', 'svg']);
    expect(svg.status, svg.stderr).toBe(0);
    expect(svg.stderr).toMatch(/nsnap-viz\.cjs/);
    expect(svg.stdout).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\n$/);
  });
});
