import path from 'node:path';

/**
 * Where bundles wait when the store is unreachable: /var/lib/nsnap/spool for root
 * (the system's state directory), else the XDG state directory of the user.
 */
export function defaultSpoolDir(env: NodeJS.ProcessEnv, uid: number, home: string): string {
  if (uid === 0) return '/var/lib/nsnap/spool';
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  const stateHome = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state');
  return path.join(stateHome, 'nsnap', 'spool');
}

/** The run lock sits beside the spool, so one spool is only ever drained by one run. */
export function defaultLockPath(spoolDir: string): string {
  return path.join(path.dirname(path.resolve(spoolDir)), 'nsnap-collect.lock');
}
