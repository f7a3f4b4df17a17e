import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LocalStore, uuidv7, type ObjectStore } from '@nsnap/shared/core';
import type { Check } from './check.js';

/** Below the store's root and apart from the host=… bundle layout, so readers never take a probe for a bundle. */
export const DOCTOR_PREFIX = '_doctor/';

/**
 * A refusal by policy rather than an outage: a collector's IAM policy
 * (deploy/iam-collector-policy.json) grants PutObject only, so reading the
 * probe back and deleting it are refused there by design.
 */
function isDenied(error: unknown): boolean {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const c = cause as { $metadata?: { httpStatusCode?: number }; code?: unknown; name?: unknown; Code?: unknown };
  return c?.$metadata?.httpStatusCode === 403 || ['EACCES', 'EPERM', 'AccessDenied'].includes(String(c?.code ?? c?.Code ?? c?.name));
}

function messageOf(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).slice(0, 500);
}

/**
 * Writes a tiny object under `_doctor/`, reads it back and deletes it: the
 * same put a collector run makes (credentials, endpoint, bucket, prefix,
 * directory permissions), without leaving a bundle behind.
 */
export async function storeCheck(store: ObjectStore, hostLabel: string, now: Date = new Date()): Promise<Check> {
  const key = `${DOCTOR_PREFIX}${hostLabel}-${uuidv7(now.getTime())}.txt`;
  const body = Buffer.from(`nsnap-collect doctor probe from ${hostLabel} at ${now.toISOString()}\n`);
  const where = store.locate(key);
  try {
    await store.put(key, body, { contentType: 'text/plain' });
  } catch (error) {
    return { name: 'store', status: 'fail', detail: `cannot write ${where}: ${messageOf(error)}` };
  }
  const notes: string[] = [];
  let status: Check['status'] = 'ok';
  try {
    const back = await store.get(key);
    if (Buffer.compare(Buffer.from(back), body) !== 0) {
      status = 'fail';
      notes.push(`read back ${back.byteLength} bytes that differ from the ${body.byteLength} written`);
    } else {
      notes.push('read it back');
    }
  } catch (error) {
    if (isDenied(error)) notes.push('reading it back is denied (expected with a put-only policy)');
    else {
      status = 'warn';
      notes.push(`cannot read it back: ${messageOf(error)}`);
    }
  }
  try {
    await store.delete(key);
    notes.push('deleted it');
    if (store instanceof LocalStore) await fs.rmdir(path.dirname(where)).catch(() => {});
  } catch (error) {
    notes.push(`${isDenied(error) ? 'deleting it is denied' : `cannot delete it (${messageOf(error)})`}: it stays at ${where}`);
  }
  return { name: 'store', status, detail: `wrote ${where} (${body.byteLength} bytes); ${notes.join('; ')}` };
}
