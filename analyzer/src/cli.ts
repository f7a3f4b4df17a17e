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
import { HISTORY_PROGRESS_EVERY_MS, historyRange, walkHistory } from './query/history.js';
import { parseTime, SELECTOR_HELP, selectSnapshot, type Selection, type SnapshotRef } from './query/select.js';
import { forgetSnapshots, pruneRule, pruneSelection } from './forget/forget.js';
import { renderForgotten } from './render/forget-text.js';
import { jsonText, terminalText } from './render/terminal.js';
import { whoisAll, whoisAt } from './query/whois.js';
import { showSnapshot } from './query/show.js';
import { listSnapshots } from './query/snapshots.js';
import { renderCheck } from './render/check-text.js';
import { captureCommand } from './query/capture.js';
import { CAPTURE_HELP, renderCapture } from './render/capture-text.js';
import { renderDiff } from './render/diff-text.js';
import { historyBaseline, historyLine } from './render/history-text.js';
import { renderDot } from './render/dot.js';
import { renderWhois, renderWhoisHistory } from './render/whois-text.js';
import { renderPeers } from './render/peers-text.js';
import { renderShow } from './render/show-text.js';
import { renderSnapshots } from './render/snapshots-text.js';

const VERSION = '0.1.0';

interface GlobalFlags {
  db?: string;
}

interface QueryFlags extends GlobalFlags {
  json: boolean;
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
const jsonOption = () => new Option('--json', 'print JSON for scripts instead of a table').default(false);

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
  nsnap graph --format dot | dot -Tsvg > netns.svg
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
    .option('--json', 'print the summary, with every file\'s outcome, as JSON on stdout', false)
    .option('-v, --verbose', 'name every file with its outcome on stderr, not only the failed ones', false)
    .option('-q, --quiet', 'no progress and no summary line on stderr (failures are still named)', false)
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
    .action(async (sources: string[], flags: IngestFlags, command: Command) => {
      const global = command.optsWithGlobals<GlobalFlags>();
      // Loaded here: ingest brings the schema, parsers and correlator, which no query needs at start-up.
      const { runIngest } = await import('./ingest/run-ingest.js');
      const summary = await runIngest(sources, { ...flags, ...(global.db !== undefined ? { db: global.db } : {}) }, { stderr: { write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true } });
      if (flags.json) json(summary);
      process.exitCode = summary.failed > 0 ? EXIT.failed : EXIT.ok;
    });

