import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../shared/src/store/s3.js';
import { ANALYZER_BIN, COLLECTOR_BIN, ROOT, runCli } from './support/cli.js';
import { S3RVER_CREDENTIALS, S3RVER_ENV, startS3rver, type S3rverHandle } from './support/s3rver.js';

/** The parts of the SDK (the shared package's dependency) used here: HeadObject shows the headers the store's interface does not. */
interface Sdk {
  S3Client: new (config: object) => { send(command: unknown): Promise<{ ContentType?: string; ContentEncoding?: string; Metadata?: Record<string, string> }>; destroy(): void };
  HeadObjectCommand: new (input: { Bucket: string; Key: string }) => unknown;
}
const sdk = createRequire(path.join(ROOT, 'shared/package.json'))('@aws-sdk/client-s3') as Sdk;

let s3: S3rverHandle;
let tmp: string;

beforeAll(async () => {
  s3 = await startS3rver();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-s3-encoding-'));
});
afterAll(async () => {
  await s3?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

async function collect(prefix: string, extra: string[]) {
  const r = await runCli(COLLECTOR_BIN, ['--out', `s3://${s3.bucket}/${prefix}`, '--s3-endpoint', s3.endpoint, '--spool', path.join(tmp, 'spool'), '--host', 'enc-1', '--timeout', '20', '--quiet', ...extra], { env: S3RVER_ENV, extendEnv: true });
  expect([0, 1], String(r.stderr)).toContain(r.exitCode);
  const store = new S3Store({ bucket: s3.bucket, prefix, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
  const keys: string[] = [];
  for await (const page of store.list('')) keys.push(...page.map((o) => o.key));
  expect(keys).toHaveLength(1);
  const client = new sdk.S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  const head = await client.send(new sdk.HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${keys[0]}` }));
  client.destroy();
  const body = await store.get(keys[0]!);
  return { head, body, sha256: createHash('sha256').update(body).digest('hex') };
}

describe('nsnap-collect --s3-content-encoding', () => {
  it('stores a gzip file (application/gzip, no Content-Encoding) by default, and JSON with Content-Encoding: gzip when asked', async () => {
    const plain = await collect('none', []);
    expect(plain.head.ContentType).toBe('application/gzip');
    expect(plain.head.ContentEncoding).toBeUndefined();
    expect([...plain.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(plain.head.Metadata?.sha256).toBe(plain.sha256);

    const explicit = await collect('none-explicit', ['--s3-content-encoding', 'none']);
    expect(explicit.head.ContentType).toBe('application/gzip');
    expect(explicit.head.ContentEncoding).toBeUndefined();

    const gz = await collect('gzip', ['--s3-content-encoding', 'gzip']);
    expect(gz.head.ContentType).toBe('application/json');
    expect(gz.head.ContentEncoding).toBe('gzip');
    expect(gz.head.Metadata?.sha256).toBe(gz.sha256);
  }, 120_000);

  it('leaves the analyzer reading both', async () => {
    const db = path.join(tmp, 'nsnap.db');
    for (const prefix of ['none', 'gzip']) {
      const r = await runCli(ANALYZER_BIN, ['--db', db, 'ingest', `s3://${s3.bucket}/${prefix}`, '--s3-endpoint', s3.endpoint, '--json', '--quiet'], { env: S3RVER_ENV, extendEnv: true });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(JSON.parse(String(r.stdout))).toMatchObject({ ingested: 1, failed: 0 });
    }
  });

  it('refuses another value with a usage error that names the choices', async () => {
    const r = await runCli(COLLECTOR_BIN, ['--out', `s3://${s3.bucket}/x`, '--s3-content-encoding', 'br']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/none, gzip/);
  });
});
