import { readFileSync, writeFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { quote, UsageError } from '../errors.js';
import { parseTime } from '../query/select.js';
import type { ReportAnswer } from '../answer/report.js';
import { ANSWER_VERSIONS } from '../answer/version.js';
import { reportData, type ReportScope } from './data.js';
import { reportHtml } from './html.js';
import type { ReportData, TimelineLimits } from './model.js';
import { TIMELINE_LIMITS, type ReportTick } from './timeline.js';

export interface ReportFlags {
  snapshot?: string;
  from?: string;
  to?: string;
  since?: string;
  until?: string;
  host?: string;
  out: string;
  /** A timeline draws at most this many snapshots, the latest of the range (at most the default). */
  maxSnapshots?: string;
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

/** The timeline's limits, with --max-snapshots (which may only lower the default: the file stays bounded). */
export function reportLimits(flags: Pick<ReportFlags, 'maxSnapshots'>): TimelineLimits {
  if (flags.maxSnapshots === undefined) return TIMELINE_LIMITS;
  const n = /^\d{1,7}$/.test(flags.maxSnapshots) ? Number(flags.maxSnapshots) : NaN;
  if (!(n >= 1 && n <= TIMELINE_LIMITS.snapshots)) throw new UsageError(`--max-snapshots ${quote(flags.maxSnapshots)}: expected a number from 1 to ${TIMELINE_LIMITS.snapshots}`);
  return { ...TIMELINE_LIMITS, snapshots: n };
}

/** What `--json` states about a report written: its size and what its timeline left out. */
function answerOf(data: ReportData, scope: ReportScope, out: string, bytes: number): ReportAnswer {
  const t = data.timeline;
  const bars = (kind: string) => t?.bars.filter((b) => b.kind === kind).length ?? 0;
  return {
    answerVersion: ANSWER_VERSIONS.report,
    out,
    bytes,
    kind: scope.kind,
    timeline: t ? { rangeSnapshots: t.rangeSnapshots, snapshots: t.snapshots.length, bars: { namespace: bars('namespace'), pair: bars('pair'), device: bars('device') }, limits: t.limits, omitted: t.omitted } : null,
  };
}

/** Writes the report; returns what `--json` prints. `tick` hears what a long timeline is doing. */
export function writeReport(db: Database, flags: ReportFlags, tick?: ReportTick): ReportAnswer {
  const scope = reportScope(flags);
  const data = reportData(db, scope, reportLimits(flags), tick);
  const html = reportHtml(data, pageScript());
  try {
    writeFileSync(flags.out, html);
  } catch (error) {
    // The path is the user's: a directory that does not exist or cannot be written is theirs to fix.
    throw new UsageError(`cannot write the report to ${quote(flags.out)}: ${(error as Error).message}`);
  }
  return answerOf(data, scope, flags.out, Buffer.byteLength(html));
}
