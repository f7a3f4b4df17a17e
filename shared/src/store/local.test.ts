import { mkdtemp, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from './local.js';
import { StoreError } from './store.js';

let sandbox: string;
let root: string;
let outside: string;

beforeEach(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'nsnap-local-'));
  root = path.join(sandbox, 'root');
  outside = path.join(sandbox, 'outside');
  await mkdir(outside);
});

afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

/** Keys built from hostile pieces: traversal, absolute roots, separators, NUL, dots, unicode. */
const hostileKey = fc
  .array(fc.oneof(fc.constantFrom('..', '.', '', '/', '\\', '\0', '..\\..', 'outside', '%2e%2e', '\u202e', 'a', 'host=x', 'k.json.gz'), fc.string({ maxLength: 6 })), {
    minLength: 1,
    maxLength: 6,
  })
  .chain((parts) => fc.constantFrom(parts.join('/'), `/${parts.join('/')}`, parts.join(''), `../${parts.join('/')}`));

describe('LocalStore containment', () => {
  it('never writes outside its root, whatever the key', async () => {
    const store = new LocalStore(root);
    await fc.assert(
      fc.asyncProperty(hostileKey, async (key) => {
        try {
          await store.put(key, Buffer.from('x'), { contentType: 'text/plain', metadata: { sha256: '0'.repeat(64) } });
        } catch (error) {
          expect((error as Error).message).toMatch(/invalid key|reserved key name|not a directory|cannot write/);
          return;
        }
        expect(store.locate(key).startsWith(root + path.sep)).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(await tree(sandbox).then((entries) => entries.filter((e) => !e.startsWith('root')))).toEqual(['outside']);
  });

  it('refuses to write or delete through a symlinked directory inside the root', async () => {
    const store = new LocalStore(root);
    await mkdir(root);
    await symlink(outside, path.join(root, 'host=evil'));
    const error = await store.put('host=evil/date=2024-01-01/k.json.gz', Buffer.from('x'), { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/host=evil is not a directory/);
    await store.delete('host=evil/k').catch(() => undefined);
    expect(await tree(outside)).toEqual([]);
  });

  it('does not delete through a symlinked directory', async () => {
    const store = new LocalStore(root);
    await mkdir(root);
    await mkdir(path.join(outside, 'victim'));
    await symlink(outside, path.join(root, 'link'));
    await expect(store.delete('link/victim')).rejects.toThrow(/not a directory/);
    expect(await tree(outside)).toEqual(['victim']);
  });

  it('keeps temp and metadata files out of listings and refuses their names as keys', async () => {
    const store = new LocalStore(root, { pageSize: 1 });
    await store.put('a/k', Buffer.from('x'), { contentType: 'text/plain', metadata: { sha256: '1'.repeat(64) } });
    await expect(store.put('a/k.meta.json', Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/reserved key name/);
    await expect(store.put('a/.tmp-123', Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/reserved key name/);
    const pages: string[][] = [];
    for await (const page of store.list('')) pages.push(page.map((o) => o.key));
    expect(pages).toEqual([['a/k']]);
    expect(await tree(root)).toEqual(['a', 'a/k', 'a/k.meta.json']);
  });
});
