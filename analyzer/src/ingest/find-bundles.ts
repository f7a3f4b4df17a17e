import { lstatSync, readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { fileType } from '@nsnap/shared';
import type { Unread } from '../answer/ingest.js';

/** An entry the walk did not read, with why. */
/** What a SOURCE argument expands to: bundle files, and every other entry with why it was not read. */
export interface SourceFiles {
  source: string;
  files: string[];
  /** Entries named like a bundle, or directories, that could not be read: each is a failure. */
  failures: Unread[];
  /** Entries that are not bundles (other names, store metadata, links not followed): named with -v. */
  ignored: Unread[];
  /** Set when the source itself cannot be read (missing, unreadable). */
  error: string | null;
}

// LocalStore writes `<key>.meta.json` beside each bundle and `.tmp-*` while writing.
const isBundleName = (name: string) => (name.endsWith('.json.gz') || name.endsWith('.json')) && !name.endsWith('.meta.json') && !name.startsWith('.');

/** The reason given for a store's `<key>.meta.json` sidecar: part of its bundle, so not counted as an odd entry. */
export const STORE_METADATA = 'store metadata, not a bundle';

const notBundleName = (name: string) =>
  name.endsWith('.meta.json') ? STORE_METADATA : name.startsWith('.') ? 'hidden (a store writes its temporary files so)' : 'not named *.json.gz or *.json';

/**
 * A file is taken as given, whatever its name (the reader refuses what is not a regular file); a
 * directory is searched recursively for `*.json.gz` / `*.json`, in name order. Symlinked
 * directories are not followed (no loops); symlinked files are. Nothing ends the walk: a directory
 * that cannot be listed, a dangling link, a FIFO named like a bundle is a failure with its reason,
 * and any other entry that is not read is named as ignored.
 */
export function findBundles(source: string): SourceFiles {
  const found: SourceFiles = { source, files: [], failures: [], ignored: [], error: null };
  let st;
  try {
    st = statSync(source);
  } catch (error) {
    return { ...found, error: describeFsError(error) };
  }
  if (!st.isDirectory()) return { ...found, files: [source] };
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === source) found.error = describeFsError(error);
      else found.failures.push({ path: dir, reason: `cannot list this directory: ${describeFsError(error)}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      // Some file systems do not say the type in a directory entry (DT_UNKNOWN): ask lstat then.
      const st = typeKnown(e) ? e : lstatOrNull(full);
      if (st?.isDirectory()) walk(full);
      else classify(full, e.name, st?.isSymbolicLink() ? 'link' : st?.isFile() ? 'file' : 'other');
    }
  };
  const classify = (full: string, name: string, type: 'file' | 'link' | 'other') => {
    const bundleName = isBundleName(name);
    const unread = (reason: string) => (bundleName ? found.failures : found.ignored).push({ path: full, reason });
    if (type === 'file') {
      if (bundleName) found.files.push(full);
      else found.ignored.push({ path: full, reason: notBundleName(name) });
      return;
    }
    if (type === 'other') {
      unread(`not a regular file (${fileType(lstatOrNull(full))})`);
      return;
    }
    let target: Stats;
    try {
      target = statSync(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      unread(code === 'ELOOP' ? 'symbolic link loop' : code === 'ENOENT' ? 'dangling symbolic link' : `symbolic link: ${describeFsError(error)}`);
      return;
    }
    if (target.isDirectory()) found.ignored.push({ path: full, reason: 'symbolic link to a directory, not followed (name the target to read it)' });
    else if (!target.isFile()) unread(`symbolic link to something not a regular file (${fileType(target)})`);
    else if (bundleName) found.files.push(full);
    else found.ignored.push({ path: full, reason: notBundleName(name) });
  };
  walk(source);
  return found;
}

const typeKnown = (e: Dirent) =>
  e.isFile() || e.isDirectory() || e.isSymbolicLink() || e.isFIFO() || e.isSocket() || e.isCharacterDevice() || e.isBlockDevice();

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  if (e.code === 'ELOOP') return 'symbolic link loop';
  return e.message;
}
