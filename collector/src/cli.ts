import { statSync } from 'node:fs';
import os from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isHostLabel, type Bundle } from '@nsnap/shared/core';
import { counted } from '@nsnap/shared/text';
import { collect, DEFAULT_CONCURRENCY, MAX_SCAN_ENTRIES, outcomeOf, statsOf, type EnterChoice } from './collect.js';
import { registerDoctorCommand } from './doctor/command.js';
import { encodeBundle, type EncodedBundle } from './encode.js';
import { SIGNAL_EXIT, untilInterrupted, type StopSignal } from './exec/interrupt.js';
import { registerImportCommand } from './import/command.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from './exit-codes.js';
import { defaultSpoolRoot } from './store/default-paths.js';
import { deliverBundle, openDestinationFromFlags, withRunLock, type Destination, type StoreFlags } from './store/destination.js';
import { splay } from './store/splay.js';
import { COLLECTOR_VERSION } from './version.js';

interface CollectFlags extends StoreFlags {
  stdout: boolean;
  host?: string;
  tag: Record<string, string>;
  concurrency: number;
  enter: EnterChoice;
  maxScan: number;
  ipv6Rules: boolean;
  timeout: number;
  procRoot: string;
  root: string;
  quiet: boolean;
  logFormat: 'text' | 'json';
  splay: number;
}

