import type { Bundle, Gap } from '@nsnap/shared';
import type { Runner } from '../exec/run.js';

/** What the probes fill in, stage by stage; `collect` turns it into a bundle. */
export interface Draft {
  host: Bundle['host'] | null;
  hostNetns: Bundle['hostNetns'];
  processes: Bundle['processes'];
  handles: Bundle['handles'];
  namespaces: Bundle['namespaces'];
  nsidMaps: Bundle['nsidMaps'];
  gaps: Gap[];
  /** How link dumps are taken: JSON batch, or text where `ip -j` is unsupported. */
  dumpMode: 'json' | 'text';
}

export interface ProbeContext {
  /** Root of the proc filesystem (`--proc-root`, for fixture trees in tests). */
  procRoot: string;
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
  log: (message: string) => void;
}

/** One source of facts (node_exporter's collector): a failing probe does not fail the run. */
export interface Probe {
  name: string;
  run(ctx: ProbeContext, draft: Draft): Promise<void>;
}
