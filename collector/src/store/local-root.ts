import { constants, promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Filesystems that hold no files of ours: kernel interfaces and mount
 * helpers. Writing there fails at best; a recursive mkdir below /proc spins
 * forever at 60% CPU (Node 20's mkdir retries the ENOENT that procfs gives).
 */
const PSEUDO_FILESYSTEMS = new Set([
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs', 'efivarfs',
  'fusectl', 'hugetlbfs', 'mqueue', 'nsfs', 'proc', 'pstore', 'rpc_pipefs', 'securityfs', 'selinuxfs', 'sysfs', 'tracefs',
]);

/** The nearest existing directory entry at or above `dir` (following symlinks), or null if even / is missing. */
async function nearestExisting(dir: string): Promise<{ at: string; isDirectory: boolean } | null> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      return { at, isDirectory: (await fs.stat(at)).isDirectory() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file on the way, found one step up.
      const walkOn = code === 'ENOENT' || code === 'ENOTDIR';
      if (!walkOn || path.dirname(at) === at) return walkOn ? null : { at, isDirectory: false };
    }
  }
}

/** `\040` and friends: how mountinfo escapes space, tab, newline and backslash in a mount point. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The type of the filesystem `dir` (an existing, real path) is on, from our mount table; null when the table cannot be read. */
export async function filesystemTypeOf(dir: string, mountinfoPath = '/proc/self/mountinfo'): Promise<string | null> {
  let text: string;
  try {
    text = await fs.readFile(mountinfoPath, 'utf8');
  } catch {
    return null;
  }
  let best: { point: string; type: string } | null = null;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const point = fields[4];
    const type = fields[dash + 1];
    if (dash < 6 || point === undefined || type === undefined) continue;
    const mount = unescapeMountPath(point);
    const inside = mount === '/' || dir === mount || dir.startsWith(`${mount}/`);
    // The longest mount point wins; among equal ones the later mount (it covers the earlier).
    if (inside && (best === null || mount.length >= best.point.length)) best = { point: mount, type };
  }
  return best?.type ?? null;
}

/** Why a pseudo filesystem's directory cannot hold a store, or null. */
export async function pseudoFilesystemProblem(root: string): Promise<string | null> {
  const existing = await nearestExisting(root);
  if (existing === null) return null;
  const real = await fs.realpath(existing.at).catch(() => existing.at);
  const type = await filesystemTypeOf(real);
  return type !== null && PSEUDO_FILESYSTEMS.has(type) ? `${existing.at} is on a ${type} filesystem (a kernel interface, not storage)` : null;
}

/**
 * Why a local store cannot be made at `root`, or null: it would sit on a
 * pseudo filesystem, below a file, or in a directory this user cannot write
 * (a read-only mount says EROFS even to root). Such an --out is a mistake in
 * the command line, not an outage the spool should wait out.
 */
export async function localRootProblem(root: string): Promise<string | null> {
  const existing = await nearestExisting(root);
  if (existing === null) return `no directory above ${root} exists`;
  const pseudo = await pseudoFilesystemProblem(root);
  if (pseudo !== null) return pseudo;
  if (!existing.isDirectory) return `${existing.at} is not a directory`;
  try {
    await fs.access(existing.at, constants.W_OK | constants.X_OK);
  } catch (error) {
    return `cannot write in ${existing.at}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  return null;
}

/** Creates the store's root if it is missing; true when it did (the caller says so on stderr). */
export async function ensureLocalRoot(root: string): Promise<boolean> {
  const existed = await fs.stat(root).then(() => true, () => false);
  if (existed) return false;
  await fs.mkdir(root, { recursive: true });
  return true;
}
