import type { StoreCounters } from '../answer/ingest.js';

const BAR_WIDTH = 24;

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

/** The live line of a store ingest: a bar once the listing is done, then the counts (cut to the terminal by render/progress.ts). */
export function progressBar(c: Readonly<StoreCounters>, elapsedMs: number): string {
  const handled = c.ingested + c.skipped + c.failed;
  const wanted = c.listed - c.foreign - c.outOfRange - c.known;
  const filled = wanted > 0 ? Math.min(BAR_WIDTH, Math.round((handled / wanted) * BAR_WIDTH)) : 0;
  const bar = c.listingDone ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` : '';
  return `${bar}${progressText(c, elapsedMs)}`;
}