  program
    .command('snapshots')
    .description('List the snapshots in the database, oldest first within each host')
    .addOption(new Option('--host <name>', 'only this host\'s snapshots'))
    .addOption(jsonOption())
    .addHelpText('after', '\nJSON: {"snapshots":[{"id","host","takenAt","tags","bootId","namespaces","gaps"}]}\n\nExample:\n  nsnap snapshots --host web-1\n')
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags>();
      withDatabase(flags, (db) => {
        const list = listSnapshots(db, flags.host ?? null);
        if (flags.json) json({ snapshots: list });
        else out(renderSnapshots(list));
      });
    });

  program
    .command('show')
    .description('Every namespace of a snapshot with its owners (processes, names, mounts, containers) and interfaces')
    .addOption(snapshotOption())
    .addOption(hostOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
JSON: {"snapshot":{"id","host","takenAt"},"namespaces":[{"netns","host","names","pids","containers",
       "interfaces":[{"ifname","ifindex","kind","mtu","operstate","master","address",…}],…}],"gaps":[…]}

Examples:
  nsnap show
  nsnap show --host web-1 --snapshot latest --json
  nsnap show --container 794e0b37 --interface 'eth*'   # one container's namespace, its eth devices
`,
    )
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags>();
      const filter = answerFilter(flags);
      withDatabase(flags, (db) => {
        const result = filterShow(showSnapshot(db, selectSnapshot(db, selectionOf(flags))), filter);
        if (flags.json) json(result);
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

JSON: {"snapshot":{…},"pairs":[{"a":{"netns","ifname","ifindex",…},"b":{…},"method"}],
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
        if (flags.json) json(result);
        else out(renderPeers(result));
      });
    });

  program
    .command('graph')
    .description('The topology of a snapshot as a Graphviz graph: namespaces as clusters, bridges, veth pairs, lower devices')
    .addOption(snapshotOption())
    .addOption(hostOption())
    .addOption(new Option('--format <format>', 'output format').choices(['dot']).default('dot'))
    .addHelpText('after', '\nExample:\n  nsnap graph --format dot | dot -Tsvg > netns.svg\n')
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags>();
      const filter = answerFilter(flags);
      withDatabase(flags, (db) => {
        const snap = selectSnapshot(db, selectionOf(flags));
        const { show, peers } = filterGraph(showSnapshot(db, snap), peersOf(db, snap), filter);
        out(renderDot(show, peers));
      });
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

JSON: {"from":{"id","host","takenAt","bootId"},"to":{…},"sameBoot",
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
        if (flags.json) json(diff);
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
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Every snapshot is read once and compared with the previous one, by the rules of nsnap diff. A namespace
a snapshot could not capture or read marks that step [gap]; the next snapshot that captures it is compared
with the last one that did. Bound long histories with --since/--until; progress goes to stderr every 2 s.

Output line:
  2026-11-29T10:10:00.000Z  01937c1e-…  +1 namespaces, +3 -1 ~1 interfaces, +1 veth pairs

JSON: {"host","snapshots":N,"first":{snapshot},"steps":[{"from":{…},"to":{…},"sameBoot","counts":{"namespaces":{"added","removed","changed","uncertain"},
       "interfaces":{…},"pairs":{"added","removed"}},"gap":{"uncaptured","unreadable"},"carried":[{"netns","since"}],
       "diff":{as nsnap diff --json, with -v}}]}

Examples:
  nsnap history --host web-1 --since 2026-11-29T00:00Z --until 2026-11-29T06:00Z
  nsnap history --host web-1 -v --since 2026-11-29T03:00Z | less
  nsnap history --host web-1 --json | jq '.steps[] | select(.counts.pairs.removed > 0) | .to.takenAt'
`,
    )
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags & { since?: string; until?: string; verbose: boolean }>();
      const filter = answerFilter(flags);
      const since = flags.since !== undefined ? parseTime(flags.since, '--since', undefined, 'since') : null;
      const until = flags.until !== undefined ? parseTime(flags.until, '--until', undefined, 'until') : null;
      withDatabase(flags, (db) => {
        const range = historyRange(db, flags.host ?? null, since, until);
        const total = range.snapshots.length;
        const first = range.snapshots[0];
        if (!flags.json) out(first ? historyBaseline({ ...first, host: range.host }, total) : `history of ${range.host}: no snapshots in that range\n`);
        const steps: unknown[] = [];
        let last = performance.now();
        // A filter needs every step's diff and owners, to keep only what it asks about.
        const walk = { verbose: flags.verbose || filter !== null, withOwners: (flags.verbose && !flags.json) || filter !== null };
        walkHistory(db, range.snapshots, walk, (whole, owners, done) => {
          const step = filterHistoryStep(whole, owners, filter, flags.verbose);
          if (flags.json) steps.push(step);
          else out(historyLine(step, owners));
          const now = performance.now();
          if (now - last >= HISTORY_PROGRESS_EVERY_MS && done < total - 1) {
            last = now;
            log(`history: ${done + 1}/${total} snapshots compared…`);
          }
        });
        if (flags.json) json({ host: range.host, snapshots: total, first: first ? { id: first.id, host: first.host, takenAt: first.takenAt, bootId: first.bootId } : null, steps });
      });
    });

  program
    .command('whois')
    .description('Who held an address, an interface name, a namespace, a container or a pid at a given time: namespace, processes, containers, veth peer, master')
    .argument('<what>', 'an IPv4/IPv6 address (with or without /LEN), an interface name, a pid, a netns inode, a container id (prefix); or if:NAME, pid:N, netns:N, container:ID')
    .option('--at <time>', 'answer from the snapshot in force at this time (2026-11-29T10:00Z, UTC without a zone, a UTC day, now, an age 36h) (default: the latest)')
    .addOption(hostOption())
    .option('--all', 'for an interface name or an address: every period one owner held it, over all snapshots of the host', false)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A number above 4194304 (the largest pid_max) is a netns inode, a smaller one a pid. A bare hex word is
