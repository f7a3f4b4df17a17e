import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertSafeKey, writeAtomic } from '@nsnap/shared/core';

/**
 * Bundles that could not be stored, waiting for the next run. One file per bundle,
 * written atomically: a header line, then the gzip bytes exactly as they would have
 * been stored —
 *
 *   nsnap-spool 1 {"key":"host=…/….json.gz","sha256":"…","bytes":1234,"spooledAt":"…"}\n<gzip>
 *
 * so `tail -n +2 FILE | gunzip` shows the bundle. Files are named after the key's last
 * segment (time stamp, then a time-ordered uuid), so name order is age order.
 */
const MAGIC = 'nsnap-spool 1 ';
const SUFFIX = '.spool';
const REJECTED_SUFFIX = '.rejected';
const MAX_HEADER = 4096;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,200}$/;

export interface SpoolEntry {
  /** Absolute path of the spool file. */
  file: string;
  key: string;
  sha256: string;
  /** Size of the gzip body. */
  bytes: number;
  spooledAt: string;
}

export interface SpooledBundle {
  key: string;
  gzip: Uint8Array;
  sha256: string;
}

export type SpoolAddResult =
  | { kind: 'spooled'; entry: SpoolEntry; usedBytes: number }
  /** Over --spool-max-bytes: nothing was written and nothing was removed to make room. */
  | { kind: 'full'; usedBytes: number; neededBytes: number; maxBytes: number };

/** A spool file that cannot be read back as it was written; it is renamed aside, never deleted. */
export class SpoolEntryError extends Error {
  override name = 'SpoolEntryError';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** Beside the entries: the store they wait for (its canonical identity), so a run for another store can name it. */
const DESTINATION_FILE = 'destination';
const MAX_DESTINATION = 2048;

export class Spool {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    /** The store this spool waits for; recorded in the directory on the first add. */
    readonly storeIdentity: string | null = null,
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new Error(`spool size limit must be a positive number of bytes, got ${maxBytes}`);
  }

  /** Bytes the spool directory holds: entries, rejected entries and leftovers of interrupted writes. */
  async usedBytes(): Promise<number> {
    let total = 0;
    for (const name of await this.names()) {
      const st = await fs.lstat(path.join(this.dir, name)).catch(() => null);
      if (st?.isFile()) total += st.size;
    }
    return total;
  }

