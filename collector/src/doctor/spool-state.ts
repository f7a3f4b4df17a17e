import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { Spool, SpoolEntryError } from '../store/spool.js';
import type { Check } from './check.js';

/** Above this share of --spool-max-bytes a few more failed uploads lose bundles. */
const NEARLY_FULL = 0.8;

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Whether the directory, or the nearest existing one above it that the
 * collector would create it in, can be written. access(2) also reports a
 * read-only mount (EROFS): a systemd unit whose ReadWritePaths/StateDirectory
 * does not cover the spool.
 */
async function writableWhere(dir: string): Promise<{ ok: true; at: string } | { ok: false; at: string; why: string }> {
  let at = dir;
  for (;;) {
    try {
      await fs.access(at, constants.W_OK | constants.X_OK);
      return { ok: true, at };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || path.dirname(at) === at) return { ok: false, at, why: code ?? (error as Error).message };
      at = path.dirname(at);
    }
  }
}

/** The destination's spool: can bundles wait there, and do some wait already (the store failed before)? */
export async function spoolCheck(spool: Spool): Promise<Check> {
  const writable = await writableWhere(spool.dir);
  const exists = await fs.stat(spool.dir).then((st) => st.isDirectory(), () => false);
  let entries: Awaited<ReturnType<Spool['entries']>> = [];
  let used = 0;
  try {
    if (exists) {
      entries = await spool.entries();
      used = await spool.usedBytes();
    }
  } catch (error) {
    return { name: 'spool', status: 'fail', detail: `cannot read ${spool.dir}: ${(error as Error).message}` };
  }
  const unusable = entries.filter((e) => e instanceof SpoolEntryError).length;
  const waiting = entries.length - unusable;
  const parts = [
    exists ? `${waiting} bundle${waiting === 1 ? '' : 's'} waiting` : 'not created yet (made on the first bundle that cannot be stored)',
    ...(unusable > 0 ? [`${unusable} unreadable entr${unusable === 1 ? 'y' : 'ies'} (set aside as .rejected on the next run)`] : []),
    `${mib(used)} of the ${mib(spool.maxBytes)} limit used`,
    writable.ok ? `writable${writable.at === spool.dir ? '' : ` (${writable.at})`}` : `NOT writable: ${writable.at}: ${writable.why}`,
  ];
  const status: Check['status'] = !writable.ok ? 'fail' : waiting > 0 || unusable > 0 || used > spool.maxBytes * NEARLY_FULL ? 'warn' : 'ok';
  return { name: 'spool', status, detail: `${spool.dir}: ${parts.join('; ')}` };
}
