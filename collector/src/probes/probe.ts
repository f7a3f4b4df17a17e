import { parseCapture, type Bundle, type Capture, type DumpParser, type Gap, type RuntimeNames } from '@nsnap/shared/core';
import type { Runner } from '../exec/run.js';

/** What the probes fill in, stage by stage; `collect` turns it into a bundle. */
export interface Draft {
  host: Bundle['host'] | null;
  hostNetns: Bundle['hostNetns'];
  processes: Bundle['processes'];
  handles: Bundle['handles'];
  holders: NonNullable<Bundle['holders']>;
  namespaces: Bundle['namespaces'];
  nsidMaps: Bundle['nsidMaps'];
  gaps: Gap[];
  /** How link dumps are taken: JSON batch, or text where `ip -j` is unsupported. */
  dumpMode: 'json' | 'text';
  /** Link dumps parsed so far (during the bulk pass, while others are taken), for the pairing code. */
  parsedDumps: WeakMap<Capture, ReturnType<DumpParser>>;
  /** Names from the runtimes' files (runtime-names); null until that probe ran. */
  runtimeNames: RuntimeNames | null;
}

/** A draft before any probe ran. */
export function newDraft(): Draft {
  return { host: null, hostNetns: { inode: null, error: 'failed' }, processes: [], handles: [], holders: [], namespaces: [], nsidMaps: [], gaps: [], dumpMode: 'json', parsedDumps: new WeakMap(), runtimeNames: null };
}

/** Parses a link dump once per run, for the pairing code only: the cache `namespace-links` fills during its pass. */
export function parsedDump(draft: Draft): DumpParser {
  return (capture) => {
    let result = draft.parsedDumps.get(capture);
    if (!result) {
      result = parseCapture(capture, { forPairing: true });
      draft.parsedDumps.set(capture, result);
    }
    return result;
  };
}

export type EnterChoice = 'auto' | 'ip-netns' | 'nsenter';

export interface ProbeContext {
  /** Root of the proc filesystem (`--proc-root`, for fixture trees in tests). */
  procRoot: string;
  /** Root of the filesystem whose runtime files name pods and containers (`--root`, like node_exporter's `--path.rootfs`). */
  root: string;
  /** Directories of named namespaces (`ip netns`). */
  namedDirs: string[];
  /** Directories where container runtimes bind-mount namespaces. */
  bindDirs: string[];
  hostLabel: string | null;
  run: Runner;
  timeoutMs: number;
  concurrency: number;
  /** Capture many namespaces through a few GNU find processes instead of one spawn each (see bulk-capture.ts). */
  bulk: boolean;
  /** How that bulk pass enters the namespaces (`EnterWay` in bulk-capture.ts; auto decides from the mount table). */
  enter: EnterChoice;
  /** Most fd and thread entries read to find namespaces only they hold (`--max-scan`); the rest is a gap. */
  maxScan: number;
  log: (message: string) => void;
}

/** One source of facts (node_exporter's collector): a failing probe does not fail the run. */
export interface Probe {
  name: string;
  /**
   * Runs while that probe waits on its commands, instead of before or after
   * it: for work that needs the CPU little and nothing of that probe, and whose
   * own results nothing reads before the bundle is assembled. On a 2-core host
   * the capture's commands keep both cores busy; the time the collector spends
   * before and after them is what it adds to their cost.
   */
  during?: string;
  run(ctx: ProbeContext, draft: Draft): Promise<void>;
}
