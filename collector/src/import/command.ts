import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Bundle } from '@nsnap/shared/core';
import { counted } from '@nsnap/shared/text';
import { outcomeOf, statsOf } from '../collect.js';
import { encodeBundle } from '../encode.js';
import { UsageError } from '../exit-codes.js';
import { deliverBundle, openDestinationFromFlags, withRunLock, type StoreFlags } from '../store/destination.js';
import { assembleImport } from './assemble.js';
import { describeTarget, parseNetnsArg, type NetnsTarget } from './netns-target.js';
import { readSource } from './read-source.js';
import { readSosTree } from './sos-tree.js';

/** The import's own flags plus the program's (`--host`, `--tag`, `--out` and the store flags), which commander reads anywhere on the line. */
interface ImportFlags extends StoreFlags {
  takenAt: string;
  ipLink?: string;
  sos?: string;
  procNs?: string;
  netns: Array<{ target: NetnsTarget; file: string }>;
  lsns?: string;
  netnsListId?: string;
  hostNetns?: number;
  bootId?: string;
  host?: string;
  tag: Record<string, string>;
  stdout: boolean;
  quiet: boolean;
  logFormat: 'text' | 'json';
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

function parseTakenAt(value: string): string {
  const ms = ISO_WITH_ZONE.test(value) ? Date.parse(value.replace(' ', 'T')) : NaN;
  // A time without a zone means a different instant on every laptop that imports it.
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError(`expected an ISO 8601 time with a zone, e.g. 2025-11-29T03:12:00Z or 2025-11-29T04:12:00+01:00, got ${JSON.stringify(value.slice(0, 80))}`);
  return new Date(ms).toISOString();
}

function parseInode(value: string): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(Number.isSafeInteger(n) && n > 0)) throw new InvalidArgumentError(`expected a namespace inode (the number in net:[4026531840]), got ${JSON.stringify(value.slice(0, 80))}`);
  return n;
}

function parseBootId(value: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw new InvalidArgumentError(`expected the content of /proc/sys/kernel/random/boot_id (a UUID), got ${JSON.stringify(value.slice(0, 80))}`);
  return value.toLowerCase();
}

