import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';

describe('every query of one snapshot takes --snapshot, and an @TIME answer says how old its snapshot was', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-selection-'));
  const db = path.join(dir, 'nsnap.db');
  const bundle = dockerNode({ host: 'node-1', takenAt: '2026-11-29T10:00:00.000Z', tags: {} }).build();
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);
  const AT = '@2026-11-29T10:12Z';
  const AGE = /in force at 2026-11-29T10:12:00\.000Z: 12 min old then/;

  beforeAll(async () => {
    writeBundle(path.join(dir, 'bundles'), bundle);
    const r = await nsnap('ingest', path.join(dir, 'bundles'));
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const query of ['show', 'peers', 'graph', 'check']) {
    it(`${query} --snapshot @TIME names the snapshot and its age then`, async () => {
      const r = await nsnap(query, '--snapshot', AT);
      expect([0, 1], String(r.stderr)).toContain(r.exitCode);
      expect(String(r.stdout)).toContain(bundle.snapshotId);
      expect(String(r.stdout)).toMatch(AGE);
    });
  }

  it('says the time asked for in JSON too, and nothing of it for other selectors', async () => {
    for (const query of ['show', 'peers', 'check']) {
      const at = JSON.parse(String((await nsnap(query, '--snapshot', AT, '--json')).stdout)) as { snapshot: Record<string, unknown> };
      expect(at.snapshot).toMatchObject({ id: bundle.snapshotId, takenAt: '2026-11-29T10:00:00.000Z', asOf: '2026-11-29T10:12:00.000Z' });
      const latest = JSON.parse(String((await nsnap(query, '--json')).stdout)) as { snapshot: Record<string, unknown> };
      expect(latest.snapshot).not.toHaveProperty('asOf');
    }
    expect(String((await nsnap('peers')).stdout)).not.toMatch(/old then/);
  });

  it('check takes the snapshot as --snapshot or as its argument, and refuses both at once (exit 2)', async () => {
    const byFlag = await nsnap('check', '--snapshot', bundle.snapshotId.slice(0, 8), '--json');
    const byArg = await nsnap('check', bundle.snapshotId.slice(0, 8), '--json');
    expect(byFlag.exitCode).toBe(byArg.exitCode);
    expect(JSON.parse(String(byFlag.stdout))).toEqual(JSON.parse(String(byArg.stdout)));
    const both = await nsnap('check', 'latest', '--snapshot', 'latest');
    expect(both.exitCode).toBe(2);
    expect(String(both.stderr)).toContain('two snapshots given ("latest" and --snapshot "latest")');
  });
});
