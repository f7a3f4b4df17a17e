import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@nsnap/analyzer';
import { bundleKey } from '@nsnap/shared';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';

interface Summary {
  ingested: number;
  failed: number;
  ignored: number;
  files: { path: string; outcome: string; reason: string | null }[];
  ignoredEntries: { path: string; reason: string }[];
}

/** The CLI as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH: a mode-000 directory is then unreadable to it. */
const asUser = (args: string[]) =>
  execa('setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-all', process.execPath, ANALYZER_BIN, ...args], { reject: false, timeout: 60_000 });

const bundleAt = (dir: string, minute: number) => writeBundle(dir, dockerNode({ host: 'walk', takenAt: `2026-11-29T10:${String(minute).padStart(2, '0')}:00.000Z` }).build());

describe('nsnap ingest: directory walks name every entry they do not read', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-walk-'));
  const tree = path.join(dir, 'tree');
  afterAll(() => {
    chmodSync(path.join(tree, 'b-unreadable'), 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes on past an unreadable directory, loops, dangling links and FIFOs, and says why for each', async () => {
    const a = bundleAt(path.join(tree, 'a'), 1);
    bundleAt(path.join(tree, 'b-unreadable'), 2);
    const c = bundleAt(path.join(tree, 'c'), 3);
    const inDirNamedLikeBundle = bundleAt(path.join(tree, 'd.json.gz'), 4);
    chmodSync(path.join(tree, 'b-unreadable'), 0o000);
    const odd = path.join(tree, 'odd');
    mkdirSync(odd);
    symlinkSync('loop.json.gz', path.join(odd, 'loop.json.gz'));
    symlinkSync(path.join(dir, 'nowhere.json.gz'), path.join(odd, 'dangling.json.gz'));
    execFileSync('mkfifo', [path.join(odd, 'fifo.json.gz'), path.join(odd, 'pipe')]);
    symlinkSync(path.join(tree, 'a'), path.join(odd, 'dir-link'));
    writeFileSync(path.join(odd, 'README.txt'), 'notes\n');

    const db = path.join(dir, 'walk.db');
    const r = await asUser(['ingest', '-v', '--json', tree, '--db', db]);
    expect(r.exitCode, r.stderr).toBe(1);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary.files.filter((f) => f.outcome === 'ingested').map((f) => f.path).sort()).toEqual([a, c, inDirNamedLikeBundle].sort());
    expect(summary.files.filter((f) => f.outcome === 'failed').map((f) => [f.path, f.reason])).toEqual([
      [path.join(tree, 'b-unreadable'), 'cannot list this directory: permission denied'],
      [path.join(odd, 'dangling.json.gz'), 'dangling symbolic link'],
      [path.join(odd, 'fifo.json.gz'), 'not a regular file (FIFO)'],
      [path.join(odd, 'loop.json.gz'), 'symbolic link loop'],
    ]);
    expect(summary.ignoredEntries).toEqual([
      { path: path.join(odd, 'README.txt'), reason: 'not named *.json.gz or *.json' },
      { path: path.join(odd, 'dir-link'), reason: 'symbolic link to a directory, not followed (name the target to read it)' },
      { path: path.join(odd, 'pipe'), reason: 'not a regular file (FIFO)' },
    ]);
    expect(summary).toMatchObject({ ingested: 3, failed: 4, ignored: 3 });
    expect(r.stderr).toContain(`nsnap: failed: ${path.join(tree, 'b-unreadable')}: cannot list this directory: permission denied`);
    expect(r.stderr).toContain(`nsnap: not read: ${path.join(odd, 'pipe')}: not a regular file (FIFO)`);
    expect(r.stderr).toMatch(/3 ingested, 0 skipped \(already in the database\), 4 failed, 3 other entries not read \(not bundles; -v names them\) in /);
  });

  it('refuses /dev/zero and a FIFO given as SOURCE at once, without reading them', async () => {
    const fifo = path.join(dir, 'source.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli(ANALYZER_BIN, ['ingest', '/dev/zero', fifo, '--db', path.join(dir, 'dev.db')], { timeout: 30_000 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain('nsnap: failed: /dev/zero: not a regular file (character device): only regular files are read');
    expect(String(r.stderr)).toContain(`nsnap: failed: ${fifo}: not a regular file (FIFO): only regular files are read`);
  });
});