const TAG_KEY = /^[A-Za-z0-9_.:/-]{1,64}$/;
/** Keys a JavaScript reader treats specially: `__proto__` vanishes when a bundle is parsed into an object; the others invite the same mistake. */
const RESERVED_TAG_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `--root`: a directory that exists, or a typo would silently find no runtime at all. */
function parseRoot(value: string): string {
  let isDir = false;
  try {
    isDir = statSync(value).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new InvalidArgumentError(`expected a directory, got ${JSON.stringify(value.slice(0, 200))}`);
  return value;
}

function parseTag(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  const key = eq < 0 ? '' : value.slice(0, eq);
  const val = eq < 0 ? '' : value.slice(eq + 1);
  if (!TAG_KEY.test(key)) throw new InvalidArgumentError(`expected key=value with a key of letters, digits and _.:/- (at most 64), got ${JSON.stringify(value.slice(0, 80))}`);
  if (RESERVED_TAG_KEYS.has(key)) throw new InvalidArgumentError(`tag key ${JSON.stringify(key)} is reserved (readers would drop or misread it): choose another name`);
  if (val.length > 256) throw new InvalidArgumentError(`tag value longer than 256 characters for key ${key}`);
  return { ...previous, [key]: val };
}

function parseHostLabel(value: string): string {
  if (!isHostLabel(value)) throw new InvalidArgumentError(`expected a host label (letters, digits and ._-, starting with a letter or digit, at most 63, no ".."), got ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}

function parsePositiveInt(what: string, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`${what} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function parseBytes(value: string): number {
  const m = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(value);
  const n = m ? Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a size in bytes, optionally with K, M or G (1024-based), got ${JSON.stringify(value.slice(0, 80))}`);
  return n;
}

function parseSplay(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n > 3600) throw new InvalidArgumentError(`expected seconds from 0 to 3600, got ${JSON.stringify(value)}`);
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > 3600) throw new InvalidArgumentError(`expected seconds between 0 and 3600, got ${JSON.stringify(value)}`);
  return n;
}

export function buildProgram(): Command {
  const program = new Command('nsnap-collect')
    .description(
      'Capture a snapshot of every network namespace on this host — the links of the host and of each namespace ' +
        '(entered through a handle held on it), which process lives in which namespace, named and bind-mounted namespaces, ' +
        'nsid maps and host identity — into one JSON bundle, and store it gzip-compressed. ' +
        'Run it as root from cron or a systemd timer; without root it captures what it can and records the rest as denied.',
    )
    .version(COLLECTOR_VERSION, '-V, --version')
    .addOption(new Option('-o, --out <store>', 'where to store the bundle: a directory, file:///dir or s3://bucket/prefix').default('./nsnap-data'))
    .option('--stdout', 'print the uncompressed bundle JSON on stdout instead of storing it', false)
    .addOption(new Option('--host <name>', 'host label for the storage key and reports (default: the hostname, sanitized: see docs/reliability.md)').argParser(parseHostLabel))
    .addOption(new Option('-t, --tag <key=value>', 'attach a tag to the snapshot, e.g. phase=pre-deploy (repeatable)').argParser(parseTag).default({}, 'none'))
    .addOption(new Option('-c, --concurrency <n>', 'namespaces captured in parallel').default(DEFAULT_CONCURRENCY, 'number of CPUs').argParser(parsePositiveInt('--concurrency', 256)))
    .addOption(new Option('--timeout <seconds>', 'limit for each command (ip, nsenter, lsns)').default(10).argParser(parseSeconds))
    .addOption(
      new Option(
        '--enter <way>',
        'how the capture of many namespaces enters them: ip-netns (one `ip -n` exec each, from a private mount namespace without the named namespaces\' mounts and /sys), ' +
          'nsenter (`nsenter` then `ip`: two execs each; what a sandbox that refuses mount namespaces allows), or auto (ip-netns where few other mounts are left, falling back to nsenter)',
      )
        .choices(['auto', 'ip-netns', 'nsenter'])
        .default('auto'),
    )
    .addOption(
      new Option('--max-scan <n>', 'most open fds and threads read to find namespaces held only by one; past it the pids left are recorded as a gap')
        .default(MAX_SCAN_ENTRIES)
        .argParser(parsePositiveInt('--max-scan', 100_000_000)),
    )
    .option('--ipv6-rules', 'also take the IPv6 policy rules of every namespace, not only of the host\'s (`ip -6 rule`: one exec more per namespace); without it a namespace\'s IPv6 rules are not captured, and answers say so', false)
    .option('--proc-root <dir>', 'read processes from this proc tree instead of /proc (for tests and archives)', '/proc')
    .option('--root <dir>', 'read the container runtimes\' files that name pods and containers (/var/log/pods, OCI config.json, docker config.v2.json, podman containers.json) under this root, read-only; like node_exporter\'s --path.rootfs', parseRoot, '/')
    .option('-q, --quiet', 'do not print the one-line summary on stderr (errors still go there)', false)
    .addOption(new Option('--log-format <format>', 'format of the summary line on stderr').choices(['text', 'json']).default('text'))
    .option('--s3-endpoint <url>', 'S3-compatible endpoint, e.g. http://minio:9000 (default: AWS, or AWS_ENDPOINT_URL_S3)')
    .option('--s3-region <region>', 'S3 region (default: AWS_REGION / the AWS profile; us-east-1 with --s3-endpoint)')
    .option('--s3-force-path-style', 'address buckets as endpoint/bucket (the default with --s3-endpoint)')
    .option('--no-s3-force-path-style', 'address buckets as bucket.endpoint even with --s3-endpoint')
    .addOption(
      new Option('--s3-content-encoding <encoding>', 'how bundles are described to S3: none (Content-Type: application/gzip, the stored bytes are what every client gets) or gzip (Content-Encoding: gzip, which browsers and some tools undo silently; docs/s3.md)')
        .choices(['none', 'gzip'])
        .default('none'),
    )
    .addOption(
      new Option('--spool <dir>', 'where bundles wait when the store cannot take them; one subdirectory per destination').default(
        defaultSpoolRoot(process.env, process.getuid?.() ?? -1, os.homedir()),
        '/var/lib/nsnap/spool as root, else $XDG_STATE_HOME/nsnap/spool or ~/.local/state/nsnap/spool',
      ),
    )
    .addOption(new Option('--spool-max-bytes <size>', 'size limit of a destination\'s spool, e.g. 512M; over it a bundle is reported lost (exit 5), never trimmed').default(1024 ** 3, '1G').argParser(parseBytes))
    .option('--lock <file>', 'run lock, so overlapping runs (cron) do not collide (default: <spool>/<destination>.lock)')
    .addOption(new Option('--splay <seconds>', 'first sleep a random time up to this long, to spread a fleet started by one cron minute').default(0).argParser(parseSplay))
    .addHelpText(
      'after',
      `
Output:
  The bundle is stored under host=<host>/date=<YYYY-MM-DD>/<time>_<snapshot id>.json.gz below --out,
  written atomically. On success the last line on stdout is where it was stored. The summary and
  errors go to stderr.

Storage:
  S3 credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
  AWS_PROFILE, instance or pod roles). Transient failures are retried 3 times with backoff. A bundle
  that still cannot be stored is kept in the spool (exit 3); every run first sends what waits there,
  oldest first, and deletes a spooled bundle only once it is stored. A spool over --spool-max-bytes
  is reported (exit 5), never trimmed. One run at a time per destination: a second one exits 6.

Examples:
  nsnap-collect                              # this host into ./nsnap-data
  nsnap-collect --out /var/lib/nsnap/bundles --tag phase=pre-deploy
  nsnap-collect --out s3://fleet-bundles/prod --splay 30
  nsnap-collect --out s3://nsnap/lab --s3-endpoint http://minio.lab:9000
  nsnap-collect --stdout | jq '.namespaces | length'

${EXIT_CODES_HELP}
`,
    )
    .showHelpAfterError('(run nsnap-collect --help for the flags)')
    .exitOverride()
    .action(async (flags: CollectFlags) => {
      process.exitCode = await runCollect(flags);
    });
  registerImportCommand(program);
  registerDoctorCommand(program);
  return program;
}

async function runCollect(flags: CollectFlags): Promise<number> {
  const log = (message: string) => process.stderr.write(`nsnap-collect: ${message}\n`);
  const destination = flags.stdout ? null : await openDestinationFromFlags(flags);
  const interrupt = untilInterrupted();
  const work = async () => {
    const slept = await Promise.race([splay(flags.splay), interrupt.signal]);
    if (typeof slept === 'string') return interrupted(slept, 'before the capture', log);
    return collectAndDeliver(flags, destination, interrupt.signal, log);
  };
  try {
    return await (destination ? withRunLock(destination, log, work) : work());
  } finally {
    interrupt.dispose();
  }
}

function interrupted(signal: StopSignal, when: string, log: (message: string) => void): number {
  log(`stopped by ${signal} ${when}: nothing stored; capture workers and temp files removed`);
  return SIGNAL_EXIT[signal];
}

/**
 * The capture, then its delivery, each raced against a stop signal: stopped
 * mid-capture, nothing is kept (a partial bundle would pass for a complete
 * one); stopped while storing, the finished bundle goes to the spool.
 */
async function collectAndDeliver(flags: CollectFlags, destination: Destination | null, stop: Promise<StopSignal>, log: (message: string) => void): Promise<number> {
  const started = performance.now();
  const captured = collect({
    procRoot: flags.procRoot,
    root: flags.root,
    hostLabel: flags.host ?? null,
    tags: flags.tag,
    timeoutMs: Math.round(flags.timeout * 1000),
    concurrency: flags.concurrency,
    enter: flags.enter,
    maxScan: flags.maxScan,
    ipv6Rules: flags.ipv6Rules,
    log,
  });
  // Once a stop wins the race the capture is abandoned: its late failure must not end the process with a stack trace.
  captured.catch(() => {});
  const bundle = await Promise.race([captured, stop]);
  if (typeof bundle === 'string') return interrupted(bundle, 'during the capture', log);
  const outcome = outcomeOf(statsOf(bundle));
  if (!destination) {
    // Printed, not stored: no gzip (it cost ~15 ms at 400 namespaces for a size nobody reads).
    const json = `${JSON.stringify(bundle)}\n`;
    process.stdout.write(json);
    // Its size is counted only to be printed (a pass over ~2.5 MB at 400 namespaces).
    if (!flags.quiet) summarize(flags, bundle, { bytes: Buffer.byteLength(json), encoding: 'JSON', location: 'stdout', seconds: (performance.now() - started) / 1000 });
    return outcome;
  }
  const encoded = encodeBundle(bundle);
  const run = { bytes: encoded.gzip.byteLength, encoding: 'gzip' as const, seconds: (performance.now() - started) / 1000 };
  const notice = flags.quiet ? () => {} : log;
  const delivering = deliverBundle(encoded, bundle.snapshotId, destination, outcome, log, (location) => summarize(flags, bundle, { ...run, location }), notice);
  delivering.catch(() => {});
  const delivered = await Promise.race([delivering, stop.then((signal) => ({ signal }))]);
  if (typeof delivered === 'number') return delivered;
  return spoolOnStop(delivered.signal, encoded, bundle.snapshotId, destination, log);
}

/** Stopped while storing: the upload may or may not land; the spool copy makes sure (a second put of the same key and bytes changes nothing). */
async function spoolOnStop(signal: StopSignal, encoded: EncodedBundle, snapshotId: string, destination: Destination, log: (message: string) => void): Promise<number> {
  try {
    const added = await destination.spool.add(encoded);
    if (added.kind === 'spooled') log(`stopped by ${signal} while storing snapshot ${snapshotId}: kept in the spool as ${added.entry.file}; the next run sends it`);
    else log(`stopped by ${signal} while storing snapshot ${snapshotId}; NOT SPOOLED, the spool ${destination.spool.dir} is over its limit: the bundle may be lost`);
  } catch (error) {
    log(`stopped by ${signal} while storing snapshot ${snapshotId}; NOT SPOOLED (${(error as Error).message}): the bundle may be lost`);
  }
  return SIGNAL_EXIT[signal];
}

function summarize(flags: CollectFlags, bundle: Bundle, run: { bytes: number; encoding: 'gzip' | 'JSON'; location: string; seconds: number }): void {
  if (flags.quiet) return;
  const s = statsOf(bundle);
  if (flags.logFormat === 'json') {
    const line = { event: 'snapshot', snapshotId: bundle.snapshotId, host: bundle.host.label, namespaces: s.namespaces, captured: s.captured, failed: s.failed, processes: s.processes, gaps: s.gaps, bytes: run.bytes, encoding: run.encoding, durationMs: Math.round(run.seconds * 1000), location: run.location };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    return;
  }
  const failed = s.failed > 0 ? `, ${s.failed} not captured` : '';
  process.stderr.write(
    `nsnap-collect: snapshot ${bundle.snapshotId} of ${bundle.host.label}: ${counted(s.namespaces, 'namespace')} (${s.captured} captured${failed}), ` +
      `${counted(s.processes, 'process', 'processes')}, ${counted(s.gaps, 'gap')}; ${(run.bytes / 1024).toFixed(1)} KiB ${run.encoding} in ${run.seconds.toFixed(2)} s → ${run.location}\n`,
  );
}

/** The only top-level catch: typed errors become exit codes, everything else is a bug reported plainly. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`nsnap-collect: ${error.message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(`nsnap-collect: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT.internal;
  }
}
