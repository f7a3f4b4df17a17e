import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';

/**
 * The one progress display (render/progress.ts) as the CLI uses it. stderr is a pipe here, so the live
 * line is asked for with --progress always, and its width with COLUMNS, as a shell exports it.
 */
const WIDTH = 40;
const BUNDLES = 8;
const ERASE = '\r\x1b[K';

/** The progress lines (each ended by an erase, never by a newline) and the rows that stay (ended by a newline). */
function screen(stderr: string): { drawn: string[]; rows: string[] } {
  const drawn: string[] = [];
  const rows: string[] = [];
  let row = '';
  for (const part of stderr.split(/(\r\x1b\[K|\n)/)) {
    if (part === ERASE) {
      if (row !== '') drawn.push(row);
      row = '';
    } else if (part === '\n') {
      rows.push(row);
      row = '';
    } else row += part;
  }
  // execa strips the final newline: what is left is a row (a progress line never erased would be one too, and fail).
  if (row !== '') rows.push(row);
  return { drawn, rows };
}

describe('progress on stderr', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-progress-'));
  // A long store path: the store's progress line (its URL, counts and bar) is far wider than the terminal.
  const store = path.join(dir, 'a-store-with-a-rather-long-name-to-make-the-line-wide');
  let db = 0;
  const fresh = () => path.join(dir, `p${db++}.db`);
  const nsnap = (args: string[], env: Record<string, string> = {}) => runCli(ANALYZER_BIN, args, { env: { COLUMNS: String(WIDTH), ...env } });

  beforeAll(() => {
    for (let i = 0; i < BUNDLES; i++) {
      const takenAt = `2026-11-29T10:${String(i * 5).padStart(2, '0')}:00.000Z`;
      const links = [{ ifindex: 1, ifname: 'lo' }, { ifindex: 2, ifname: 'eth0', address: '02:00:00:00:00:01' }, ...Array.from({ length: i }, (_, k) => ({ ifindex: 10 + k, ifname: `dummy${k}`, kind: 'dummy' }))];
      writeBundle(store, new BundleBuilder({ host: 'progress-1', takenAt, bootId: '6b1d8f4e-7c55-4e0e-9a43-0d3c2f1b9a10' }).namespace({ inode: 4026531840, host: true, links }).build());
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ingest of a directory with --progress always: every drawn line within the width, the summary after an erase', async () => {
    const r = await nsnap(['ingest', '--progress', 'always', store, '--db', fresh()]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const stderr = String(r.stderr);
    const { drawn, rows } = screen(stderr);
    expect(drawn.some((l) => /^\d+\/8 bundles read…$/.test(l))).toBe(true);
    for (const line of drawn) expect([...line].length, line).toBeLessThan(WIDTH);
    expect(rows).toEqual([expect.stringMatching(/^nsnap: 8 ingested, 0 skipped/)]);
    expect(stderr).toMatch(/\r\x1b\[Knsnap: 8 ingested/);
  });

  it('ingest of a store with --progress always: the wide store line is cut to the width, the summary after an erase', async () => {
    const r = await nsnap(['ingest', '--progress', 'always', `file://${store}`, '--db', fresh()]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const stderr = String(r.stderr);
    const { drawn, rows } = screen(stderr);
    expect(drawn.some((l) => l.endsWith('…'))).toBe(true);
    for (const line of drawn) expect([...line].length, line).toBeLessThan(WIDTH);
    // Only the summaries stay: no progress line smears a row of its own.
    expect(rows).toEqual([expect.stringMatching(/^nsnap: file:\/\/.*: listed 8 keys/), expect.stringMatching(/^nsnap: 8 ingested/)]);
    expect(stderr.indexOf(`${ERASE}nsnap: file://${store}: listed`)).toBeGreaterThan(0);
  });

  it('history with --progress always: stdout stays clean, stderr lines within the width and erased at the end', async () => {
    const database = fresh();
    expect((await nsnap(['ingest', '-q', store, '--db', database])).exitCode).toBe(0);
    const r = await nsnap(['history', '--progress', 'always', '--db', database]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout).trimEnd().split('\n')).toHaveLength(BUNDLES + 1);
    expect(String(r.stdout)).not.toMatch(/[\r\x1b]/);
    const stderr = String(r.stderr);
    const { drawn, rows } = screen(stderr);
    expect(drawn.some((l) => /snapshots compared…$/.test(l))).toBe(true);
    for (const line of drawn) expect([...line].length, line).toBeLessThan(WIDTH);
    expect(rows).toEqual([]);
    expect(stderr.endsWith(ERASE)).toBe(true);
  });

  it('report of a range with --progress always: the timeline work drawn within the width, erased before the summary', async () => {
    const database = fresh();
    expect((await nsnap(['ingest', '-q', store, '--db', database])).exitCode).toBe(0);
    const out = path.join(dir, 'range.html');
    const r = await nsnap(['report', '--since', '2026-11-29', '--progress', 'always', '--out', out, '--db', database]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const stderr = String(r.stderr);
    const { drawn, rows } = screen(stderr);
    expect(drawn.some((l) => /^timeline: \d+\/7 snapshots compared…$/.test(l)), drawn.join(' | ')).toBe(true);
    for (const line of drawn) expect([...line].length, line).toBeLessThan(WIDTH);
    expect(rows).toEqual([expect.stringMatching(/^nsnap: report: wrote .*range\.html/)]);
    expect(stderr).toMatch(/\r\x1b\[Knsnap: report: wrote/);
    // --quiet: neither the progress nor the summary.
    const quiet = await nsnap(['report', '--since', '2026-11-29', '--progress', 'always', '--quiet', '--out', out, '--db', database]);
    expect(quiet.exitCode, String(quiet.stderr)).toBe(0);
    expect(String(quiet.stderr)).toBe('');
  });

  it('nothing redrawn without a terminal (auto), with --progress never, or with --quiet', async () => {
    for (const args of [[], ['--progress', 'never'], ['--progress', 'always', '--quiet']]) {
      const r = await nsnap(['ingest', ...args, `file://${store}`, '--db', fresh()]);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stderr)).not.toMatch(/[\r\x1b]/);
    }
    const bad = await nsnap(['ingest', '--progress', 'sometimes', store, '--db', fresh()]);
    expect(bad.exitCode).toBe(2);
  });
});
