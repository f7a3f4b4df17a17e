import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { toDbText } from '@nsnap/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../shared/src/store/s3.js';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';
import { S3RVER_CREDENTIALS, S3RVER_ENV, startS3rver, type S3rverHandle } from './support/s3rver.js';

const skip = netnsSkipReason();

interface End {
  netns: number;
  ifname: string;
  ifindex: number;
}
interface WhoisMatch extends End {
  matchedBy: string;
  pids: number[];
  peer: (End & { pids: number[] }) | null;
}
type Row = Record<string, unknown>;

/** Every file below dir, relative, with its bytes. */
function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const endKey = (e: End) => `${e.netns}/${e.ifname}#${e.ifindex}`;
/** An end of a CLI answer with its name in the lake's (SQLite's) form: other tests' hostile names are in the same snapshots. */
const lakeForm = (e: End): End => ({ ...e, ifname: toDbText(e.ifname) });
const pairKey = (a: End, b: End) => [endKey(a), endKey(b)].sort().join(' ⇄ ');

/**
 * The lake on real snapshots: real namespaces, the real collector (two hosts' labels, two snapshots of
 * one), the real analyzer's ingest and export, and DuckDB reading the files. DuckDB's answers must be
 * the CLI's (`peers`, `whois --at`, `check`) on the same data.
 */
