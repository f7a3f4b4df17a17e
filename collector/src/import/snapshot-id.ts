import { createHash } from 'node:crypto';

/**
 * A UUIDv7 whose time is the capture's and whose other bits come from a hash
 * of everything the import read: importing the same files again gives the
 * same snapshot id, hence the same storage key and the same bundle, so a
 * repeated import replaces itself instead of adding a twin snapshot.
 */
export function importSnapshotId(takenAtMs: number, fingerprint: unknown): string {
  const bytes = createHash('sha256').update(JSON.stringify(fingerprint)).digest().subarray(0, 16);
  const ms = BigInt(takenAtMs);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
