import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertSafeKey } from './keys.js';
import { StoreError, type ObjectInfo, type ObjectStore, type PutOptions } from './store.js';

const PAGE_SIZE = 1000;
const META_SUFFIX = '.meta.json';
const TMP_PREFIX = '.tmp-';

/**
 * A directory as an object store. Writes are atomic (temp file, fsync,
 * rename, fsync of the directory), and no key can reach outside the root:
 * keys are checked segment by segment and the resolved path must stay below it.
 */
export class LocalStore implements ObjectStore {
  readonly root: string;
  readonly url: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.url = pathToFileURL(this.root).href;
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
    const dir = path.dirname(target);
    try {
      await fs.mkdir(dir, { recursive: true });
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
      return await fs.readFile(target);
    } catch (error) {
      throw new StoreError(`cannot read ${target}: ${(error as Error).message}`, key, error);
    }
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
    await fs.rm(target, { force: true });
    await fs.rm(`${target}${META_SUFFIX}`, { force: true });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo[]> {
    const keys: string[] = [];
    await walk(this.root, '', keys);
    keys.sort();
    let page: ObjectInfo[] = [];
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const st = await fs.stat(path.join(this.root, key)).catch(() => null);
      if (!st) continue;
      page.push({ key, size: st.size, lastModified: st.mtime, metadata: {} });
      if (page.length === PAGE_SIZE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
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

/** Temp file in the same directory, fsync, rename over the target, fsync the directory. */
export async function writeAtomic(target: string, body: Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `${TMP_PREFIX}${randomBytes(6).toString('hex')}`);
  const handle = await fs.open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
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