describe.skipIf(skip)('nsnap export read by DuckDB', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-export-lake-'));
  const bundles = path.join(dir, 'bundles');
  const db = path.join(dir, 'nsnap.db');
  const lake = path.join(dir, 'lake');
  const hostA = `lake-a-${lab.prefix}`;
  const hostB = `lake-b-${lab.prefix}`;
  const br = lab.name('br');
  let a: Awaited<ReturnType<Lab['addContainer']>>;
  let b: Awaited<ReturnType<Lab['addContainer']>>;
  let idle: { name: string; inode: number };
  /** A time between hostA's two snapshots: the first is in force then. */
  let between: string;
  let duck: DuckDBConnection;
  let instance: DuckDBInstance;

  const cli = async (args: string[]) => {
    const r = await runCli(ANALYZER_BIN, ['--db', db, ...args]);
    return { ...r, json: () => JSON.parse(String(r.stdout)) as Row };
  };
  const collect = async (host: string) => {
    const r = await runCli(COLLECTOR_BIN, ['--out', bundles, '--host', host, '--quiet']);
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
  };
  const q = async (sql: string): Promise<Row[]> => (await duck.runAndReadAll(sql)).getRowObjectsJS() as Row[];
  const t = (table: string) => `read_parquet('${lake}/${table}/*/*/*.parquet', hive_partitioning = true)`;
  /** A table no snapshot had rows for has no file: DuckDB would refuse the glob, and the answer is no rows. */
  const qIfAny = (table: string, sql: string) => (existsSync(path.join(lake, table)) ? q(sql) : Promise.resolve([]));

  beforeAll(async () => {
    await lab.ip('link', 'add', lab.ownHostLink(br), 'type', 'bridge');
    a = await lab.addContainer('a', br);
    b = await lab.addContainer('b', br);
    // A namespace kept only by its name: `check` calls it a leak.
    idle = await lab.addNetns('idle');
    await collect(hostA);
    await collect(hostB);
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    // a's host end now leads into b: the same name, another peer, after `between`.
    await lab.ip('link', 'del', a.hostEnd);
    await lab.ip('link', 'add', a.hostEnd, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', b.name);
    await collect(hostA);
    const ingested = await cli(['ingest', bundles]);
    expect(ingested.exitCode, String(ingested.stderr)).toBe(0);
    const exported = await cli(['export', '--to', lake, '--json']);
    expect(exported.exitCode, String(exported.stderr)).toBe(0);
    expect(exported.json()).toMatchObject({ snapshots: 3, exported: 3, failed: 0 });
    instance = await DuckDBInstance.create(':memory:');
    duck = await instance.connect();
  }, 120_000);

  afterAll(async () => {
    duck?.closeSync();
    instance?.closeSync();
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the same files from the bundles without a database (--from) as from the database', async () => {
    const other = path.join(dir, 'lake-from-bundles');
    const r = await runCli(ANALYZER_BIN, ['export', '--from', bundles, '--to', other, '--quiet']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const mine = files(lake);
    const theirs = files(other);
    expect([...theirs.keys()].sort()).toEqual([...mine.keys()].sort());
    for (const [k, bytes] of mine) expect(theirs.get(k)!.equals(bytes), k).toBe(true);
  });

  it('gives the veth pairs `nsnap peers` gives, for each host', async () => {
    for (const host of [hostA, hostB]) {
      const peers = (await cli(['peers', '--json', '--host', host])).json() as { pairs: { a: End; b: End; method: string }[] };
      const fromCli = peers.pairs.map((p) => `${pairKey(lakeForm(p.a), lakeForm(p.b))} ${p.method}`).sort();
      const latest = `(SELECT max(taken_at) FROM ${t('snapshots')} WHERE host = '${host}')`;
      const rows = await q(`SELECT * FROM ${t('veth_pairs')} WHERE host = '${host}' AND taken_at = ${latest}`);
      const fromLake = rows.map((r) => `${pairKey({ netns: Number(r.a_netns), ifname: String(r.a_ifname), ifindex: Number(r.a_ifindex) }, { netns: Number(r.b_netns), ifname: String(r.b_ifname), ifindex: Number(r.b_ifindex) })} ${String(r.method)}`).sort();
      expect(fromLake).toEqual(fromCli);
      expect(fromCli.some((p) => p.includes(`/${lab.name('hb')}#`))).toBe(true);
    }
  });

  it('answers `whois IFNAME --at` as the CLI does, before and after the name moved to another peer', async () => {
    const whoisLake = async (at: string) => {
      const snap = `(SELECT snapshot_id FROM ${t('snapshots')} WHERE host = '${hostA}' AND taken_at <= TIMESTAMP '${at.replace('T', ' ').replace('Z', '')}' ORDER BY taken_at DESC LIMIT 1)`;
      return q(`
        SELECT i.netns, i.ifname, i.ifindex,
               coalesce(p.b_netns, r.a_netns) AS peer_netns, coalesce(p.b_ifname, r.a_ifname) AS peer_ifname, coalesce(p.b_ifindex, r.a_ifindex) AS peer_ifindex,
               (SELECT list(pid ORDER BY pid) FROM ${t('processes')} x WHERE x.snapshot_id = i.snapshot_id AND x.netns = coalesce(p.b_netns, r.a_netns)) AS peer_pids
        FROM ${t('interfaces')} i
        LEFT JOIN ${t('veth_pairs')} p ON p.snapshot_id = i.snapshot_id AND p.a_netns = i.netns AND p.a_ifindex = i.ifindex
        LEFT JOIN ${t('veth_pairs')} r ON r.snapshot_id = i.snapshot_id AND r.b_netns = i.netns AND r.b_ifindex = i.ifindex
        WHERE i.host = '${hostA}' AND i.snapshot_id = ${snap} AND i.ifname = '${a.hostEnd}'`);
    };
    const peersInForce: number[] = [];
    for (const at of [between, new Date().toISOString()]) {
      const answer = (await cli(['whois', a.hostEnd, '--at', at, '--host', hostA, '--json'])).json() as { matches: WhoisMatch[] };
      const match = answer.matches.find((m) => m.matchedBy === 'interface' && m.ifname === a.hostEnd)!;
      expect(match.peer, at).not.toBeNull();
      const rows = await whoisLake(at);
      expect(rows, at).toHaveLength(1);
      const r = rows[0]!;
      expect({ netns: Number(r.netns), ifname: r.ifname, ifindex: Number(r.ifindex) }).toEqual({ netns: match.netns, ifname: match.ifname, ifindex: match.ifindex });
      expect({ netns: Number(r.peer_netns), ifname: r.peer_ifname, ifindex: Number(r.peer_ifindex) }).toEqual({ netns: match.peer!.netns, ifname: match.peer!.ifname, ifindex: match.peer!.ifindex });
      expect((r.peer_pids as number[]).map(Number)).toEqual(match.peer!.pids);
      peersInForce.push(match.peer!.netns);
    }
    // The question had two different answers: the lake gave both.
    expect(peersInForce).toEqual([a.inode, b.inode]);
  });

  it('finds the leaks and failed captures `nsnap check` finds', async () => {
    for (const host of [hostA, hostB]) {
      const check = (await cli(['check', '--json', '--host', host])).json() as { findings: { kind: string; subject: string; netns: number | null; ifname: string | null }[] };
      const latest = `(SELECT max(taken_at) FROM ${t('snapshots')} WHERE host = '${host}')`;
      const leaks = await q(`
        SELECT n.netns FROM ${t('namespaces')} n
        WHERE n.host = '${host}' AND n.taken_at = ${latest} AND NOT n.is_host AND (len(n.names) > 0 OR len(n.mounts) > 0)
          AND NOT EXISTS (SELECT 1 FROM ${t('processes')} p WHERE p.snapshot_id = n.snapshot_id AND p.netns = n.netns)`);
      const fromCli = check.findings.filter((f) => f.kind === 'netns-without-process').map((f) => f.netns).sort();
      expect(leaks.map((r) => Number(r.netns)).sort()).toEqual(fromCli);
      expect(fromCli).toContain(idle.inode);
      const unpaired = await qIfAny('unpaired_veths', `SELECT netns, ifname, reason FROM ${t('unpaired_veths')} WHERE host = '${host}' AND taken_at = ${latest} AND reason <> 'no-peer-index'`);
      const unpairedCli = check.findings.filter((f) => f.kind.endsWith('-veth') || f.kind.startsWith('veth-peer-')).map((f) => `${f.netns}/${toDbText(f.ifname ?? '')}`).sort();
      expect(unpaired.map((r) => `${Number(r.netns)}/${String(r.ifname)}`).sort()).toEqual(unpairedCli);
      const gaps = await qIfAny('gaps', `SELECT probe || ': ' || subject AS s FROM ${t('gaps')} WHERE host = '${host}' AND taken_at = ${latest}`);
      expect(gaps.map((r) => String(r.s)).sort()).toEqual(check.findings.filter((f) => f.kind === 'capture-failed').map((f) => f.subject).sort());
    }
  });

  it('reads only the files of the host a query filters on', async () => {
    const explain = await q(`EXPLAIN ANALYZE SELECT count(*) FROM ${t('interfaces')} WHERE host = '${hostB}'`);
    const plan = explain.map((r) => String(r.explain_value)).join('\n');
    const all = [...files(lake).keys()].filter((k) => k.startsWith('interfaces/'));
    const mine = all.filter((k) => k.startsWith(`interfaces/host=${hostB}/`));
    expect(mine).toHaveLength(1);
    expect(all.length).toBeGreaterThanOrEqual(3);
    // DuckDB's plan box may wrap a line: a count can be on the line after its label.
    expect(plan).toMatch(new RegExp(`Scanning Files:[\\s│]*${mine.length}/${all.length}\\b`));
    expect(plan).toMatch(new RegExp(`Total Files Read:[\\s│]*${mine.length}\\b`));
  });

  describe('to S3', () => {
    let s3: S3rverHandle;
    beforeAll(async () => {
      s3 = await startS3rver({ bucket: 'nsnap-lake' });
    });
    afterAll(async () => {
      await s3?.dispose();
    });

    it('uploads the same objects as the directory lake, once: a second run writes nothing', async () => {
      const args = ['--db', db, 'export', '--to', `s3://${s3.bucket}/v1`, '--s3-endpoint', s3.endpoint, '--json', '--quiet'];
      const first = await runCli(ANALYZER_BIN, args, { env: S3RVER_ENV, extendEnv: true });
      expect(first.exitCode, String(first.stderr)).toBe(0);
      const again = await runCli(ANALYZER_BIN, args, { env: S3RVER_ENV, extendEnv: true });
      expect(JSON.parse(String(again.stdout))).toMatchObject({ exported: 0, present: 3, files: 0 });
      const store = new S3Store({ bucket: s3.bucket, prefix: 'v1', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
      const local = files(lake);
      const keys: string[] = [];
      for await (const page of store.list('')) keys.push(...page.map((o) => o.key));
      expect(keys.sort()).toEqual([...local.keys()].sort());
      for (const k of keys.slice(0, 5)) expect(Buffer.from(await store.get(k)).equals(local.get(k)!), k).toBe(true);
    });
  });
});
