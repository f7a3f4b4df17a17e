import { createHash } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Bundle } from '@nsnap/shared';
import { BundleBuilder } from '../../../test/support/bundle-builder.js';
import { migrate } from '../db/migrate.js';
import { snapshotInserter } from '../ingest/insert-snapshot.js';
import { normalizeBundle } from '../ingest/normalize.js';
import { routingRows } from '../ingest/routing-rows.js';
import { historyRange } from './history.js';
import { selectSnapshot } from './select.js';

const HOST = 4026531840;
const t = (m: number) => new Date(Date.UTC(2026, 10, 29, 10, m)).toISOString();
function bundle(m: number, mtu: number): Bundle {
  const b = new BundleBuilder({ host: 'web', takenAt: t(m) });
  b.namespace({ inode: HOST, host: true, links: [{ ifindex: 2, ifname: 'eth0', mtu }] });
  return b.build();
}

describe('historyRange: two snapshots taken at one time', () => {
  it('starts at the snapshot in force at --since, not at an older one of the same time', () => {
    const db = new Sqlite(':memory:');
    migrate(db);
    const inserter = snapshotInserter(db);
    for (const b of [bundle(0, 1500), bundle(0, 9000), bundle(10, 9000)]) {
      const sha = createHash('sha256').update(JSON.stringify(b)).digest('hex');
      db.transaction(() => inserter.insert(normalizeBundle(b), sha, 1, t(60), routingRows(b).rows)).immediate();
    }
    try {
      const inForce = selectSnapshot(db, { snapshot: `@${t(5)}`, host: 'web' });
      const all = historyRange(db, 'web', null, null).snapshots;
      // The two at 10:00, by row: the one ingested second is in force at 10:05.
      expect(all.map((s) => s.takenAt)).toEqual([t(0), t(0), t(10)]);
      expect(inForce.row).toBe(all[1]!.row);
      // "the snapshot in force at --since (if any), then every snapshot up to --until": not the older one of its time.
      expect(historyRange(db, 'web', t(5), null).snapshots.map((s) => s.row)).toEqual([all[1]!.row, all[2]!.row]);
      // At that very time: the same baseline.
      expect(historyRange(db, 'web', t(0), null).snapshots.map((s) => s.row)).toEqual([all[1]!.row, all[2]!.row]);
    } finally {
      db.close();
    }
  });
});
