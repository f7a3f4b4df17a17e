import { createHash } from 'node:crypto';
import { uuidv7 } from '@nsnap/shared/core';

/**
 * A UUIDv7 whose time is the capture's and whose other bits come from a hash
 * of everything the import read: importing the same files again gives the
 * same snapshot id, hence the same storage key and the same bundle, so a
 * repeated import replaces itself instead of adding a twin snapshot.
 */
export function importSnapshotId(takenAtMs: number, fingerprint: unknown): string {
  return uuidv7(takenAtMs, createHash('sha256').update(JSON.stringify(fingerprint)).digest());
}
