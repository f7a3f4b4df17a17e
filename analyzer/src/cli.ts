import type { Database } from 'better-sqlite3';
import { Command, CommanderError, Option } from 'commander';
import { defaultDbPath, openDatabase } from './db/open.js';
import { DatabaseError, EXIT, EXIT_CODES_HELP, UsageError } from './errors.js';
import { runIngest, DEFAULT_CONCURRENCY, type IngestFlags } from './ingest/run-ingest.js';
import { peersOf } from './query/peers.js';
import { selectSnapshot, type Selection } from './query/select.js';
import { showSnapshot } from './query/show.js';
import { listSnapshots } from './query/snapshots.js';
import { renderDot } from './render/dot.js';
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

const out = (text: string) => process.stdout.write(text);
const log = (message: string) => process.stderr.write(`nsnap: ${message}\n`);
const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);

function withDatabase<T>(flags: GlobalFlags, mustExist: boolean, use: (db: Database) => T): T {
  const db = openDatabase(flags.db ?? defaultDbPath(), { mustExist });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

const selectionOf = (flags: QueryFlags): Selection => ({ snapshot: flags.snapshot, host: flags.host ?? null });

const snapshotOption = () => new Option('-s, --snapshot <sel>', 'which snapshot: "latest", a snapshot id or a unique prefix of one').default('latest');
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
    .option('--since <time>', 'store URLs: only bundles taken at or after this UTC day, time with zone, or age (2026-11-29, 2026-11-29T10:00:00Z, 36h, 7d)')
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
still go in; the exit code is then 1. Every attempt is recorded in the ingest_log table.

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
      withDatabase(flags, true, (db) => {
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
`,
    )
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags>();
      withDatabase(flags, true, (db) => {
        const result = showSnapshot(db, selectSnapshot(db, selectionOf(flags)));
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
unique-candidate, nsid-consistency, same-netns. What link data cannot decide is never guessed: an
"ambiguous" veth lists its candidates; a "dangling" one says why its peer was not found.

Output line:
  veth4a67fcf #21 (host, master docker0) ⇄ eth0 #20 (netns 4026532701, pid 1557 sleep, container 794e0b37a9c6)  [nsid-map]

JSON: {"snapshot":{…},"pairs":[{"a":{"netns","ifname","ifindex",…},"b":{…},"method"}],
       "unpaired":[{"netns","ifname","ifindex","reason","detail","candidates"}],"lowers":[…],"gaps":[…]}

Examples:
  nsnap peers
  nsnap peers --json | jq -r '.pairs[] | select(.a.ifname == "veth4a67fcf") | .b.owner.containers[].id'
`,
    )
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<QueryFlags>();
      withDatabase(flags, true, (db) => {
        const result = peersOf(db, selectSnapshot(db, selectionOf(flags)));
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
      const flags = command.optsWithGlobals<QueryFlags>();
      withDatabase(flags, true, (db) => {
        const snap = selectSnapshot(db, selectionOf(flags));
        out(renderDot(showSnapshot(db, snap), peersOf(db, snap)));
      });
    });

  return program;
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
    log(`internal error: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = EXIT.failed;
  }
}
