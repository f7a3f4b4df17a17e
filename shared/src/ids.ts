import { randomBytes } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then the version and variant
 * bits over `entropy` (random by default; an import passes a hash of its
 * inputs so that the same files give the same id). Ids sort by time.
 */
export function uuidv7(now: number = Date.now(), entropy: Uint8Array = randomBytes(16)): string {
  if (entropy.length < 16) throw new Error('uuidv7 needs 16 bytes of entropy');
  const bytes = Buffer.from(entropy.subarray(0, 16));
  const ms = BigInt(now);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
