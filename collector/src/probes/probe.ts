import { parseCapture, type Bundle, type Capture, type DumpParser, type Gap, type RuntimeNames } from '@nsnap/shared/core';
import type { Runner } from '../exec/run.js';

/** What the probes found so far, read by the later ones; `collect` turns it into a bundle. */
export interface Found {
  host: Bundle['host'] | null;
  hostNetns: Bundle['hostNetns'];
  processes: Bundle['processes'];
  handles: Bundle['handles'];
  holders: NonNullable<Bundle['holders']>;
  namespaces: Bundle['namespaces'];
  nsidMaps: Bundle['nsidMaps'];
  gaps: Gap[];
  /** Names from the runtimes' files (runtime-names); null when that probe found none to read. */
  runtimeNames: RuntimeNames | null;
}

/**
 * What one probe returns (node_exporter's collectors share nothing): the
 * facts it owns replace the empty ones, its namespaces, nsid maps and gaps
 * are added to those of the others. A probe never writes into `Found`.
 */
export type Part = Partial<Pick<Found, 'host' | 'hostNetns' | 'processes' | 'handles' | 'holders' | 'runtimeNames'>> & Partial<Pick<Found, 'namespaces' | 'nsidMaps' | 'gaps'>>;

/** Nothing found yet. */
export function nothingFound(): Found {
  return { host: null, hostNetns: { inode: null, error: 'failed' }, processes: [], handles: [], holders: [], namespaces: [], nsidMaps: [], gaps: [], runtimeNames: null };
}

/** Adds a probe's part to what was found: owned facts replace, lists grow. */
export function addPart(found: Found, part: Part): void {
  if (part.host !== undefined) found.host = part.host;
  if (part.hostNetns !== undefined) found.hostNetns = part.hostNetns;
  if (part.processes !== undefined) found.processes = part.processes;
  if (part.handles !== undefined) found.handles = part.handles;
  if (part.holders !== undefined) found.holders = part.holders;
  if (part.runtimeNames !== undefined) found.runtimeNames = part.runtimeNames;
  if (part.namespaces) found.namespaces = [...found.namespaces, ...part.namespaces];
  if (part.nsidMaps) found.nsidMaps = [...found.nsidMaps, ...part.nsidMaps];
  if (part.gaps) found.gaps = [...found.gaps, ...part.gaps];
}

/**
 * How link dumps are taken in this run: as text when the host's dump had to
 * be (`ip -j` unsupported), else JSON batches.
 */
export function dumpModeOf(found: Pick<Found, 'namespaces'>): 'json' | 'text' {
  const host = found.namespaces.find((n) => n.isHost);
  return host?.captures.some((c) => c.spec === 'ip_link_text') ? 'text' : 'json';
}

/** Parses each link dump once per run, for the pairing code only: namespace-links fills it during its pass. */
export function dumpCache(): DumpParser {
  const parsed = new WeakMap<Capture, ReturnType<DumpParser>>();
  return (capture) => {
    let result = parsed.get(capture);
    if (!result) {
      result = parseCapture(capture, { forPairing: true });
      parsed.set(capture, result);
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
  /** Take each namespace's IPv6 policy rules too, one exec more each (`--ipv6-rules`); the host's are always taken. */
  ipv6Rules: boolean;
  /** Link dumps parsed once for the run (`dumpCache`). */
  parse: DumpParser;
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
  run(ctx: ProbeContext, found: Readonly<Found>): Promise<Part>;
}
