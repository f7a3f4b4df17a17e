import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore, type ObjectStore } from '@nsnap/shared';
import { S3Store } from '../../../shared/src/store/s3.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../../../test/support/s3rver.js';
import { DOCTOR_PREFIX, storeCheck } from './store-round-trip.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-doctor-store-'));
let s3: S3rverHandle;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of store.list(prefix)) keys.push(...page.map((o) => o.key));
  return keys;
}

function s3Store(credentials: { accessKeyId: string; secretAccessKey: string } = S3RVER_CREDENTIALS): S3Store {
  return new S3Store({ bucket: s3.bucket, prefix: 'fleet', endpoint: s3.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

describe('store check', () => {
  it('writes, reads back and deletes a probe in a directory store, leaving the directory as it was', async () => {
    const root = path.join(tmp, 'local');
    const check = await storeCheck(new LocalStore(root), 'web-3');
    expect(check.status).toBe('ok');
    expect(check.detail).toMatch(new RegExp(`^wrote ${root}/_doctor/web-3-[0-9a-f-]{36}\\.txt \\(\\d+ bytes\\); read it back; deleted it$`));
    expect(readdirSync(root)).toEqual([]);
  });

  it('fails with the path and the reason when the directory cannot be written', async () => {
    const blocker = path.join(tmp, 'a-file');
    writeFileSync(blocker, 'x');
    const check = await storeCheck(new LocalStore(path.join(blocker, 'store')), 'web-3');
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/cannot write .*a-file\/store\/_doctor\/web-3-.*ENOTDIR/);
  });

  it('makes the round trip on a real S3 server and leaves nothing under _doctor/', async () => {
    const store = s3Store();
    const check = await storeCheck(store, 'web-3');
    expect(check).toMatchObject({ name: 'store', status: 'ok' });
    expect(check.detail).toMatch(/^wrote s3:\/\/nsnap-test\/fleet\/_doctor\/web-3-[0-9a-f-]{36}\.txt \(\d+ bytes\); read it back; deleted it$/);
    expect(await keysUnder(store, DOCTOR_PREFIX)).toEqual([]);
  });

  it('fails when S3 refuses the credentials', async () => {
    const check = await storeCheck(s3Store({ accessKeyId: 'NOBODY', secretAccessKey: 'x' }), 'web-3');
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/cannot write s3:\/\/nsnap-test\/fleet\/_doctor\/.*access denied/);
  });
});
