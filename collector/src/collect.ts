import os from 'node:os';
import { SCHEMA_VERSION, sanitizeHostLabel, uuidv7, type Bundle } from '@nsnap/shared/core';
import { runCommand, type Runner } from './exec/run.js';
import { addPart, dumpCache, nothingFound, PROBES, type EnterChoice, type Part, type Probe, type ProbeContext } from './probes/index.js';
import { EXIT } from './exit-codes.js';
import { COLLECTOR_VERSION } from './version.js';

/** Where `ip netns` keeps named namespaces, and where container runtimes bind-mount theirs. */
export const NAMED_NETNS_DIRS = ['/run/netns'];
export const BIND_NETNS_DIRS = ['/run/docker/netns'];
/**
 * Default of `--max-scan`: fd, thread and mount-table entries read per run
 * to find namespaces only they hold (netns-holders). A mount line costs the
 * kernel ~2.5 µs to print, an fd's readlink about as much: ~25 ms at most.
 * At N=400 in the bench the fds and threads of ~500 processes take ~3,000;
 * the rest reads ~15 of the 400 mount tables that `ip netns exec` copied
 * (~440 lines each) and the others are a gap.
 */
export const MAX_SCAN_ENTRIES = 10_000;
/**
 * Default of `--concurrency`: one command per core. The capture's execs do
 * not sleep (perf sched timehist with call chains, 50 sequential execs:
 * nsenter + ip never, `ip -n` 0.04 ms each in synchronize_rcu_expedited at
 * exit), so a core has no idle time for a second worker to fill. On a loaded
 * machine more workers win a larger share of the CPU (4 instead of 2 took
 * 0.64–0.70× the time at load 9–11, `xargs -P 4` against `-P 2` 0.87×):
 * not a gain to take from a host's own workloads.
 */
export const DEFAULT_CONCURRENCY = os.availableParallelism();

export type { EnterChoice };

export interface CollectOptions {
  procRoot?: string;
  /** Root of the filesystem holding the runtimes' files (`--root`; default /). */
  root?: string;
  namedDirs?: string[];
  bindDirs?: string[];
  hostLabel?: string | null;
  tags?: Record<string, string>;
  timeoutMs?: number;
  concurrency?: number;
  /** false: one spawn per namespace even for many (tests compare both ways). */
  bulk?: boolean;
  /** How the bulk pass enters namespaces (`--enter`; default auto). */
  enter?: EnterChoice;
  /** Most fd and thread entries read (`--max-scan`). */
  maxScan?: number;
  /** IPv6 policy rules of every namespace too (`--ipv6-rules`; the host's are always taken). */
  ipv6Rules?: boolean;
  run?: Runner;
  log?: (message: string) => void;
}

/** Runs every probe (in order; a `during` one while the probe it names waits) and assembles one bundle. A failing probe is recorded, not fatal. */
export async function collect(options: CollectOptions = {}): Promise<Bundle> {
  const startedAt = Date.now();
  const ctx: ProbeContext = {
    procRoot: options.procRoot ?? '/proc',
    root: options.root ?? '/',
    namedDirs: options.namedDirs ?? NAMED_NETNS_DIRS,
    bindDirs: options.bindDirs ?? BIND_NETNS_DIRS,
    hostLabel: options.hostLabel ?? null,
    run: options.run ?? runCommand,
    timeoutMs: options.timeoutMs ?? 10_000,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    bulk: options.bulk ?? true,
    enter: options.enter ?? 'auto',
    maxScan: options.maxScan ?? MAX_SCAN_ENTRIES,
    ipv6Rules: options.ipv6Rules ?? false,
    parse: dumpCache(),
    log: options.log ?? (() => {}),
  };
  const found = nothingFound();
  const results = new Map<string, Bundle['probes'][number]>();
  const runProbe = async (probe: Probe) => {
    const t0 = performance.now();
    let error: string | null = null;
    let part: Part;
    try {
      part = await probe.run(ctx, found);
    } catch (e) {
      error = ((e as Error)?.message ?? String(e)).slice(0, 1000);
      part = { gaps: [{ probe: probe.name, subject: probe.name, reason: 'failed', detail: error }] };
      ctx.log(`probe ${probe.name} failed: ${error}`);
    }
    addPart(found, part);
    results.set(probe.name, { name: probe.name, ok: error === null, durationMs: Math.round((performance.now() - t0) * 1000) / 1000, error });
  };
  for (const probe of PROBES) {
    if (probe.during !== undefined) continue;
    // The probe's synchronous part (for namespace-links: up to its spawns) runs before its riders start.
    const running = runProbe(probe);
    await Promise.all([running, ...PROBES.filter((p) => p.during === probe.name).map(runProbe)]);
  }
  const probes = PROBES.map((p) => results.get(p.name) as Bundle['probes'][number]);
  const hostname = os.hostname();
  const bundle: Bundle = {
    schemaVersion: SCHEMA_VERSION,
    snapshotId: uuidv7(startedAt),
    takenAt: { start: new Date(startedAt).toISOString(), end: new Date().toISOString() },
    collector: { name: 'nsnap-collect', version: COLLECTOR_VERSION, mode: 'live', sources: [] },
    tags: options.tags ?? {},
    host: found.host ?? {
      label: sanitizeHostLabel(ctx.hostLabel ?? hostname),
      hostname,
      machineId: null,
      bootId: null,
      kernelRelease: null,
      iproute2Version: null,
      root: process.getuid?.() === 0,
      uid: process.getuid?.() ?? 0,
    },
    hostNetns: found.hostNetns,
    processes: found.processes,
    handles: found.handles,
    holders: found.holders,
    namespaces: found.namespaces,
    nsidMaps: found.nsidMaps,
    probes,
    gaps: found.gaps,
    ...(found.runtimeNames ? { runtimeNames: found.runtimeNames } : {}),
  };
  // Not run through the zod schema here: its first parse of a 400-namespace
  // bundle cost ~35 ms of a ~550 ms run (and loading zod ~25 ms more). The
  // types fix the shape at compile time; what depends on the host — sizes —
  // is bounded where it is read; every reader validates; and the tests run
  // every bundle the collector writes through the schema.
  return bundle;
}

export interface CollectStats {
  namespaces: number;
  captured: number;
  failed: number;
  processes: number;
  /** Processes whose /proc/PID/ns/net was denied: a namespace may hide behind them. */
  unreadable: number;
  gaps: number;
  probesFailed: number;
}

/**
 * The run's exit code from what it captured: 4 when nothing, 1 (partial) when
 * a namespace could not be captured, a probe failed, or a process's namespace
 * link was denied — a namespace may hide behind it (e.g. without
 * CAP_SYS_PTRACE) — else 0. A process that exited mid-scan is no gap.
 */
export function outcomeOf(stats: CollectStats): number {
  if (stats.captured === 0) return EXIT.nothingCaptured;
  if (stats.failed > 0 || stats.probesFailed > 0 || stats.unreadable > 0) return EXIT.partial;
  return EXIT.complete;
}

export function statsOf(bundle: Bundle): CollectStats {
  const captured = bundle.namespaces.filter((n) => n.failure === null && n.captures.length > 0).length;
  return {
    namespaces: bundle.namespaces.length,
    captured,
    failed: bundle.namespaces.length - captured,
    processes: bundle.processes.length,
    unreadable: bundle.processes.filter((p) => p.netnsError === 'denied').length,
    gaps: bundle.gaps.length,
    probesFailed: bundle.probes.filter((p) => !p.ok).length,
  };
}
