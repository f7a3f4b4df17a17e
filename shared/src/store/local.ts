import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertSafeKey } from './keys.js';
import { readRegularFile } from './read-file.js';
import { StoreError, assertSafePrefix, type ObjectInfo, type ObjectStore, type PutOptions, type StoredObject } from './store.js';

const PAGE_SIZE = 1000;
const META_SUFFIX = '.meta.json';
const TMP_PREFIX = '.tmp-';

/**
 * A directory as an object store. Writes are atomic (temp file, fsync,
 * rename, fsync of the directory), and no key can reach outside the root:
 * keys are checked segment by segment, the resolved path must stay below it, and
 * no directory below the root on the way to a key may be a symlink (one planted
 * inside the root would otherwise redirect writes elsewhere).
 */
export class LocalStore implements ObjectStore {
  readonly root: string;
  readonly url: string;
  private readonly pageSize: number;

  constructor(root: string, options: { pageSize?: number } = {}) {
    this.root = path.resolve(root);
    this.url = pathToFileURL(this.root).href;
    this.pageSize = options.pageSize ?? PAGE_SIZE;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) throw new Error(`pageSize must be a positive integer, got ${this.pageSize}`);
  }

  locate(key: string): string {
    assertSafeKey(key);
    const full = path.resolve(this.root, ...key.split('/'));
    if (!full.startsWith(this.root + path.sep)) throw new Error(`key escapes the store root: ${JSON.stringify(key.slice(0, 200))}`);
    return full;
  }

  async put(key: string, body: Uint8Array, options: PutOptions): Promise<void> {
    const target = this.locate(key);
    if (path.basename(target).startsWith(TMP_PREFIX) || target.endsWith(META_SUFFIX)) throw new Error(`reserved key name: ${key}`);
    try {
      await this.makeDirs(key);
      if (options.metadata && Object.keys(options.metadata).length > 0) {
        await writeAtomic(`${target}${META_SUFFIX}`, Buffer.from(JSON.stringify({ contentType: options.contentType, contentEncoding: options.contentEncoding ?? null, metadata: options.metadata })));
      }
      await writeAtomic(target, body);
    } catch (error) {
      throw new StoreError(`cannot write ${target}: ${(error as Error).message}`, key, error);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const target = this.locate(key);
    try {
      return readRegularFile(target);
    } catch (error) {
      throw new StoreError(`cannot read ${target}: ${(error as Error).message}`, key, error);
    }
  }

  async getWithMetadata(key: string): Promise<StoredObject> {
    const body = await this.get(key);
    return { body, metadata: await readMeta(this.locate(key)) };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const target = this.locate(key);
    try {
      const st = await fs.stat(target);
      if (!st.isFile()) return null;
      return { key, size: st.size, lastModified: st.mtime, metadata: await readMeta(target) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StoreError(`cannot stat ${target}: ${(error as Error).message}`, key, error);
    }
  }

  async delete(key: string): Promise<void> {
    const target = this.locate(key);
    try {
      await this.assertNoSymlinkDirs(key);
      await fs.rm(target, { force: true });
      await fs.rm(`${target}${META_SUFFIX}`, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error instanceof StoreError ? error : new StoreError(`cannot delete ${target}: ${(error as Error).message}`, key, error);
    }
  }

  /** Creates the key's directories one level at a time, refusing any level that is not a real directory. */
  private async makeDirs(key: string): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    let dir = this.root;
    for (const seg of key.split('/').slice(0, -1)) {
      dir = path.join(dir, seg);
      await fs.mkdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      await this.assertRealDir(dir, key);
    }
  }

  private async assertNoSymlinkDirs(key: string): Promise<void> {
    let dir = this.root;
    for (const seg of key.split('/').slice(0, -1)) {
      dir = path.join(dir, seg);
      await this.assertRealDir(dir, key);
    }
  }

  private async assertRealDir(dir: string, key: string): Promise<void> {
    const st = await fs.lstat(dir);
    if (!st.isDirectory()) throw new StoreError(`${dir} is not a directory (a symlink would lead outside the store root)`, key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo[]> {
    const keys: string[] = [];
    try {
      await walk(this.root, '', keys);
    } catch (error) {
      throw new StoreError(`cannot list ${this.root}: ${(error as Error).message}`, null, error);
    }
    keys.sort();
    let page: ObjectInfo[] = [];
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const st = await fs.stat(path.join(this.root, key)).catch(() => null);
      if (!st) continue;
      page.push({ key, size: st.size, lastModified: st.mtime, metadata: {} });
      if (page.length === this.pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  /**
   * The sub-directories of `prefix`, as S3 would give its common prefixes; unlike
   * S3, a directory whose objects were all deleted is still there, and listed.
   */
  async *listPrefixes(prefix: string): AsyncIterable<string[]> {
    assertSafePrefix(prefix);
    const dir = path.join(this.root, ...prefix.split('/').filter((s) => s !== ''));
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new StoreError(`cannot list ${dir}: ${(error as Error).message}`, null, error);
    }
    // Sorted with the '/' appended, as S3 orders them: 'a-b/' comes before 'a/'.
    const prefixes = entries.filter((e) => e.isDirectory() && !e.name.startsWith(TMP_PREFIX)).map((e) => `${prefix}${e.name}/`).sort();
    for (let i = 0; i < prefixes.length; i += this.pageSize) yield prefixes.slice(i, i + this.pageSize);
  }
}

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const e of entries) {
    if (e.name.startsWith(TMP_PREFIX) || e.name.endsWith(META_SUFFIX)) continue;
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(root, child, out);
    else if (e.isFile()) out.push(child);
  }
}

async function readMeta(target: string): Promise<Record<string, string>> {
  try {
    const doc = JSON.parse(await fs.readFile(`${target}${META_SUFFIX}`, 'utf8')) as { metadata?: Record<string, string> };
    return doc.metadata ?? {};
  } catch {
    return {};
  }
}

/** Temp file in the same directory, fsync, rename over the target, fsync the directory. A failure at any step (ENOSPC half-way) removes the temp file. */
export async function writeAtomic(target: string, body: Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `${TMP_PREFIX}${randomBytes(6).toString('hex')}`);
  const handle = await fs.open(tmp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