  /** Waiting bundles, oldest first. Unreadable entries come back as SpoolEntryError, in place. */
  async entries(): Promise<Array<SpoolEntry | SpoolEntryError>> {
    const names = (await this.names()).filter((n) => n.endsWith(SUFFIX)).sort();
    const out: Array<SpoolEntry | SpoolEntryError> = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      try {
        out.push((await this.readHeader(file)).entry);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        out.push(error instanceof SpoolEntryError ? error : new SpoolEntryError(`cannot read spool entry ${file}: ${(error as Error).message}`, file));
      }
    }
    return out;
  }

  /** The body of an entry, checked against its recorded key, size and sha256. */
  async read(entry: SpoolEntry): Promise<Uint8Array> {
    const { entry: now, bodyOffset } = await this.readHeader(entry.file);
    const body = (await fs.readFile(entry.file)).subarray(bodyOffset);
    const sha256 = createHash('sha256').update(body).digest('hex');
    if (now.key !== entry.key || body.byteLength !== entry.bytes || sha256 !== entry.sha256) {
      throw new SpoolEntryError(`spool entry ${entry.file} is unusable: body sha256 ${sha256} (${body.byteLength} bytes) differs from the recorded ${entry.sha256} (${entry.bytes} bytes)`, entry.file);
    }
    return body;
  }

  async add(bundle: SpooledBundle, now: Date = new Date()): Promise<SpoolAddResult> {
    const base = path.posix.basename(bundle.key).replace(/\.json\.gz$/, '');
    if (!NAME.test(base)) throw new Error(`cannot name a spool entry after key ${JSON.stringify(bundle.key.slice(0, 200))}`);
    const entry: SpoolEntry = { file: path.join(this.dir, `${base}${SUFFIX}`), key: bundle.key, sha256: bundle.sha256, bytes: bundle.gzip.byteLength, spooledAt: now.toISOString() };
    const header = Buffer.from(`${MAGIC}${JSON.stringify({ key: entry.key, sha256: entry.sha256, bytes: entry.bytes, spooledAt: entry.spooledAt })}\n`);
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Only a note for other runs' messages: failing to write it loses no bundle.
    if (this.storeIdentity !== null && (await this.destination()) !== this.storeIdentity) await writeAtomic(path.join(this.dir, DESTINATION_FILE), Buffer.from(`${this.storeIdentity}\n`)).catch(() => {});
    const usedBytes = await this.usedBytes();
    const neededBytes = header.byteLength + bundle.gzip.byteLength;
    if (usedBytes + neededBytes > this.maxBytes) return { kind: 'full', usedBytes, neededBytes, maxBytes: this.maxBytes };
    await writeAtomic(entry.file, Buffer.concat([header, bundle.gzip]));
    return { kind: 'spooled', entry, usedBytes: usedBytes + neededBytes };
  }

  /** The store the spool's bundles wait for, as recorded; null when none was (a spool from an earlier build) or it cannot be read. */
  async destination(): Promise<string | null> {
    const text = await fs.readFile(path.join(this.dir, DESTINATION_FILE), 'utf8').catch(() => null);
    const line = text?.split('\n')[0] ?? '';
    return line === '' ? null : line.slice(0, MAX_DESTINATION);
  }

  /** Called only after the entry's bundle is safely in the store. */
  async remove(entry: SpoolEntry): Promise<void> {
    await fs.rm(entry.file, { force: true });
  }

  /** Moves an unreadable entry out of the queue, keeping its bytes for a person to look at. */
  async reject(entry: SpoolEntryError): Promise<string> {
    const target = `${entry.file}${REJECTED_SUFFIX}`;
    await fs.rename(entry.file, target);
    return target;
  }

  private async names(): Promise<string[]> {
    try {
      return await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** The header, and where the body starts; reads only the first few KiB of the file. */
  private async readHeader(file: string): Promise<{ entry: SpoolEntry; bodyOffset: number }> {
    const bad = (why: string) => new SpoolEntryError(`spool entry ${file} is unusable: ${why}`, file);
    const handle = await fs.open(file, 'r');
    let head: Buffer;
    let size: number;
    try {
      size = (await handle.stat()).size;
      const buf = Buffer.alloc(Math.min(MAX_HEADER, size));
      const { bytesRead } = await handle.read(buf, 0, buf.byteLength, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const nl = head.indexOf(0x0a);
    if (nl < 0 || head.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) throw bad('no nsnap-spool header');
    let header: unknown;
    try {
      header = JSON.parse(head.subarray(MAGIC.length, nl).toString('utf8'));
    } catch {
      throw bad('header is not JSON');
    }
    const h = header as Partial<Record<keyof SpoolEntry, unknown>>;
    if (typeof h.key !== 'string' || typeof h.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(h.sha256) || typeof h.bytes !== 'number' || typeof h.spooledAt !== 'string') {
      throw bad('header lacks key, sha256, bytes or spooledAt');
    }
    try {
      assertSafeKey(h.key);
    } catch {
      throw bad(`unsafe key ${JSON.stringify(h.key.slice(0, 200))}`);
    }
    if (size - nl - 1 !== h.bytes) throw bad(`body is ${size - nl - 1} bytes, header says ${h.bytes}`);
    return { entry: { file, key: h.key, sha256: h.sha256, bytes: h.bytes, spooledAt: h.spooledAt }, bodyOffset: nl + 1 };
  }
}
