import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * Where bundles wait when the store is unreachable: /var/lib/nsnap/spool for root
 * (the system's state directory), else the XDG state directory of the user.
 */
export function defaultSpoolRoot(env: NodeJS.ProcessEnv, uid: number, home: string): string {
  if (uid === 0) return '/var/lib/nsnap/spool';
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  const stateHome = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state');
  return path.join(stateHome, 'nsnap', 'spool');
}

/**
 * The spool of one destination, below the spool root: a bundle meant for one store is
 * only ever sent to that store (a manual run with another --out does not carry off the
 * cron job's backlog). The name is readable, and a hash of the full identity keeps
 * destinations that read alike apart.
 */
export function spoolDirFor(spoolRoot: string, destination: string): string {
  const slug = destination.replace(/^[a-z0-9]+:\/\//i, (scheme) => `${scheme.slice(0, -3)}-`).replace(/[^A-Za-z0-9._]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 80);
  const hash = createHash('sha256').update(destination).digest('hex').slice(0, 12);
  return path.join(path.resolve(spoolRoot), `${slug || 'store'}-${hash}`);
}

/** The run lock sits beside the destination's spool, so one spool is only ever drained by one run. */
export function defaultLockPath(spoolDir: string): string {
  return `${path.resolve(spoolDir)}.lock`;
}