describe('nsnap ingest: size limits say which limit', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const LIMIT = 128 * 1024 * 1024;

  it('stops reading a stored bundle past the limit on stored bytes, and inflating one past the limit on JSON bytes', async () => {
    const big = path.join(dir, 'big.json.gz');
    writeFileSync(big, '');
    truncateSync(big, LIMIT + 1);
    const bomb = path.join(dir, 'bomb.json.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(LIMIT + 1024 * 1024, 0x20), { level: 9 }));
    const r = await runCli(ANALYZER_BIN, ['ingest', big, bomb, '--db', path.join(dir, 'limits.db')]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain(`nsnap: failed: ${big}: too large: over the 128 MiB limit on a bundle's stored bytes: stopped reading at ${LIMIT + 1} bytes`);
    expect(String(r.stderr)).toContain(`nsnap: failed: ${bomb}: too large: decompresses to more than the 128 MiB limit on a bundle's JSON bytes (inflating stopped there)`);
  });

  it('stops reading an object of a file:// store past the limit on stored bytes', async () => {
    const store = path.join(dir, 'store');
    const bundle = dockerNode({ host: 'big' }).build();
    const key = bundleKey({ host: 'big', takenAt: bundle.takenAt.start, snapshotId: bundle.snapshotId });
    mkdirSync(path.dirname(path.join(store, key)), { recursive: true });
    writeFileSync(path.join(store, key), '');
    truncateSync(path.join(store, key), LIMIT + 4096);
    const r = await runCli(ANALYZER_BIN, ['ingest', `file://${store}`, '--db', path.join(dir, 'store.db')]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain(`too large: over the 128 MiB limit on a bundle's stored bytes: stopped reading at ${LIMIT + 1} bytes`);
  });

  it('cuts a parsed name over the limit for names, with a gap that says so', async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const bundle = new BundleBuilder({ host: 'names' })
      .namespace({ inode: 4026531840, host: true, links: [{ ifindex: 2, ifname: huge, alias: huge }] })
      .build();
    const db = path.join(dir, 'names.db');
    const r = await runCli(ANALYZER_BIN, ['ingest', writeBundle(path.join(dir, 'names'), bundle), '--db', db]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const check = openDatabase(db, { mustExist: true, readonly: true });
    expect(check.prepare('SELECT length(ifname), length(alias) FROM interfaces WHERE ifindex = 2').raw().get()).toEqual([4096, 4096]);
    expect(check.prepare("SELECT detail FROM gaps WHERE source = 'ingest' AND probe = 'parse'").pluck().all()).toEqual([
      `interface #2: ifname of ${huge.length} characters, alias of ${huge.length} characters cut to the 4096-character limit for names`,
    ]);
    check.close();
  });
});

describe('nsnap ingest: reserved tag keys', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-proto-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the bundle and its other tags, and names each of __proto__, constructor, prototype in a gap', async () => {
    const bundle = dockerNode({ host: 'proto', tags: { phase: 'pre' } }).build();
    const file = path.join(dir, 'proto.json');
    // JSON.stringify of an object literal would set the prototype, not a key: write the text.
    writeFileSync(file, JSON.stringify(bundle).replace('"tags":{', '"tags":{"__proto__":"x","constructor":"y","prototype":"z",'));
    const db = path.join(dir, 'proto.db');
    const r = await runCli(ANALYZER_BIN, ['ingest', file, '--db', db]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const check = openDatabase(db, { mustExist: true, readonly: true });
    expect(check.prepare('SELECT key, value FROM snapshot_tags').raw().all()).toEqual([['phase', 'pre']]);
    expect(check.prepare("SELECT subject FROM gaps WHERE probe = 'tags' ORDER BY subject").pluck().all()).toEqual(['tag __proto__', 'tag constructor', 'tag prototype']);
    check.close();
    const show = await runCli(ANALYZER_BIN, ['show', '--db', db]);
    expect(String(show.stdout)).toContain('tag __proto__');
  });
});
