// The format version and size bounds, without zod: the collector's start-up
// path reads these and must not load the schema (see core.ts).

/** The bundle format version this code writes and reads; readers refuse any other. */
export const SCHEMA_VERSION = 1;

/** Upper bounds: bundles come from many hosts and are untrusted. */
export const LIMITS = {
  /** One raw command output (stdout or stderr), in characters. */
  captureChars: 32 * 1024 * 1024,
  /** A raw /proc/PID/cgroup text. */
  cgroupChars: 64 * 1024,
  /** A short text: a name, a comm, a path, an error message. */
  shortChars: 4096,
  processes: 1_000_000,
  namespaces: 100_000,
  handles: 200_000,
  /**
   * A whole bundle's JSON, decompressed, in bytes. Enforced while inflating. Peak memory of an ingest
   * is about 4.5 times this (docs/reliability.md, bench/analyzer-limits.mjs); V8 cannot hold a string of 512 MiB at all.
   */
  bundleBytes: 128 * 1024 * 1024,
  /** A whole bundle as stored (the file or object as read, gzip or plain JSON), in bytes. Enforced while reading. */
  storedBytes: 128 * 1024 * 1024,
} as const;

/** A byte count for messages: `128 MiB`, or the bytes when not a whole MiB. */
export const sizeText = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes}-byte`);

/**
 * `namespaces[].inode` of an imported host namespace whose inode none of the files
 * told (a lone `ip link show` paste); `hostNetns.inode` is then null. Proc inodes are
 * 32-bit, so 2^32 is never a kernel's inode: a key for the host's capture, not an inode.
 */
export const UNKNOWN_HOST_NETNS = 2 ** 32;
