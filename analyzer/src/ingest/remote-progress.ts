import type { StoreCounters } from './remote-ingest.js';

export interface ProgressSink {
  /** Where the display goes (stderr). */
  write(text: string): void;
  /** A terminal gets a bar redrawn in place; anything else gets a plain line now and then. */
  isTTY: boolean;
}

const BAR_WIDTH = 24;
const TTY_EVERY_MS = 100;
const LINE_EVERY_MS = 2000;

const fmtBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} B`);

/** `1100 listed (2 pages) · 300 already in · 512/800 read · 2 failed · 85/s` */
export function progressText(c: Readonly<StoreCounters>, elapsedMs: number): string {
  const handled = c.ingested + c.skipped + c.failed;
  const wanted = c.listed - c.foreign - c.outOfRange - c.known;
  const rate = elapsedMs > 0 ? (handled * 1000) / elapsedMs : 0;
  const parts = [
    `${c.listed} listed (${c.pages} page${c.pages === 1 ? '' : 's'}${c.listingDone ? '' : ', listing…'})`,
    `${c.known} already in`,
    `${handled}/${wanted} read (${fmtBytes(c.downloadedBytes)})`,
    `${c.ingested} ingested`,
  ];
  if (c.skipped > 0) parts.push(`${c.skipped} known content`);
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  if (c.foreign > 0) parts.push(`${c.foreign} foreign`);
  parts.push(`${rate.toFixed(rate < 10 ? 1 : 0)}/s`);
  return parts.join(' · ');
}

/**
 * Progress of a store ingest on stderr: on a terminal one bar redrawn in
 * place (at most every 100 ms), otherwise a plain line every 2 s. Messages
 * (failures, foreign keys) go through `message` so they never land inside the bar.
 */
export function storeProgress(sink: ProgressSink, label: string) {
  const started = performance.now();
  let last = -Infinity;
  let shown = false;
  let latest: Readonly<StoreCounters> | null = null;
  const clear = () => {
    if (shown) sink.write('\r\x1b[K');
    shown = false;
  };
  const draw = (c: Readonly<StoreCounters>) => {
    const handled = c.ingested + c.skipped + c.failed;
    const wanted = c.listed - c.foreign - c.outOfRange - c.known;
    const filled = wanted > 0 ? Math.round((handled / wanted) * BAR_WIDTH) : 0;
    const bar = c.listingDone ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` : '';
    sink.write(`\r\x1b[K${bar}${progressText(c, performance.now() - started)}`);
    shown = true;
  };
  return {
    update(c: Readonly<StoreCounters>) {
      latest = c;
      const now = performance.now();
      if (now - last < (sink.isTTY ? TTY_EVERY_MS : LINE_EVERY_MS)) return;
      last = now;
      if (sink.isTTY) draw(c);
      else sink.write(`nsnap: ${label}: ${progressText(c, now - started)}\n`);
    },
    message(line: string) {
      clear();
      sink.write(`${line}\n`);
      if (sink.isTTY && latest) draw(latest);
    },
    /** Removes the bar; the caller prints the summary. */
    end() {
      clear();
    },
  };
}