function collectNetns(value: string, previous: ImportFlags['netns']): ImportFlags['netns'] {
  try {
    return [...previous, parseNetnsArg(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(/^--netns "[^"]*": /, ''));
  }
}

/** Adds `nsnap-collect import` to the program; it shares the program's store flags. */
export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description(
      'Build a snapshot from command outputs a person captured by hand on a host (ip link show, ls -l /proc/*/ns/net, ' +
        'lsns -t net, ip netns list-id, and ip link show inside namespaces), and store it like a live one. ' +
        'The files are kept verbatim, named with their sha256; namespaces they mention but no file covers are recorded as gaps.',
    )
    .requiredOption('--taken-at <time>', 'when the outputs were captured, ISO 8601 with a zone', parseTakenAt)
    .option('--ip-link <file>', 'the host\'s `ip -d link show` (text, or `ip -d -j link show` JSON); this or --sos is required')
    .option('--sos <dir>', 'an unpacked sosreport: the host\'s and each named namespace\'s links from sos_commands/networking (docs/import.md)')
    .option('--proc-ns <file>', '`ls -l /proc/*/ns/net 2>&1`: processes, their namespaces, and the host\'s (pid 1, else pid 2)')
    .addOption(new Option('--netns <key=file>', '`ip -d link show` inside one namespace; KEY is a pid, an inode, name:NAME, pid:N or inode:N (repeatable)').argParser(collectNetns).default([], 'none'))
    .option('--lsns <file>', '`lsns -t net` (or -J) run on the host: its nsid map and the /run/netns names')
    .option('--netns-list-id <file>', '`ip netns list-id` (or -j) run on the host: nsids of named namespaces')
    .option('--host-netns <inode>', 'the host\'s namespace inode, when neither --proc-ns nor --lsns shows pid 1 or 2', parseInode)
    .option('--boot-id <uuid>', 'the host\'s /proc/sys/kernel/random/boot_id, so diffs can tell a reboot', parseBootId)
    .addHelpText(
      'after',
      `
Also takes nsnap-collect's --host (required here), --tag, --out, --stdout, --s3-*, --spool,
--spool-max-bytes, --lock, --quiet and --log-format. docs/import.md lists the commands to run on the host.

Examples:
  nsnap-collect import --host web-3 --taken-at 2025-11-29T03:12:00Z \\
    --ip-link ip-link.txt --proc-ns proc-ns.txt --lsns lsns.txt \\
    --netns 3793=ns-3793.txt --netns name:web=web.txt --out s3://fleet-bundles/prod
  nsnap-collect import --host web-3 --taken-at 2025-11-29T03:12:00Z --sos sosreport-web-3-2025-11-29-abcdef/`,
    )
    .action(async (_options: unknown, command: Command) => {
      process.exitCode = await runImport(command.optsWithGlobals<ImportFlags>());
    });
}

async function runImport(flags: ImportFlags): Promise<number> {
  const log = (message: string) => process.stderr.write(`nsnap-collect import: ${message}\n`);
  if (flags.host === undefined) throw new UsageError('import needs --host NAME: the host the files were captured on (it is not this machine)');
  if ((flags.ipLink === undefined) === (flags.sos === undefined)) throw new UsageError('import needs either --ip-link FILE (outputs pasted by hand) or --sos DIR (an unpacked sosreport), not both');
  if (flags.sos !== undefined && (flags.procNs ?? flags.lsns ?? flags.netnsListId ?? flags.hostNetns) !== undefined) throw new UsageError('--sos reads the namespaces from the report: it does not take --proc-ns, --lsns, --netns-list-id or --host-netns');
  const sos = flags.sos === undefined ? null : await readSosTree(flags.sos);
  for (const note of sos?.notes ?? []) log(note);
  const ipLink = sos ? sos.ipLink : await readSource(flags.ipLink as string, 'ip-link', '--ip-link');
  const procNs = flags.procNs === undefined ? null : await readSource(flags.procNs, 'proc-ns', '--proc-ns');
  const lsns = flags.lsns === undefined ? null : await readSource(flags.lsns, 'lsns', '--lsns');
  const netnsListId = flags.netnsListId === undefined ? null : await readSource(flags.netnsListId, 'netns-list-id', '--netns-list-id');
  const netns = [];
  for (const { target, file } of flags.netns) {
    const key = describeTarget(target);
    netns.push({ target, file: await readSource(file, `netns:${key}`, `--netns ${key}=…`) });
  }
  const { bundle, notes } = assembleImport({
    host: flags.host,
    takenAt: flags.takenAt,
    tags: flags.tag,
    bootId: flags.bootId ?? null,
    hostNetns: flags.hostNetns ?? null,
    ipLink,
    procNs,
    lsns,
    netnsListId,
    netns: [...(sos?.netns ?? []), ...netns],
    ...(sos ? { named: sos.named, gaps: sos.gaps, netnsList: sos.netnsList } : {}),
  });
  for (const note of notes) log(note);
  // Files a person captured are untrusted: the bundle they make is checked
  // against the schema readers enforce (loaded here only; a live run skips it).
  const { BundleError, validateBundle } = await import('@nsnap/shared/schema');
  try {
    validateBundle(bundle);
  } catch (error) {
    if (error instanceof BundleError) throw new UsageError(`the files given do not make a valid bundle: ${error.message}`);
    throw error;
  }
  const outcome = outcomeOf(statsOf(bundle));
  const encoded = encodeBundle(bundle);
  if (flags.stdout) {
    process.stdout.write(`${encoded.json}\n`);
    summarize(flags, bundle, encoded.gzip.byteLength, 'stdout');
    return outcome;
  }
  const destination = await openDestinationFromFlags(flags);
  return withRunLock(destination, log, () =>
    deliverBundle(encoded, bundle.snapshotId, destination, outcome, log, (location) => summarize(flags, bundle, encoded.gzip.byteLength, location), flags.quiet ? () => {} : log),
  );
}

function summarize(flags: ImportFlags, bundle: Bundle, bytes: number, location: string): void {
  if (flags.quiet) return;
  const s = statsOf(bundle);
  const sources = bundle.collector.sources.length;
  if (flags.logFormat === 'json') {
    const line = { event: 'import', snapshotId: bundle.snapshotId, host: bundle.host.label, takenAt: bundle.takenAt.start, sources, namespaces: s.namespaces, captured: s.captured, notImported: s.failed, processes: s.processes, gaps: s.gaps, bytes, location };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    return;
  }
  const missing = s.failed > 0 ? `, ${s.failed} not captured` : '';
  process.stderr.write(
    `nsnap-collect import: snapshot ${bundle.snapshotId} of ${bundle.host.label} at ${bundle.takenAt.start} from ${counted(sources, 'file')}: ` +
      `${counted(s.namespaces, 'namespace')} (${s.captured} captured${missing}), ${counted(s.processes, 'process', 'processes')}, ${counted(s.gaps, 'gap')}; ${(bytes / 1024).toFixed(1)} KiB gzip → ${location}\n`,
  );
}
