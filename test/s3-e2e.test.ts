import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBundleKey } from '@nsnap/shared';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { S3RVER_ENV, startS3rver, type S3rverHandle } from './support/s3rver.js';

const HOST = 'e2e-ingest';

let s3: S3rverHandle;
let tmp: string;
let db: string;

const prefix = () => `s3://${s3.bucket}/fleet`;

/** The collector as cron runs it, against the test server. */
function collect() {
  return runCli(COLLECTOR_BIN, ['--out', prefix(), '--s3-endpoint', s3.endpoint, '--spool', path.join(tmp, 'spool'), '--host', HOST, '--timeout', '20'], {
    env: S3RVER_ENV,
    extendEnv: true,
  });
}

function analyzer(args: string[]) {
  return runCli(ANALYZER_BIN, ['--db', db, ...args], { env: S3RVER_ENV, extendEnv: true });
}

const ingest = () => analyzer(['ingest', prefix(), '--s3-endpoint', s3.endpoint, '--json']);

async function snapshotIds(): Promise<string[]> {
  const r = await analyzer(['snapshots', '--json', '--host', HOST]);
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return (JSON.parse(String(r.stdout)) as { snapshots: { id: string; host: string }[] }).snapshots.map((s) => s.id).sort();
}

function spooledFiles(): string[] {
  const root = path.join(tmp, 'spool');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(root, d.name)).filter((f) => f.endsWith('.spool')));
}

/** The snapshot id of the key the collector printed as the last line on stdout. */
function storedId(stdout: unknown): string {
  const location = String(stdout).trim().split('\n').at(-1) ?? '';
  expect(location.startsWith(`${prefix()}/`), location).toBe(true);
  const parsed = parseBundleKey(location.slice(prefix().length + 1));
  expect(parsed?.host).toBe(HOST);
  return parsed!.snapshotId;
}

beforeAll(async () => {
  s3 = await startS3rver();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-s3-e2e-'));
  db = path.join(tmp, 'nsnap.db');
});

afterAll(async () => {
  await s3?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

// One story, in order: each step starts from the state the previous one left.
describe.sequential('nsnap-collect → S3 (s3rver) → nsnap ingest', () => {
  const ids: string[] = [];

  it('ingests what the collector stored, and lists it', async () => {
    const c = await collect();
    expect([0, 1], String(c.stderr)).toContain(c.exitCode);
    ids.push(storedId(c.stdout));

    const r = await ingest();
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const summary = JSON.parse(String(r.stdout)) as { ingested: number; stores: { downloaded: number; unverified: number; listed: number }[] };
    expect(summary.ingested).toBe(1);
    expect(summary.stores[0]).toMatchObject({ listed: 1, downloaded: 1, unverified: 0 });
    expect(String(r.stderr)).not.toMatch(/NodeVersionSupportWarning/);
    expect(await snapshotIds()).toEqual(ids);

    const peers = await analyzer(['peers', '--json', '--host', HOST]);
    expect(peers.exitCode, String(peers.stderr)).toBe(0);
    expect((JSON.parse(String(peers.stdout)) as { snapshot: { id: string } }).snapshot.id).toBe(ids[0]);
  });

  it('with the server stopped: the collector exits 3 and spools; the analyzer names the unreachable store and exits 1', async () => {
    await s3.stop();
    const c = await collect();
    expect(c.exitCode, String(c.stderr)).toBe(3);
    expect(spooledFiles()).toHaveLength(1);
    const spooledId = /could not store snapshot ([0-9a-f-]{36})/.exec(String(c.stderr))?.[1];
    expect(spooledId).toBeDefined();
    ids.push(spooledId!);

    const r = await analyzer(['ingest', prefix(), '--s3-endpoint', s3.endpoint]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain(`nsnap: failed: ${prefix()}/: cannot list: cannot reach S3 endpoint ${s3.endpoint} (ECONNREFUSED)`);
    expect(await snapshotIds()).toEqual([ids[0]]);
  });

  it('with the server back: the next collector run uploads the spooled bundle and a new one, and the analyzer finds both', async () => {
    await s3.start();
    const c = await collect();
    expect([0, 1], String(c.stderr)).toContain(c.exitCode);
    expect(String(c.stderr)).toContain('uploaded spooled bundle');
    ids.push(storedId(c.stdout));
    expect(spooledFiles()).toEqual([]);

    const r = await ingest();
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const summary = JSON.parse(String(r.stdout)) as { ingested: number; stores: { known: number; downloaded: number }[] };
    expect(summary.ingested).toBe(2);
    expect(summary.stores[0]).toMatchObject({ known: 1, downloaded: 2 });
    expect(await snapshotIds()).toEqual([...ids].sort());
  });
});