tried both as an interface name and as a container id prefix. An address matches every interface holding
it (all of them: one address in two namespaces is two matches), in any spelling (fe80::1 = fe80:0:0::1);
with /LEN only when held with that length. The answer names the snapshot it comes from
and how old that snapshot was at the time asked. Exit code 1 when nothing matches.

Output:
  veth4a67fcf #21 veth, master docker0 ⇄ eth0 #2 (netns 4026532701, pid 1557 sleep, container d0b3604b67ac)
    in host

JSON: {"query","at","snapshot":{"id","host","takenAt","bootId","ageSeconds"},
       "matches":[{"matchedBy","address","netns","host","names","pids","processes","containers","ifname","ifindex","kind","master",
                   "peer":{"netns","ifname","ifindex","host","names","pids","containers"},"unpaired",
                   "lower":{"device":{…},"method","detail"},"interfaces"}]}
  with --all: {"query","host","periods":[{"first":{"id","takenAt"},"last":{…},"snapshots","gaps","uncertain","bootId","netns","ifindex","match":{…}}]}

Examples:
  nsnap whois veth4a67fcf --at 2026-11-29T03:12Z --host web-1
  nsnap whois veth4a67fcf --all --host web-1
  nsnap whois 10.42.3.17 --at 2026-11-29T03:12Z --host web-1   # who had that address then
  nsnap whois fd00::5/64 --all --host web-1
  nsnap whois 1557                         # the namespace of pid 1557, its interfaces and peers
  nsnap whois d0b3604b67ac --json | jq '.matches[].interfaces[].peer'
`,
    )
    .action((what: string, _flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags & FilterFlags & { at?: string; all: boolean }>();
      const at = flags.at !== undefined ? parseTime(flags.at, '--at') : null;
      if (flags.all && at !== null) throw new UsageError('--all lists every period over time; it does not take --at');
      const filter = answerFilter(flags);
      if (flags.all && filter !== null) throw new UsageError('--all lists every owner the name had; it does not take --netns, --container, --pod or --interface');
      withDatabase(flags, (db) => {
        if (flags.all) {
          const history = whoisAll(db, what, flags.host ?? null, (done, total) => log(`whois --all: ${done}/${total} snapshots read…`));
          if (flags.json) json(history);
          else out(renderWhoisHistory(history));
          process.exitCode = history.periods.length > 0 ? EXIT.ok : EXIT.failed;
          return;
        }
        const result = filterWhois(whoisAt(db, what, { at, host: flags.host ?? null }), filter);
        if (flags.json) json(result);
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

JSON: {"snapshot":{"id","host","takenAt","bootId"},"findings":[{"kind","subject","detail","netns","ifname","addresses"}]}

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
        if (flags.json) json(result);
        else out(renderCheck(result, owners));
        process.exitCode = result.findings.length > 0 ? EXIT.failed : EXIT.ok;
      });
    });

  const removal = (command: Command) =>
    command
      .addOption(hostOption())
      .option('-n, --dry-run', 'list the snapshots that would be removed, and remove nothing', false)
      .addOption(jsonOption());
  const remove = (flags: GlobalFlags & { json: boolean; dryRun: boolean }, choose: (db: Database) => SnapshotRef[]) => {
    const db = openDatabase(flags.db ?? defaultDbPath(), { mustExist: true });
    try {
      const chosen = choose(db);
      if (!flags.dryRun) forgetSnapshots(db, chosen);
      if (flags.json) json({ dryRun: flags.dryRun, removed: chosen.map(({ id, host, takenAt }) => ({ id, host, takenAt })) });
      else out(renderForgotten(chosen, flags.dryRun));
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
