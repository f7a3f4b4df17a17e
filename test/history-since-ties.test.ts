import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';

// Two snapshots of one host with the same taken_at (10:00; the MTU changes between them), one at 10:10.
// `history --since 10:05` must start at the snapshot in force at 10:05 (the second one at 10:00): the
// MTU change happened before --since and is no step of that answer.
const dir = mkdtempSync(path.join(tmpdir(), 'nsnap-since-ties-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const t = (m: number) => new Date(Date.UTC(2026, 10, 29, 10, m)).toISOString();

describe('history --since with snapshots taken at one time', () => {
  it('reports no change from before --since', async () => {
    for (const [m, mtu] of [[0, 1500], [0, 9000], [10, 9000]] as const) {
      const b = new BundleBuilder({ host: 'web', takenAt: t(m) });
      b.namespace({ inode: 4026531840, host: true, links: [{ ifindex: 2, ifname: 'eth0', mtu }] });
      writeBundle(path.join(dir, 'b'), b.build());
    }
    const db = path.join(dir, 'n.db');
    expect((await runCli(ANALYZER_BIN, ['ingest', '--db', db, path.join(dir, 'b')])).exitCode).toBe(0);
    const r = await runCli(ANALYZER_BIN, ['history', '--json', '--host', 'web', '--since', t(5), '--db', db]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { snapshots: number; steps: { counts: { interfaces: { changed: number } } }[] };
    // Three snapshots in the range (both 10:00 ones and 10:10): one step too many, from before --since.
    expect({ snapshots: out.snapshots, steps: out.steps.length }).toEqual({ snapshots: 2, steps: 1 });
  });
});
