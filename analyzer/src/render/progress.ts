import { escapeControl } from '@nsnap/shared/text';

/**
 * The one progress display of long commands (ingest of files and stores, history), on stderr.
 * Live — one line redrawn in place, at most every 100 ms, cut to the terminal's width, erased
 * before the summary — only on a terminal that can take it; otherwise a plain log line every 2 s,
 * which a log file or CI keeps readable; nothing with --quiet or --progress never.
 */

/** Where progress goes: stderr, or a stand-in with the same three properties in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  /** The terminal's width; 0 or unknown on a terminal means no progress (a line could not be cut to fit). */
  columns?: number | undefined;
}

export const PROGRESS_MODES = ['auto', 'always', 'never'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export type ProgressStyle = { kind: 'off' } | { kind: 'log' } | { kind: 'live'; width: number };

/** The width `--progress always` assumes where neither the stream nor $COLUMNS says (not a terminal). */
const DEFAULT_COLUMNS = 80;
export const LIVE_EVERY_MS = 100;
export const LOG_EVERY_MS = 2000;

/**
 * How progress is shown. `auto` draws a live line only when stderr is a terminal, stdout is not a
 * pipe (a pager or a script reads it, and shares the terminal), `CI` is not set and `TERM` is not
 * dumb; `always` draws it wherever stderr goes; --quiet, `never` and a terminal of 0 columns show nothing.
 */
export function progressStyle(stream: ProgressStream, options: { mode: ProgressMode; quiet: boolean; stdoutIsPipe: boolean; env: Record<string, string | undefined> }): ProgressStyle {
  if (options.quiet || options.mode === 'never') return { kind: 'off' };
  // Not a terminal (--progress always into a file or pipe): $COLUMNS if set, as shells export it.
  const declared = Number(options.env.COLUMNS);
  const columns = stream.columns ?? (stream.isTTY ? 0 : Number.isInteger(declared) && options.env.COLUMNS !== '' ? declared : DEFAULT_COLUMNS);
  if (columns <= 0) return { kind: 'off' };
  if (options.mode === 'always') return { kind: 'live', width: columns };
  const terminal = stream.isTTY === true && !options.stdoutIsPipe && !options.env.CI && options.env.TERM !== 'dumb';
  return terminal ? { kind: 'live', width: columns } : { kind: 'log' };
}

/** A line that fits `width` columns once escaped, with room for the cursor: cut with "…" when longer. */
export function fitLine(raw: string, width: number): string {
  const text = escapeControl(raw);
  const room = Math.max(0, width - 1);
  const chars = [...text];
  return chars.length <= room ? text : `${chars.slice(0, Math.max(0, room - 1)).join('')}…`;
}

export interface Progress {
  /** How far it got: `text(live)` is called only when something is drawn (live: a line redrawn in place). */
  update(text: (live: boolean) => string): void;
  /** A line that stays (a failure, a verbose line): never drawn inside the progress line. */
  message(line: string): void;
  /** Erases the live line: call before the summary. */
  end(): void;
}

const ERASE = '\r\x1b[K';

/**
 * The display for one long command; `label` prefixes log lines ("nsnap: LABEL: …"). A log line comes
 * every 2 s, the first one 2 s after the start (a short run logs nothing) unless `logAtOnce`.
 */
export function startProgress(stream: ProgressStream, style: ProgressStyle, label: string | null, options: { logAtOnce?: boolean; now?: () => number } = {}): Progress {
  const now = options.now ?? (() => performance.now());
  let last = style.kind === 'log' && !options.logAtOnce ? now() : -Infinity;
  let shown = false;
  let latest: ((live: boolean) => string) | null = null;
  const draw = () => {
    if (style.kind !== 'live' || !latest) return;
    stream.write(`${ERASE}${fitLine(latest(true), style.width)}`);
    shown = true;
  };
  const erase = () => {
    if (shown) stream.write(ERASE);
    shown = false;
  };
  return {
    update(text) {
      if (style.kind === 'off') return;
      latest = text;
      const t = now();
      if (t - last < (style.kind === 'live' ? LIVE_EVERY_MS : LOG_EVERY_MS)) return;
      last = t;
      if (style.kind === 'live') draw();
      else stream.write(`nsnap: ${escapeControl(label === null ? text(false) : `${label}: ${text(false)}`)}\n`);
    },
    message(line) {
      erase();
      stream.write(`${line}\n`);
      draw();
    },
    end: erase,
  };
}
