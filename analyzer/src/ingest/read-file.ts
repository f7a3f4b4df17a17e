import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { BundleError, LIMITS, sizeText } from '@nsnap/shared';
import { fileType } from './find-bundles.js';

const CHUNK = 1024 * 1024;

/**
 * Reads a bundle file, counting the bytes actually read: `stat().size` says 0 for a /proc file and
 * nothing true for a file still growing. Opened without blocking (a FIFO would wait for a writer
 * forever) and refused unless the opened file is a regular one (/dev/zero never ends).
 */
export function readBundleFile(file: string, limit: number = LIMITS.storedBytes): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`not a regular file (${fileType(st)}): only regular files are read`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.byteLength, null);
      if (n === 0) break;
      chunks.push(n === chunk.byteLength ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > limit) throw new BundleError(`over the ${sizeText(limit)} limit on a bundle's stored bytes: stopped reading at ${total} bytes`, 'oversized');
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
