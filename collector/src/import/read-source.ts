import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeUtf8b, LIMITS } from '@nsnap/shared/core';
import { UsageError } from '../exit-codes.js';

/** One file a person captured by hand, read verbatim. */
export interface SourceFile {
  /** What the file is for: `ip-link`, `proc-ns`, `netns:pid:3793`, `lsns`, `netns-list-id`. */
  role: string;
  /** The flag that named it, for messages: `--ip-link`, `--netns 3793=…`. */
  flag: string;
  /** Its base name, as recorded in the bundle (the importer's directories say nothing about the host). */
  name: string;
  text: string;
  sha256: string;
  bytes: number;
  /** The command that printed it, when the source says so (a sosreport names each file after its command). */
  command?: string[];
}

/** Same bound as a live capture's output: an imported file becomes one capture. */
export const MAX_SOURCE_BYTES = LIMITS.captureChars;

/**
 * Reads a whole file, at most MAX_SOURCE_BYTES, and hashes the bytes read. A
 * missing, unreadable, non-regular or oversized file is a usage error naming
 * the flag and the path: the person gave the wrong argument.
 */
export async function readSource(file: string, role: string, flag: string): Promise<SourceFile> {
  const shown = `${flag} ${JSON.stringify(file.slice(0, 300))}`;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new UsageError(`${shown}: cannot read it: ${(error as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UsageError(`${shown}: not a regular file`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(Math.min(1024 * 1024, MAX_SOURCE_BYTES + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_SOURCE_BYTES) throw new UsageError(`${shown}: larger than ${MAX_SOURCE_BYTES} bytes, more than any command output a bundle keeps`);
    }
    const bytes = Buffer.concat(chunks, total);
    return { role, flag, name: path.basename(file).slice(0, 255), text: decodeUtf8b(bytes).text, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: total };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${shown}: cannot read it: ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
}
