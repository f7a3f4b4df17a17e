/** Exit codes of nsnap-collect; documented in --help and the README. */
export const EXIT = {
  /** Every capture succeeded and the bundle is stored. */
  complete: 0,
  /** Stored, but some captures failed; the bundle's gaps say which. */
  partial: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** The bundle could not be stored where asked; it waits in the spool for the next run. */
  notStored: 3,
  /** Nothing could be captured (not even the host's links). */
  nothingCaptured: 4,
  /** Not stored and not spooled (spool full or unwritable): the bundle is lost. */
  lost: 5,
  /** Another run holds the run lock; this one did nothing. */
  locked: 6,
  /** Stopped by SIGINT (128 + 2): children killed, temp files removed, lock released; a finished bundle is spooled. */
  interruptedInt: 130,
  /** Stopped by SIGTERM (128 + 15), the same way. */
  interruptedTerm: 143,
  /** A bug in nsnap-collect itself (EX_SOFTWARE): the message has the stack. */
  internal: 70,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  complete: every namespace captured, bundle stored
  1  stored but partial: some captures failed (denied, vanished, timed out); the bundle's gaps say which
  2  usage error: a bad flag or value
  3  could not be stored where asked (store unreachable or refusing): the bundle waits in the spool, the next run sends it
  4  nothing could be captured: not even the host's own links
  5  not stored and not spooled (spool over --spool-max-bytes, or unwritable): the bundle is lost
  6  another nsnap-collect run holds the lock: this run did nothing
  70 internal error: a bug in nsnap-collect (please report it with the message)
  130/143 stopped by SIGINT/SIGTERM: capture workers killed, temp files removed, lock released;
     nothing stored if the capture had not finished, else the bundle waits in the spool`;

/** A usage error: the message names the flag and the offending value. */
export class UsageError extends Error {
  override name = 'UsageError';
}
