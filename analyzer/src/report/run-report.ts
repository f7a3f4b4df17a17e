import { readFileSync, writeFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { quote, UsageError } from '../errors.js';
import { parseTime } from '../query/select.js';
import { reportData, type ReportScope } from './data.js';
import { reportHtml } from './html.js';

export interface ReportFlags {
  snapshot?: string;
  from?: string;
  to?: string;
  since?: string;
  until?: string;
  host?: string;
  out: string;
}

/** The scope the flags ask for: one of --snapshot, --from/--to, --since/--until (the latest snapshot without any). */
export function reportScope(flags: ReportFlags): ReportScope {
  const host = flags.host ?? null;
  const pair = flags.from !== undefined || flags.to !== undefined;
  const range = flags.since !== undefined || flags.until !== undefined;
  if ([flags.snapshot !== undefined, pair, range].filter(Boolean).length > 1) throw new UsageError('give one of --snapshot, --from/--to, --since/--until');
  if (pair) {
    if (flags.from === undefined) throw new UsageError('--to needs --from: the earlier snapshot of the diff');
    return { kind: 'diff', from: flags.from, to: flags.to ?? 'latest', host };
  }
  if (range) {
    return {
      kind: 'range',
      since: flags.since !== undefined ? parseTime(flags.since, '--since', undefined, 'since') : null,
      until: flags.until !== undefined ? parseTime(flags.until, '--until', undefined, 'until') : null,
      host,
    };
  }
  return { kind: 'snapshot', snapshot: flags.snapshot ?? 'latest', host };
}

/**
 * The page's script (ui/ with cytoscape, ~0.6 MB), bundled by build.mjs next to the CLI bundle:
 * read only when a report is written, so no other command loads or parses it.
 */
function pageScript(): string {
  // From the CLI bundle (dist/), tsc's output (dist/report/) or the sources (src/report/).
  const candidates = ['./nsnap-report.js', '../nsnap-report.js', '../../dist/nsnap-report.js'].map((p) => new URL(p, import.meta.url));
  for (const url of candidates) {
    try {
      return readFileSync(url, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`the report page script is missing (looked for ${candidates.map((u) => u.pathname).join(', ')}): run node analyzer/build.mjs`);
}

/** Writes the report; returns its size in bytes. */
export function writeReport(db: Database, flags: ReportFlags): number {
  const html = reportHtml(reportData(db, reportScope(flags)), pageScript());
  try {
    writeFileSync(flags.out, html);
  } catch (error) {
    // The path is the user's: a directory that does not exist or cannot be written is theirs to fix.
    throw new UsageError(`cannot write the report to ${quote(flags.out)}: ${(error as Error).message}`);
  }
  return Buffer.byteLength(html);
}
