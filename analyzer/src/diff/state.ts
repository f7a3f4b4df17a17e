import type { EndRef } from '../answer/common.js';
import type { InterfaceState } from '../answer/diff.js';

// The diff's names for the answer model's types (answer/): its input and output share them.
export type { InterfaceState } from '../answer/diff.js';
export type { EndRef as EndState } from '../answer/common.js';

/**
 * One snapshot as the diff sees it: what `show` prints plus pairs and gaps.
 * Loaded from the database by `load-state.ts`; built by hand in tests.
 */
export interface ProcessState {
  pid: number;
  comm: string | null;
  startTime: number | null;
}

export interface NamespaceState {
  netns: number;
  isHost: boolean;
  names: string[];
  /** Paths of bind mounts and nsfs mounts that keep it (named ones are in `names`). */
  handles: string[];
  containers: string[];
  processes: ProcessState[];
  /** False when the namespace is known (a process or mount leads to it) but its links could not be captured. */
  captured: boolean;
  interfaces: InterfaceState[];
  /**
   * Set by `history` on a namespace a snapshot could not capture (or read): its state is that of
   * the last snapshot that did, named here, so the next captured state is compared with it.
   */
  carriedFrom?: { id: string; takenAt: string };
}

export interface SnapshotState {
  snapshot: { id: string; host: string; bootId: string | null; takenAt: string };
  namespaces: NamespaceState[];
  pairs: { a: EndRef; b: EndRef }[];
  /** Processes whose namespace could not be read (pid + start time): a namespace may hide behind them. */
  unreadable: ProcessState[];
}
