import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** What a SOURCE argument expands to: bundle files, or why it gave none. */
export interface SourceFiles {
  source: string;
  files: string[];
  /** Set when the source itself cannot be read (missing, unreadable). */
  error: string | null;
}

// LocalStore writes `<key>.meta.json` beside each bundle and `.tmp-*` while writing.
const isBundleName = (name: string) => (name.endsWith('.json.gz') || name.endsWith('.json')) && !name.endsWith('.meta.json') && !name.startsWith('.');

/**
 * A file is taken as given, whatever its name; a directory is searched
 * recursively for `*.json.gz` / `*.json`, in name order. Symlinked
 * directories are not followed (no loops); symlinked files are.
 */
export function findBundles(source: string): SourceFiles {
  let st;
  try {
    st = statSync(source);
  } catch (error) {
    return { source, files: [], error: describeFsError(error) };
  }
  if (!st.isDirectory()) return { source, files: [source], error: null };
  const files: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (isBundleName(e.name) && (e.isFile() || (e.isSymbolicLink() && isFile(full)))) files.push(full);
    }
  };
  try {
    walk(source);
  } catch (error) {
    return { source, files, error: describeFsError(error) };
  }
  return { source, files, error: null };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message;
}
