import { escapeControl } from '@nsnap/shared/text';

/** Exit codes of nsnap; documented in --help. */
export const EXIT = {
  ok: 0,
  /** Some input could not be used: a bundle that failed to ingest, a database that cannot be read. */
  failed: 1,
  /** Bad flags or arguments, or a selection that names no snapshot. */
  usage: 2,
  /** A bug in nsnap (EX_SOFTWARE): the message has the stack to report. */
  internal: 70,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  some input failed: a bundle could not be ingested (each is named on stderr), or the database is unusable;
     for check: something looks wrong; for whois: nothing matched; for capture: no single device, or no command
     that can be printed safely (unknown, ambiguous or refused)
  2  usage error: a bad flag or value, or a selector that selects nothing (the message says why)
  70 internal error: a bug in nsnap (the message has the details to report)`;

/** A bad flag, value or selection: the message names it and shows the offending input. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A database that cannot be used: newer than this code, not a database, unreadable. */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

/** Shows untrusted or user input in a message: quoted, bounded, control characters escaped. */
export function quote(value: string, max = 120): string {
  return `"${escapeControl(value.length > max ? `${value.slice(0, max)}…` : value)}"`;
}

/**
 * SQLite errors that come from the file or the machine, not from nsnap's SQL: a disk that is full,
 * a file made read-only or corrupted, a lock held too long. They are the database's state, reported
 * in one line (exit 1); any other error is a bug (exit 70).
 */
export function isStorageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(READONLY|FULL|IOERR|CORRUPT|NOTADB|CANTOPEN|BUSY|LOCKED|PERM|NOMEM)/.test(code);
}
