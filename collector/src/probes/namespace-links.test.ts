import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openNamespace } from './namespace-links.js';

/**
 * A handle from another process's world (its fd, a mount point under its
 * root) may lead anywhere by the time it is opened: openNamespace must never
 * block on it nor open anything but that namespace's nsfs file.
 */
describe('openNamespace', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-open-'));
  const own = statSync('/proc/self/ns/net').ino;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens a namespace file that leads to the expected inode, also through a symlink', () => {
    const link = path.join(dir, 'link');
    symlinkSync('/proc/self/ns/net', link);
    for (const file of ['/proc/self/ns/net', link]) {
      const opened = openNamespace(file, own);
      if (!('fd' in opened)) throw new Error(`${file}: ${opened.reason} ${opened.detail}`);
      opened.close();
    }
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const fifo = path.join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const started = Date.now();
    const opened = openNamespace(fifo, statSync(fifo).ino);
    expect(opened).toMatchObject({ reason: 'not-a-namespace' });
    // The open would block for ever: returning at all proves it was not opened for reading.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a regular file even when its inode is the expected one', () => {
    const file = path.join(dir, 'plain');
    writeFileSync(file, 'x');
    expect(openNamespace(file, statSync(file).ino)).toMatchObject({ reason: 'not-a-namespace' });
  });

  it('reports a namespace file that now leads to another namespace as a mismatch', () => {
    expect(openNamespace('/proc/self/ns/net', own + 1)).toMatchObject({ reason: 'mismatch' });
  });

  it('reports a handle gone as vanished', () => {
    expect(openNamespace(path.join(dir, 'missing'), own)).toMatchObject({ reason: 'vanished' });
  });
});
