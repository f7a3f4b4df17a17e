import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { LIMITS, sizeText } from '../schema/limits.js';

const CHUNK = 1024 * 1024;

/**
 * Reads a bundle file (a local source of `nsnap ingest`, an object of a local store), counting the bytes actually read: `stat().size` says 0 for a /proc file and
 * nothing true for a file still growing. Opened without blocking (a FIFO would wait for a writer
 * forever) and refused unless the opened file is a regular one (/dev/zero never ends).
 */
export function readRegularFile(file: string, limit: number = LIMITS.storedBytes): Buffer {
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
      if (total > limit) throw new Error(`too large: over the ${sizeText(limit)} limit on a bundle's stored bytes: stopped reading at ${total} bytes`);
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** What kind of file system object it is, in words. */
export function fileType(st: Stats | null): string {
  if (st === null) return 'gone';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symbolic link';
  return st.isFile() ? 'regular file' : 'unknown type';
}
