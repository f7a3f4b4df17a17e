import { closeSync, constants, fstatSync, openSync, promises as fs, readSync } from 'node:fs';
import path from 'node:path';
import type { FailureReason } from '@nsnap/shared/core';
import { detailOf, reasonOf } from './errno.js';

/**
 * Read-only access to a few fixed directories under a root (`--root`, like
 * node_exporter's `--path.rootfs`), bounded in size and count, following no
 * symlink: a runtime's files are read where they are or not at all, so no
 * link can lead the collector outside the root or round a loop.
 */

export type Failure = { reason: FailureReason; detail: string };

/** What a lookup of a fixed directory or file found. */
export type Found = { kind: 'found'; path: string } | { kind: 'missing' } | ({ kind: 'failed' } & Failure);

/**
 * `root` + `fixed` (a constant such as `var/lib/docker/containers`), checked
 * component by component with lstat: a component that does not exist means the
 * runtime is not installed (no error); one that is a symlink is not followed.
 */
export async function lookupFixed(root: string, fixed: string, want: 'dir' | 'file'): Promise<Found> {
  const parts = fixed.split('/').filter((p) => p !== '');
  let at = root;
  for (let i = 0; i < parts.length; i++) {
    at = path.join(at, parts[i]!);
    let st;
    try {
      st = await fs.lstat(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
      return { kind: 'failed', reason: reasonOf(e), detail: detailOf(e) };
    }
    if (st.isSymbolicLink()) return { kind: 'failed', reason: 'failed', detail: `${at} is a symlink: not followed (point --root at a tree without it)` };
    const last = i === parts.length - 1;
    if (!last || want === 'dir') {
      if (!st.isDirectory()) return last ? { kind: 'failed', reason: 'failed', detail: `${at} is not a directory` } : { kind: 'missing' };
    }
  }
  return { kind: 'found', path: at };
}

export interface Entry {
  /** The name's exact bytes: joined into paths as they are. */
  raw: Buffer;
  /** What the entry itself is (d_type, never following a link). */
  type: 'dir' | 'file' | 'symlink' | 'other';
}

export type Listing = { entries: Entry[]; truncated: boolean } | ({ kind: 'failed' } & Failure);

/** Up to `max` entries of a directory, streamed: a directory of a million entries costs no more than `max`. */
export async function listDir(dir: string, max: number): Promise<Listing> {
  const entries: Entry[] = [];
  let handle;
  try {
    // Node's types allow only string encodings here; 'buffer' works and gives each name's bytes.
    handle = await fs.opendir(dir, { encoding: 'buffer' as BufferEncoding, bufferSize: 128 });
  } catch (e) {
    return { kind: 'failed', reason: reasonOf(e), detail: detailOf(e) };
  }
  try {
    for await (const d of handle) {
      if (entries.length >= max) return { entries, truncated: true };
      const type = d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other';
      entries.push({ raw: d.name as unknown as Buffer, type });
    }
  } catch (e) {
    return { kind: 'failed', reason: reasonOf(e), detail: detailOf(e) };
  }
  return { entries, truncated: false };
}

export type FileRead = { kind: 'read'; bytes: Buffer } | { kind: 'missing' } | ({ kind: 'failed' } & Failure);

/**
 * A regular file of at most `maxBytes`, opened without following a final
 * symlink (ELOOP) and without blocking (a FIFO named config.json opens at once
 * and is refused as not a regular file, instead of waiting for a writer).
 * Synchronous: four syscalls on a small local file cost less than one round
 * trip through libuv's thread pool (800 config.json: ~85 ms this way, ~200–290
 * ms as promises, on this loaded 2-core host); callers yield between files.
 */
export function readBounded(file: Buffer | string, maxBytes: number): FileRead {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'failed', reason: 'failed', detail: 'a symlink: not followed' };
    return { kind: 'failed', reason: reasonOf(e), detail: detailOf(e) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'failed', reason: 'failed', detail: 'not a regular file' };
    if (st.size > maxBytes) return { kind: 'failed', reason: 'failed', detail: `${st.size} bytes, more than the ${maxBytes} read` };
    // One byte more than fstat said tells a file that grew meanwhile.
    const buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > st.size) return { kind: 'failed', reason: 'failed', detail: 'it grew while being read' };
    }
    return { kind: 'read', bytes: buf.subarray(0, n) };
  } catch (e) {
    return { kind: 'failed', reason: reasonOf(e), detail: detailOf(e) };
  } finally {
    closeSync(fd);
  }
}

/** `dir/a/b…` with each name's exact bytes (entry names need not be UTF-8). */
export function joinRaw(dir: string, ...names: (Buffer | string)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(dir)];
  for (const n of names) parts.push(Buffer.from('/'), typeof n === 'string' ? Buffer.from(n) : n);
  return Buffer.concat(parts);
}
