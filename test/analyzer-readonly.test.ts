import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@nsnap/analyzer';
import { ANALYZER_BIN, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { dockerNode } from './support/docker-node.js';

/**
 * The CLI as root without the capabilities that let root ignore file modes (CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH): a 0444 file and a 0555 directory are then read-only to it, as to any user.
 */
const asReader = (args: string[]) =>
  execa('setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-all', process.execPath, ANALYZER_BIN, ...args], { reject: false });

const QUERIES = [['snapshots'], ['show'], ['peers'], ['check'], ['whois', 'eth0'], ['graph'], ['history'], ['diff', 'latest', 'latest']];

describe('read-only databases', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-readonly-'));
  afterAll(() => {
    chmodSync(path.join(dir, 'ro'), 0o755);
    rmSync(dir, { recursive: true, force: true });
  });
  const store = path.join(dir, 'store');
  writeBundle(store, dockerNode().build());
  const more = path.join(dir, 'more');
  writeBundle(more, dockerNode({ takenAt: '2026-11-29T11:00:00.000Z' }).build());

  it('queries work on a database in a read-only directory, the file read-only too, and leave nothing beside it', async () => {
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    const db = path.join(ro, 'nsnap.db');
    const ingest = await runCli(ANALYZER_BIN, ['ingest', '-q', store, '--db', db]);
    expect(ingest.exitCode, String(ingest.stderr)).toBe(0);
    chmodSync(db, 0o444);
    chmodSync(ro, 0o555);
    for (const q of QUERIES) {
      const r = await asReader(['--db', db, ...q]);
      expect({ q, exit: r.exitCode, stderr: r.stderr }).toEqual({ q, exit: q[0] === 'check' ? 1 : 0, stderr: '' });
      expect(r.stdout.length).toBeGreaterThan(0);
    }
    expect(existsSync(`${db}-wal`) || existsSync(`${db}-shm`)).toBe(false);
  });

  it('queries work on a read-only file in a writable directory', async () => {
    const db = path.join(dir, 'rofile.db');
    expect((await runCli(ANALYZER_BIN, ['ingest', '-q', store, '--db', db])).exitCode).toBe(0);
    chmodSync(db, 0o444);
    const r = await asReader(['--db', db, 'peers']);
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
  });

  it('ingest into a read-only file says so in one line, exit 1, and the database is unchanged (at rest in rollback or WAL mode)', async () => {
    for (const mode of ['rollback', 'wal']) {
      const db = path.join(dir, `ingest-ro-${mode}.db`);
      expect((await runCli(ANALYZER_BIN, ['ingest', '-q', store, '--db', db])).exitCode).toBe(0);
      // An nsnap before this one left its database in WAL mode.
      if (mode === 'wal') openDatabase(db, { mustExist: true }).close();
      chmodSync(db, 0o444);
      const r = await asReader(['ingest', more, '--db', db]);
      expect({ mode, exit: r.exitCode, stderr: r.stderr }).toEqual({
        mode,
        exit: 1,
        stderr: `nsnap: database "${db}" is read-only here (attempt to write a readonly database): ingest needs to write it, and a journal beside it`,
      });
      const check = openDatabase(db, { mustExist: true, readonly: true });
      expect(check.prepare('SELECT count(*) FROM snapshots').pluck().get()).toBe(1);
      check.close();
    }
  });

  it('an internal error exits 70 (a database whose tables were tampered with)', async () => {
    const db = path.join(dir, 'tampered.db');
    expect((await runCli(ANALYZER_BIN, ['ingest', '-q', store, '--db', db])).exitCode).toBe(0);
    const raw = openDatabase(db, { mustExist: true });
    raw.exec('DROP VIEW interface_owners; DROP VIEW veth_pairs; DROP VIEW unpaired_veths; DROP VIEW link_candidates; DROP VIEW links');
    raw.close();
    const r = await runCli(ANALYZER_BIN, ['--db', db, 'peers']);
    expect(r.exitCode).toBe(70);
    expect(String(r.stderr)).toMatch(/^nsnap: internal error: .*no such table: links/);
  });
});
