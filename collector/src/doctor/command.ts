import os from 'node:os';
import type { Command } from 'commander';
import { sanitizeHostLabel } from '@nsnap/shared/core';
import { BIND_NETNS_DIRS, NAMED_NETNS_DIRS } from '../collect.js';
import { runCommand } from '../exec/run.js';
import { destinationOptionsFrom, type StoreFlags } from '../store/destination.js';
import { COLLECTOR_VERSION } from '../version.js';
import { doctorExitCode, type CheckStatus } from './check.js';
import { runDoctor } from './doctor.js';
import { renderJson, renderText } from './render.js';

/** Doctor's own `--json` plus the program's store flags, which commander reads anywhere on the line. */
interface DoctorFlags extends StoreFlags {
  timeout: number;
  host?: string;
  json: boolean;
}

const STATUS_HELP: Record<CheckStatus, string> = {
  ok: 'as a collector run needs it',
  warn: 'a run works but captures or keeps less than it could',
  fail: 'a run here would miss namespaces or lose bundles',
};

/**
 * `nsnap-collect doctor`: checks the destination a collector run with the
 * same flags (`--out`, `--s3-*`, `--spool`, `--spool-max-bytes`, `--timeout`,
 * `--host`) would use, so a deployment's exact command line can be checked.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check that a collector run can work on this host, without taking a snapshot: root and capabilities, ' +
        'ip/nsenter/lsns and their versions, ip -j, which namespaces can be seen and opened (and why not), ' +
        'entering one with nsenter, a write/read/delete of a probe object under _doctor/ in the store, and the spool.',
    )
    .option('--json', 'print the checks as one JSON document instead of lines', false)
    .addHelpText(
      'after',
      `
Also takes nsnap-collect's --out, --s3-endpoint, --s3-region, --s3-force-path-style, --spool,
--spool-max-bytes, --timeout and --host: give it the flags of the run to check.

Output:
  One line per check on stdout, "<status> <name>: <detail>", or with --json
  {"tool","version","status","checks":[{"name","status","detail"}]}.
${Object.entries(STATUS_HELP)
  .map(([status, meaning]) => `  ${status.padEnd(5)}${meaning}`)
  .join('\n')}

Exit codes:
  0  no check failed (warnings allowed)
  1  at least one check failed
  2  usage error: a bad flag or value`,
    )
    .action(async (_options: unknown, command: Command) => {
      const flags = command.optsWithGlobals<DoctorFlags>();
      const { lock: _lock, ...store } = destinationOptionsFrom(flags);
      const checks = await runDoctor({
        ...store,
        procRoot: '/proc',
        namedDirs: NAMED_NETNS_DIRS,
        bindDirs: BIND_NETNS_DIRS,
        run: runCommand,
        timeoutMs: Math.round(flags.timeout * 1000),
        hostLabel: sanitizeHostLabel(flags.host ?? os.hostname()),
        uid: process.getuid?.() ?? -1,
      });
      process.stdout.write(flags.json ? renderJson(checks, COLLECTOR_VERSION) : renderText(checks));
      process.exitCode = doctorExitCode(checks);
    });
}
