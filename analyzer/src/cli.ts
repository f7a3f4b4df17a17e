import { fstatSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { Command, CommanderError, Option } from 'commander';
import { closeWritable, defaultDbPath, openDatabase } from './db/open.js';
import { DatabaseError, EXIT, EXIT_CODES_HELP, isStorageError, quote, UsageError } from './errors.js';
import { DEFAULT_CONCURRENCY } from './ingest/defaults.js';
import type { IngestFlags } from './ingest/run-ingest.js';
import { answerFilter, filterDiff, filterGraph, filterHistoryStep, filterPeers, filterShow, filterWhois, withFilterOptions, type FilterFlags } from './query/filters.js';
import { peersOf } from './query/peers.js';
import { checkSelected } from './query/check-snapshot.js';
import { diffSelected, selectPair } from './query/diff-snapshots.js';
import { historyRange, walkHistory } from './query/history.js';
import { parseTime, SELECTOR_HELP, selectSnapshot, type Selection, type SnapshotRef } from './query/select.js';
import { forgetSnapshots, pruneRule, pruneSelection } from './forget/forget.js';
import { renderForgotten } from './render/forget-text.js';
import { jsonText, terminalText } from './render/terminal.js';
import { PROGRESS_MODES, progressStyle, startProgress, type ProgressMode, type ProgressStream, type ProgressStyle } from './render/progress.js';
import { ANSWER_VERSIONS } from './answer/version.js';
import type { HistoryStep } from './answer/history.js';
import { whoisAll, whoisAt } from './query/whois.js';
import { showSnapshot } from './query/show.js';
import { loadRouting, withRouting } from './query/routing.js';
import { snapshotsOf } from './query/snapshots.js';
import { renderCheck } from './render/check-text.js';
import { captureCommand } from './query/capture.js';
import { CAPTURE_HELP, renderCapture } from './render/capture-text.js';
import { renderDiff } from './render/diff-text.js';
import { historyBaseline, historyEmpty, historyLine } from './render/history-text.js';
import { renderDot } from './render/dot.js';
import { renderWhois, renderWhoisHistory } from './render/whois-text.js';
import { renderPeers } from './render/peers-text.js';
import { renderShow } from './render/show-text.js';
import { renderSnapshots } from './render/snapshots-text.js';
import type { ReportFlags } from './report/run-report.js';

const VERSION = '0.1.0';

interface GlobalFlags {
  db?: string;
}

interface QueryFlags extends GlobalFlags {
  json: boolean;
  format?: Format;
  host?: string;
  snapshot: string;
}

// Every answer and message passes the text frontend's escaping here (render/terminal.ts).
const out = (text: string) => process.stdout.write(terminalText(text));
const log = (message: string) => process.stderr.write(`nsnap: ${terminalText(message)}\n`);
const json = (value: unknown) => process.stdout.write(jsonText(value));

/** The database of a query: it must exist, is opened read-only, and is read through a memory map. */
function withDatabase<T>(flags: GlobalFlags, use: (db: Database) => T): T {
  const db = openDatabase(flags.db ?? defaultDbPath(), { mustExist: true, mapped: true, readonly: true });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

const selectionOf = (flags: QueryFlags): Selection => ({ snapshot: flags.snapshot, host: flags.host ?? null });

const snapshotOption = () => new Option('-s, --snapshot <sel>', 'which snapshot: "latest", latest~N, @TIME, tag:KEY=VALUE, a snapshot id or a unique prefix of one (nsnap diff --help)').default('latest');
const hostOption = () => new Option('--host <name>', 'the host whose snapshots to choose from (needed for "latest" when the database holds several hosts)');
const jsonOption = () => new Option('--json', 'print JSON for scripts instead of a table (the same as --format json)').default(false);

const progressOption = () =>
  new Option('--progress <when>', 'progress on stderr: auto (a line redrawn in place on a terminal, unless stdout is a pipe, CI is set or TERM=dumb; else a line every 2 s), always, never').choices(PROGRESS_MODES).default('auto');

/** stderr as the progress display sees it. */
const stderrStream: ProgressStream = { write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true, columns: process.stderr.columns };

/** Whether stdout is a pipe or socket (a pager, a script): a live progress line would share its terminal. */
function stdoutIsPipe(): boolean {
  try {
    const s = fstatSync(1);
    return s.isFIFO() || s.isSocket();
  } catch {
    return false;
  }
}

const progressOf = (flags: { progress: ProgressMode; quiet?: boolean }): ProgressStyle =>
  progressStyle(stderrStream, { mode: flags.progress, quiet: flags.quiet === true, stdoutIsPipe: stdoutIsPipe(), env: process.env });

/** The frontends an answer can go through (docs/json.md for json). */
type Format = 'text' | 'json' | 'dot' | 'svg';
const formatOption = (choices: Format[]) => new Option('--format <format>', `output format (default: ${choices[0]})`).choices(choices);
/** The frontend the flags ask for: --format, or --json (an alias of --format json), else the command's first. */
function formatOf(flags: { json?: boolean; format?: Format }, fallback: Format = 'text'): Format {
  if (flags.json && flags.format !== undefined && flags.format !== 'json') throw new UsageError(`--json and --format ${flags.format} ask for two formats: give one`);
  return flags.json ? 'json' : (flags.format ?? fallback);
}

export function buildProgram(): Command {
  const program = new Command('nsnap')
    .description(
      'Answer "what is on the other end of this veth?" from network-namespace snapshots taken by nsnap-collect: ' +
        'ingest bundles into an SQLite database, then list snapshots, show namespaces with their owners and interfaces, ' +
        'pair veths across namespaces, draw the topology.',
    )
    .version(VERSION, '-V, --version')
    .option('--db <file>', 'the SQLite database (default: $NSNAP_DB, else ./nsnap.db)')
    .addHelpText(
      'after',
      `
Examples:
  nsnap ingest ./nsnap-data                      # every bundle below the directory (idempotent)
  nsnap snapshots
  nsnap peers                                    # veth pairs of the latest snapshot, with owners
  nsnap peers --host web-1 --snapshot 01a22582   # a given snapshot, by id prefix
  nsnap show --json | jq '.namespaces[] | select(.names | index("blue"))'
  nsnap graph --format svg > netns.svg           # drawn inside nsnap: no graphviz needed
  sqlite3 nsnap.db 'SELECT * FROM veth_pairs LIMIT 5'   # the tables and views: docs/schema.md

${EXIT_CODES_HELP}
`,
    )
    .showHelpAfterError('(run nsnap --help, or nsnap COMMAND --help)')
    .exitOverride();

  program
    .command('ingest')
    .description('Read bundles (files, directories searched recursively for *.json.gz and *.json, or a store URL such as s3://bucket/prefix) into the database')
    .argument('<source...>', 'bundle files, directories, or store URLs (s3://bucket/prefix, file:///dir)')
    .option('--json', 'print the summary, with every file\'s outcome, as JSON on stdout (docs/json.md)', false)
    .option('-v, --verbose', 'name every file with its outcome on stderr, not only the failed ones', false)
    .option('-q, --quiet', 'no progress and no summary line on stderr (failures are still named)', false)
    .addOption(progressOption())
    .option('--host <label>', 'store URLs: only this host\'s bundles (lists only host=LABEL/)')
    .option('--since <time>', 'store URLs: only bundles taken at or after this time (2026-11-29T10:00Z, 2026-11-29T10:00 = UTC, a UTC day 2026-11-29, now, an age 36h/7d)')
    .option('--until <time>', 'store URLs: only bundles taken at or before this (a day means its end)')
    .option('--concurrency <n>', `store URLs: downloads in flight at once, 1-64 (default: ${DEFAULT_CONCURRENCY})`)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (MinIO, Ceph, s3rver); default: AWS, or $AWS_ENDPOINT_URL_S3 / $AWS_ENDPOINT_URL')
    .option('--s3-region <region>', 'S3 region (default: $AWS_REGION; us-east-1 with a custom endpoint)')
    .option('--s3-force-path-style', 'path-style S3 requests (the default with --s3-endpoint)')
    .addHelpText(
      'after',
      `
Each bundle is validated against the bundle schema, parsed, correlated (veth pairs, lower devices, owners,
containers) and inserted in one transaction. A bundle already in the database (same sha256 of its JSON,
compressed or not) is skipped and said to be. A bundle that cannot be read — truncated gzip, not JSON,
schema violation, another schema version, too large — is named with its reason on stderr, and the others
still go in; the exit code is then 1. Every attempt is recorded in the ingest_log table. Only regular
files are read (a FIFO or device is refused at once); a walk goes on past what it cannot read: a
directory it cannot list, or a dangling link, link loop or FIFO named like a bundle, is a failure;
other entries are counted as not read, and -v names each with why. Several ingests may run into one
database at once. Limits: 128 MiB stored, 128 MiB of JSON per bundle (docs/reliability.md).

A store URL is ingested incrementally: only the key prefixes --host/--since/--until need are listed
(host=H/date=YYYY-MM-DD/…), keys this database already took from the store are skipped without being
downloaded, the rest are downloaded --concurrency at a time and checked against the sha256 the collector
put in their metadata (a mismatch is reported as corrupt). A run that is stopped continues where it
stopped. Objects whose keys are not in the layout are reported as skipped-foreign. Credentials come from
the AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance role). See docs/s3.md.

Examples:
  nsnap ingest ./nsnap-data
  nsnap ingest --db /srv/nsnap.db host=web-1/ host=web-2/date=2026-11-29/
  nsnap ingest --json bundles/ | jq '.files[] | select(.outcome == "failed")'
  nsnap ingest s3://nsnap-bundles/fleet
  nsnap ingest s3://nsnap-bundles/fleet --host web-1 --since 7d
  nsnap ingest s3://nsnap/fleet --s3-endpoint http://minio:9000 --since 2026-11-01 --until 2026-11-30
`,
    )
    .action(async (sources: string[], flags: IngestFlags & { progress: ProgressMode }, command: Command) => {
      const global = command.optsWithGlobals<GlobalFlags>();
      // Loaded here: ingest brings the schema, parsers and correlator, which no query needs at start-up.
      const { runIngest } = await import('./ingest/run-ingest.js');
      const summary = await runIngest(sources, { ...flags, ...(global.db !== undefined ? { db: global.db } : {}) }, { stderr: stderrStream, progress: progressOf(flags) });
      if (flags.json) json(summary);
      process.exitCode = summary.failed > 0 ? EXIT.failed : EXIT.ok;
    });

  program
    .command('snapshots')
    .description('List the snapshots in the database, oldest first within each host')
    .addOption(new Option('--host <name>', 'only this host\'s snapshots'))
    .addOption(jsonOption())
    .addHelpText('after', '\nJSON (docs/json.md): {"answerVersion":1,"snapshots":[{"id","host","takenAt","tags","bootId","namespaces","gaps"}]}\n\nExample:\n  nsnap snapshots --host web-1\n')
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags>();
      withDatabase(flags, (db) => {
        const answer = snapshotsOf(db, flags.host ?? null);
        if (formatOf(flags) === 'json') json(answer);
        else out(renderSnapshots(answer));
      });
    });

  program
    .command('show')
    .description('Every namespace of a snapshot with its owners (processes, names, mounts, containers) and interfaces')
    .addOption(snapshotOption())
    .addOption(hostOption())
    .addOption(jsonOption())
    .option('--routes', 'also each namespace\'s routes (every table, both families), IPv4 policy rules and neighbours')
    .addHelpText(
      'after',
      `
JSON (docs/json.md): {"answerVersion":1,"snapshot":{"id","host","takenAt"},"namespaces":[{"netns","host","names","pids","containers",
       "interfaces":[{"ifname","ifindex","kind","mtu","operstate","master","address",…}],…}],"gaps":[…]}
      with --routes each namespace has "routing":{"routes":[…],"rules":[…],"neighbours":[…]}, each an
      array of entries in ip's words, or null where that list was not captured

Examples:
  nsnap show
  nsnap show --host web-1 --snapshot latest --json
  nsnap show --container 794e0b37 --interface 'eth*'   # one container's namespace, its eth devices
  nsnap show --routes --json | jq '.namespaces[] | {netns, routes: .routing.routes}'
`,
    )
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags & { routes?: boolean }>();
      const filter = answerFilter(flags);
      withDatabase(flags, (db) => {
        const snap = selectSnapshot(db, selectionOf(flags));
        const shown = filterShow(showSnapshot(db, snap), filter);
        const result = flags.routes ? withRouting(shown, loadRouting(db, snap.row)) : shown;
        if (formatOf(flags) === 'json') json(result);
        else out(renderShow(result));
      });
    });

  program
    .command('peers')
    .description('veth pairs of a snapshot, one per line with the owners of both ends; unpaired veths with why')
    .addOption(snapshotOption())
    .addOption(hostOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Each pair says how it was decided: nsid-map (an nsid map in the bundle names the peer namespace),
unique-candidate, nsid-consistency, same-netns. What the facts do not prove is never asserted: an
unpaired veth says why — ambiguous or unconfirmed (with its candidates), unseen-peer, unreadable-peer,
dangling, no-peer-index (docs/correlation.md). "lowers" lists each macvlan/vxlan… and its lower device.

Output line:
  veth4a67fcf #21 (host, master docker0) ⇄ eth0 #20 (netns 4026532701, pid 1557 sleep, container 794e0b37a9c6)  [nsid-map]

JSON (docs/json.md): {"answerVersion":1,"snapshot":{…},"pairs":[{"a":{"netns","ifname","ifindex",…},"b":{…},"method"}],
       "unpaired":[{"netns","ifname","ifindex","reason","detail","candidates"}],"lowers":[…],"gaps":[…]}

Examples:
  nsnap peers
  nsnap peers --netns host --interface 'veth*'
  nsnap peers --json | jq -r '.pairs[] | select(.a.ifname == "veth4a67fcf") | .b.owner.containers[].id'
`,
    )
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags>();
      const filter = answerFilter(flags);
      withDatabase(flags, (db) => {
        const result = filterPeers(peersOf(db, selectSnapshot(db, selectionOf(flags))), filter);
        if (formatOf(flags) === 'json') json(result);
        else out(renderPeers(result));
      });
    });

  program
    .command('graph')
    .description('The topology of a snapshot as a Graphviz graph: namespaces as clusters, bridges, veth pairs, lower devices')
    .addOption(snapshotOption())
    .addOption(hostOption())
    .addOption(formatOption(['dot', 'svg']))
    .addHelpText('after', '\nsvg is drawn by Graphviz compiled to WebAssembly, inside nsnap: no `dot` binary is needed.\n\nExamples:\n  nsnap graph --format svg > netns.svg\n  nsnap graph --format dot | dot -Tpng > netns.png\n')
    .action(async (_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags>();
      const filter = answerFilter(flags);
      const dot = withDatabase(flags, (db) => {
        const snap = selectSnapshot(db, selectionOf(flags));
        const { show, peers } = filterGraph(showSnapshot(db, snap), peersOf(db, snap), filter);
        return renderDot(show, peers);
      });
      if (formatOf(flags, 'dot') === 'svg') {
        // Loaded here: Graphviz's WebAssembly is 1.2 MB that no other answer needs.
        const { renderSvg } = await import('./render/svg.js');
        out(await renderSvg(dot));
      } else out(dot);
    });

  program
    .command('diff')
    .description('What changed between two snapshots of a host: namespaces, their owners, interfaces, veth pairs, gaps')
    .argument('<from>', 'the earlier snapshot (SEL)')
    .argument('[to]', 'the later snapshot (SEL)', 'latest')
    .addOption(hostOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
${SELECTOR_HELP}

Namespaces are matched across snapshots by the identity rules of docs/identity.md (within a boot an inode
is the same namespace only with evidence carried over — a process, a device's ifindex and MAC, a name, a
mount, a container —; one with none either way is "uncertain", with the reason; names and container ids
across a reboot); interfaces by ifindex within a boot (a rename or a swap of names keeps the ifindex, a
replacement keeps the name), by name across a reboot. A namespace missing from the later snapshot
only because it could not be read there is listed as not compared, never as removed. The exit code is 0
whether or not something changed; 2 when a selector names no snapshot.

JSON (docs/json.md): {"answerVersion":1,"from":{"id","host","takenAt","bootId"},"to":{…},"sameBoot",
       "namespaces":{"added":[{"netns","host","names","containers","pids"}],"removed":[…],
                     "changed":[{"netns","fromNetns","changes":{"processes":{"from":[…],"to":[…]}}}],
                     "uncertain":[{"netns","fromNetns","reason","changes"}],"replaced":[{"netns","reason"}],"unknown":[…],"notComparable":[…]},
       "interfaces":{"added":[{"netns","ifname","ifindex","kind","mtu",…}],"removed":[…],
                     "changed":[{"netns","ifname","ifindex","changes":{"mtu":{"from":1500,"to":9000}}}]},
       "pairs":{"added":[{"a":{"netns","ifname","ifindex"},"b":{…}}],"removed":[…]},
       "gaps":{"uncaptured":[…],"carried":[{"netns","since"}],"added":[…],"removed":[…]}}

Examples:
  nsnap diff latest~1 latest --host web-1
  nsnap-collect --tag phase=pre-deploy …; deploy; nsnap-collect …; nsnap ingest …
  nsnap diff tag:phase=pre-deploy latest
  nsnap diff @2026-11-29T03:00Z @2026-11-29T03:30Z --host web-1 --json | jq '.interfaces.changed'
`,
    )
    .action((from: string, to: string, _flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags>();
      const filter = answerFilter(flags);
      withDatabase(flags, (db) => {
        const [a, b] = selectPair(db, from, to, flags.host ?? null);
        const { diff: whole, owners } = diffSelected(db, a, b);
        const diff = filterDiff(whole, owners, filter);
        if (formatOf(flags) === 'json') json(diff);
        else out(renderDiff(diff, owners));
      });
    });

  program
    .command('history')
    .description('When did something change? One line per snapshot of a host with what changed since the one before')
    .addOption(hostOption())
    .option('--since <time>', 'start at the snapshot in force at this time (2026-11-29T10:00Z, UTC without a zone, a UTC day, now, an age 36h)')
    .option('--until <time>', 'stop at the last snapshot taken at or before this time (a day means its end)')
    .option('-v, --verbose', 'list the changes under each line, grouped by namespace', false)
    .addOption(progressOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Every snapshot is read once and compared with the previous one, by the rules of nsnap diff. A namespace
a snapshot could not capture or read marks that step [gap]; the next snapshot that captures it is compared
with the last one that did. Bound long histories with --since/--until; progress goes to stderr (--progress).

Output line:
  2026-11-29T10:10:00.000Z  01937c1e-…  +1 namespaces, +3 -1 ~1 interfaces, +1 veth pairs

JSON (docs/json.md): {"answerVersion":1,"host","snapshots":N,"first":{snapshot},"steps":[{"from":{…},"to":{…},"sameBoot","counts":{"namespaces":{"added","removed","changed","uncertain"},
       "interfaces":{…},"pairs":{"added","removed"}},"gap":{"uncaptured","unreadable"},"carried":[{"netns","since"}],
       "diff":{as nsnap diff --json, with -v}}]}

Examples:
  nsnap history --host web-1 --since 2026-11-29T00:00Z --until 2026-11-29T06:00Z
  nsnap history --host web-1 -v --since 2026-11-29T03:00Z | less
  nsnap history --host web-1 --json | jq '.steps[] | select(.counts.pairs.removed > 0) | .to.takenAt'
`,
    )
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags & { since?: string; until?: string; verbose: boolean; progress: ProgressMode }>();
      const filter = answerFilter(flags);
      const since = flags.since !== undefined ? parseTime(flags.since, '--since', undefined, 'since') : null;
      const until = flags.until !== undefined ? parseTime(flags.until, '--until', undefined, 'until') : null;
      withDatabase(flags, (db) => {
        const asJson = formatOf(flags) === 'json';
        const range = historyRange(db, flags.host ?? null, since, until);
        const total = range.snapshots.length;
        const first = range.snapshots[0];
        if (!asJson) out(first ? historyBaseline({ ...first, host: range.host }, total) : historyEmpty(range.host));
        const steps: HistoryStep[] = [];
        const progress = startProgress(stderrStream, progressOf(flags), 'history');
        // A filter needs every step's diff and owners, to keep only what it asks about.
        const walk = { verbose: flags.verbose || filter !== null, withOwners: (flags.verbose && !asJson) || filter !== null };
        walkHistory(db, range.snapshots, walk, (whole, owners, done) => {
          const step = filterHistoryStep(whole, owners, filter, flags.verbose);
          if (asJson) steps.push(step);
          else {
            // Its line goes above the progress line, never inside it.
            progress.end();
            out(historyLine(step, owners));
          }
          if (done < total - 1) progress.update(() => `${done + 1}/${total} snapshots compared…`);
        });
        progress.end();
        if (asJson) json({ answerVersion: ANSWER_VERSIONS.history, host: range.host, snapshots: total, first: first ? { id: first.id, host: first.host, takenAt: first.takenAt, bootId: first.bootId } : null, steps });
      });
    });

  program
    .command('whois')
    .description('Who held an address, an interface name, a namespace, a container or a pid at a given time: namespace, processes, containers, veth peer, master')
    .argument('<what>', 'an IPv4/IPv6 address (with or without /LEN), an interface name, a pid, a netns inode, a container id (prefix) or name, a pod NAMESPACE/NAME; or if:NAME, pid:N, netns:N, container:ID-OR-NAME, pod:NAMESPACE/NAME')
    .option('--at <time>', 'answer from the snapshot in force at this time (2026-11-29T10:00Z, UTC without a zone, a UTC day, now, an age 36h) (default: the latest)')
    .addOption(hostOption())
    .option('--all', 'for an interface name or an address: every period one owner held it, over all snapshots of the host', false)
    .addOption(progressOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A number above 4194304 (the largest pid_max) is a netns inode, a smaller one a pid. A bare hex word is
tried both as an interface name and as a container id prefix; a word is also tried as a container name
(docker's, podman's, the CRI container name: from the runtimes' files, nsnap-collect --root), and
NAMESPACE/NAME as a pod. A name several containers or pods have in the snapshot is said to be
ambiguous, each listed with its namespace ("named" in JSON). An address matches every interface holding
it (all of them: one address in two namespaces is two matches), in any spelling (fe80::1 = fe80:0:0::1);
with /LEN only when held with that length. The answer names the snapshot it comes from
and how old that snapshot was at the time asked. Exit code 1 when nothing matches.

Output:
  veth4a67fcf #21 veth, master docker0 ⇄ eth0 #2 (netns 4026532701, pid 1557 sleep, container d0b3604b67ac)
    in host

JSON (docs/json.md): {"answerVersion":1,"query","at","snapshot":{"id","host","takenAt","bootId","ageSeconds"},
       "matches":[{"matchedBy","address","netns","host","names","pids","processes","containers","ifname","ifindex","kind","master",
                   "peer":{"netns","ifname","ifindex","host","names","pids","containers"},"unpaired",
                   "lower":{"device":{…},"method","detail"},"interfaces"}],
       "named":[{"kind","name","holders":[{"id","netns"}],"ambiguous"}]}
  containers[] are {"runtime","id","podUid","name","pod"}, name and pod where the runtimes' files give them
  with --all: {"answerVersion":1,"query","host","periods":[{"first":{"id","takenAt"},"last":{…},"snapshots","gaps","uncertain","bootId","netns","ifindex","match":{…}}]}

Examples:
  nsnap whois veth4a67fcf --at 2026-11-29T03:12Z --host web-1
  nsnap whois veth4a67fcf --all --host web-1
  nsnap whois 10.42.3.17 --at 2026-11-29T03:12Z --host web-1   # who had that address then
  nsnap whois fd00::5/64 --all --host web-1
  nsnap whois 1557                         # the namespace of pid 1557, its interfaces and peers
  nsnap whois web-1                        # the docker container named web-1
  nsnap whois shop/api-7d4                 # the pod api-7d4 of Kubernetes namespace shop
  nsnap whois d0b3604b67ac --json | jq '.matches[].interfaces[].peer'
`,
    )
    .action((what: string, _flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags & { at?: string; all: boolean; progress: ProgressMode }>();
      const at = flags.at !== undefined ? parseTime(flags.at, '--at') : null;
      if (flags.all && at !== null) throw new UsageError('--all lists every period over time; it does not take --at');
      const filter = answerFilter(flags);
      if (flags.all && filter !== null) throw new UsageError('--all lists every owner the name had; it does not take --netns, --container, --pod or --interface');
      withDatabase(flags, (db) => {
        if (flags.all) {
          const progress = startProgress(stderrStream, progressOf(flags), 'whois --all');
          const history = whoisAll(db, what, flags.host ?? null, (done, total) => progress.update(() => `${done}/${total} snapshots read…`));
          progress.end();
          if (formatOf(flags) === 'json') json(history);
          else out(renderWhoisHistory(history));
          process.exitCode = history.periods.length > 0 ? EXIT.ok : EXIT.failed;
          return;
        }
        const result = filterWhois(whoisAt(db, what, { at, host: flags.host ?? null }), filter);
        if (formatOf(flags) === 'json') json(result);
        else out(renderWhois(result));
        process.exitCode = result.matches.length > 0 ? EXIT.ok : EXIT.failed;
      });
    });

  program
    .command('capture')
    .description('The command that captures packets on a device, in its namespace, as of the latest snapshot: tcpdump through ip netns exec or nsenter, and on its veth peer')
    .argument('<what>', 'an interface name, a container id (prefix), a pod uid; or if:NAME, container:ID, pod:UID')
    .addOption(snapshotOption())
    .addOption(hostOption())
    .option('--netns <netns>', 'only devices of this namespace: an inode, a name in /run/netns, or host')
    .addOption(jsonOption())
    .addHelpText('after', CAPTURE_HELP)
    .action((what: string, _flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & { netns?: string }>();
      withDatabase(flags, (db) => {
        const answer = captureCommand(db, what, { ...selectionOf(flags), netns: flags.netns ?? null });
        if (flags.json) json(answer);
        else out(renderCapture(answer));
        process.exitCode = answer.status === 'ok' ? EXIT.ok : EXIT.failed;
      });
    });

  program
    .command('check')
    .description('What looks wrong in a snapshot: veths without a proven peer, namespaces with no process, MTU mismatches, leaked addresses, failed captures')
    .argument('[sel]', 'the snapshot (SEL); the same as --snapshot SEL')
    .addOption(new Option('-s, --snapshot <sel>', 'which snapshot (SEL below), like the other queries; default "latest"'))
    .addOption(hostOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
${SELECTOR_HELP}

Findings: veth-peer-unseen (its peer is in a namespace nsnap could not see: kept alive only by something
a scan cannot reach), veth-peer-unreadable (its peer namespace is known but could not be read),
dangling-veth (its peer is gone), ambiguous-veth, unconfirmed-veth (one candidate, not proof while
namespaces are out of sight: docs/correlation.md), netns-without-process (kept alive by a mount or a name only),
veth-mtu-mismatch, veth-one-end-down, bridge-mtu-mismatch (a port's MTU differs from its bridge's),
leaked-address (a namespace no process lives in holds an address: a leaked pod IP), leaked-address-uncertain
(the same where the facts do not prove it: an unreadable process may live in it, a process holds it by an fd,
or it was not captured), capture-failed. Exit code 1 when there is a finding, 0 when none.

JSON (docs/json.md): {"answerVersion":1,"snapshot":{"id","host","takenAt","bootId"},"findings":[{"kind","subject","detail","netns","ifname","addresses"}]}

Examples:
  nsnap check --host web-1
  nsnap check --snapshot latest~1 --host web-1
  nsnap check tag:phase=post-deploy --json | jq -r '.findings[] | select(.kind == "veth-peer-unseen") | .ifname'
`,
    )
    .action((sel: string | undefined, _flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<Omit<QueryFlags, 'snapshot'> & { snapshot?: string }>();
      if (sel !== undefined && flags.snapshot !== undefined) throw new UsageError(`two snapshots given (${quote(sel)} and --snapshot ${quote(flags.snapshot)}): give one`);
      withDatabase(flags, (db) => {
        const { result, owners } = checkSelected(db, selectSnapshot(db, { snapshot: sel ?? flags.snapshot ?? 'latest', host: flags.host ?? null }));
        if (formatOf(flags) === 'json') json(result);
        else out(renderCheck(result, owners));
        process.exitCode = result.findings.length > 0 ? EXIT.failed : EXIT.ok;
      });
    });

  program
    .command('export')
    .description('Write snapshots as a Hive-partitioned Parquet lake (DuckDB, Athena, Trino): <table>/host=H/date=D/<snapshot_id>.parquet')
    .requiredOption('--to <dir|url>', 'the lake: a directory, file:///dir or s3://bucket/prefix')
    .option('--from <store>', 'read bundles from this store (a directory or s3://bucket/prefix) instead of a database')
    .option('--host <label>', 'only this host\'s snapshots')
    .option('--since <time>', 'only snapshots taken at or after this time (as nsnap ingest --since)')
    .option('--until <time>', 'only snapshots taken at or before this time (a day means its end)')
    .option('--json', 'print the summary as JSON on stdout', false)
    .option('-q, --quiet', 'no progress and no summary on stderr (failures are still named)', false)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for --to and --from (MinIO, Ceph, s3rver)')
    .option('--s3-region <region>', 'S3 region')
    .option('--s3-force-path-style', 'path-style S3 requests (the default with --s3-endpoint)')
    .addHelpText(
      'after',
      `
One file per table per snapshot; tables and columns: docs/fleet.md. A snapshot whose snapshots file is
already in the lake is not written again (its files are a function of the bundle: the same bytes); a run
that stopped is continued by running it again. Exit code 1 when a snapshot could not be exported.

Examples:
  nsnap export --to ./lake --since 7d
  nsnap export --from s3://nsnap-bundles/fleet --host web-1 --since 2026-11-29 --until 2026-11-29 --to s3://nsnap-lake/v1
  duckdb -c "SELECT host, count(*) FROM read_parquet('lake/interfaces/*/*/*.parquet', hive_partitioning=true) GROUP BY host"
`,
    )
    .action(async (_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & import('./export/run-export.js').ExportFlags>();
      const { runExport } = await import('./export/run-export.js');
      const summary = await runExport(flags, { stderr: process.stderr });
      if (flags.json) json(summary);
      process.exitCode = summary.failed > 0 ? EXIT.failed : EXIT.ok;
    });

  program
    .command('report')
    .description('Write one self-contained HTML file to look at: the topology of a snapshot, a diff of two, or a timeline over a range')
    .addOption(new Option('-s, --snapshot <sel>', 'the topology of this snapshot (default: latest)'))
    .option('--from <sel>', 'a diff: the earlier snapshot')
    .option('--to <sel>', 'a diff: the later snapshot (default: latest)')
    .option('--since <time>', 'a timeline of the snapshots from this time (and the topology at its end)')
    .option('--until <time>', 'a timeline up to this time')
    .addOption(hostOption())
    .requiredOption('-o, --out <file.html>', 'the HTML file to write')
    .option('--max-snapshots <n>', 'a timeline draws at most the latest N snapshots of the range (default and most: 1000); what it leaves out, it states')
    .option('--json', 'also print what the file holds and what its timeline left out, as JSON (docs/json.md)', false)
    .option('-q, --quiet', 'no progress and no summary line on stderr (what the timeline left out is still named)', false)
    .addOption(progressOption())
    .addHelpText('after', `\n${SELECTOR_HELP}\n\nThe file opens offline in a browser: no request leaves it (docs: README, "nsnap report").\n\nExamples:\n  nsnap report --out netns.html\n  nsnap report --from latest~1 --to latest --host web-1 --out diff.html\n  nsnap report --since 2026-11-29T00:00Z --until 2026-11-29T06:00Z --host web-1 --out day.html\n`)
    .action(async (_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & ReportFlags & { json: boolean; quiet: boolean; progress: ProgressMode }>();
      // Loaded here: no other command needs the report's code (gzip, hashing, the page script).
      const { writeReport } = await import('./report/run-report.js');
      withDatabase(flags, (db) => {
        const progress = startProgress(stderrStream, progressOf(flags), 'report');
        const answer = writeReport(db, flags, (text) => progress.update(text));
        progress.end();
        if (!flags.quiet) log(`report: wrote ${flags.out} (${(answer.bytes / 1024).toFixed(0)} KiB)`);
        for (const hint of answer.timeline?.omitted.hints ?? []) log(`report: left out: ${hint}`);
        if (flags.json) json(answer);
      });
    });

  const removal = (command: Command) =>
    command
      .addOption(hostOption())
      .option('-n, --dry-run', 'list the snapshots that would be removed, and remove nothing', false)
      .addOption(jsonOption());
  const remove = (flags: GlobalFlags & { json: boolean; format?: Format; dryRun: boolean }, choose: (db: Database) => SnapshotRef[]) => {
    const db = openDatabase(flags.db ?? defaultDbPath(), { mustExist: true });
    try {
      const chosen = choose(db);
      if (!flags.dryRun) forgetSnapshots(db, chosen);
      const answer = { answerVersion: ANSWER_VERSIONS.forget, dryRun: flags.dryRun, removed: chosen.map(({ id, host, takenAt }) => ({ id, host, takenAt })) };
      if (formatOf(flags) === 'json') json(answer);
      else out(renderForgotten(answer));
    } finally {
      closeWritable(db);
    }
  };

  removal(
    program
      .command('forget')
      .description('Remove snapshots and everything they brought (namespaces, interfaces, pairs, gaps, their ingest_log entries) from the database')
      .argument('<sel...>', 'the snapshots (SEL each)'),
  )
    .addHelpText(
      'after',
      `
${SELECTOR_HELP}

A forgotten bundle can be ingested again, from a file or a store. The file keeps its size until
\`sqlite3 nsnap.db VACUUM\`; deleting rows of the snapshots table in the sqlite3 shell does the same
as forget (docs/schema.md).

Examples:
  nsnap forget 01a22582 --host web-1
  nsnap forget tag:phase=test --dry-run
`,
    )
    .action((sels: string[], _flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & { dryRun: boolean }>();
      remove(flags, (db) => {
        const chosen = new Map<number, SnapshotRef>();
        for (const sel of sels) {
          const s = selectSnapshot(db, { snapshot: sel, host: flags.host ?? null });
          chosen.set(s.row, s);
        }
        return [...chosen.values()];
      });
    });

  removal(
    program
      .command('prune')
      .description('Remove old snapshots: all but the newest N of each host (--keep), or those taken before a time (--before)')
      .option('--keep <n>', 'keep the newest N snapshots of each host (of --host only, with it)')
      .option('--before <time>', 'remove the snapshots taken before this time (ISO-8601; UTC without a zone)'),
  )
    .addHelpText(
      'after',
      `
Everything a removed snapshot brought goes with it, as with nsnap forget.

Examples:
  nsnap prune --keep 100 --dry-run
  nsnap prune --before 2026-11-01 --host web-1
`,
    )
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & { dryRun: boolean; keep?: string; before?: string }>();
      const rule = pruneRule(flags.keep, flags.before !== undefined ? parseTime(flags.before, '--before') : null);
      remove(flags, (db) => pruneSelection(db, rule, flags.host ?? null));
    });

  // --format text|json (--json is its alias) on every command whose answer has a JSON schema (docs/json.md).
  for (const name of ['snapshots', 'show', 'peers', 'diff', 'history', 'whois', 'check', 'forget', 'prune']) (program.commands.find((c) => c.name() === name) as Command).addOption(formatOption(['text', 'json']));
  // The filters narrow finished answers (query/filters.ts); added here so the commands above stay as they are.
  for (const name of ['show', 'peers', 'graph', 'diff', 'history', 'whois']) withFilterOptions(program.commands.find((c) => c.name() === name) as Command);
  return program;
}

/** The CLI as a process runs it (`bin.ts`, and `nsnap.cts` for the bundle): `main` with stdout set up. */
export async function run(argv: string[]): Promise<void> {
  // `nsnap show | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  await main(argv);
}

/** The only top-level catch: typed errors become exit codes, anything else is a bug reported plainly. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (error instanceof UsageError) {
      log(error.message);
      process.exitCode = EXIT.usage;
      return;
    }
    if (error instanceof DatabaseError) {
      log(error.message);
      process.exitCode = EXIT.failed;
      return;
    }
    if (isStorageError(error)) {
      log(`database error: ${(error as Error).message}`);
      process.exitCode = EXIT.failed;
      return;
    }
    log(`internal error: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = EXIT.internal;
  }
}
