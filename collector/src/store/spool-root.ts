import { promises as fs } from 'node:fs';
import path from 'node:path';
import { escapeControl } from '@nsnap/shared/core';
import { Spool, SpoolEntryError } from './spool.js';

/** A destination's spool other than the run's own, with bundles waiting in it. */
export interface OtherSpool {
  dir: string;
  /** The store it waits for, as its spool recorded it; null for a spool made before the record was kept. */
  destination: string | null;
  waiting: number;
}

/**
 * Spools below the root that hold bundles, other than `ownDir`: bundles for
 * a destination no run now names (a changed --out, a mistyped one) wait there
 * for ever unless someone is told.
 */
export async function waitingElsewhere(spoolRoot: string, ownDir: string): Promise<OtherSpool[]> {
  let names: import('node:fs').Dirent[];
  try {
    names = await fs.readdir(spoolRoot, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: OtherSpool[] = [];
  for (const e of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const dir = path.join(spoolRoot, e.name);
    if (!e.isDirectory() || dir === ownDir) continue;
    const spool = new Spool(dir, Number.MAX_SAFE_INTEGER);
    const waiting = (await spool.entries().catch(() => [])).filter((x) => !(x instanceof SpoolEntryError)).length;
    if (waiting > 0) out.push({ dir, destination: await spool.destination(), waiting });
  }
  return out;
}

/** One line per other spool: what waits, for which store, and what sends it. */
export function describeOtherSpool(other: OtherSpool): string {
  const n = `${other.waiting} bundle${other.waiting === 1 ? ' waits' : 's wait'}`;
  // The record is a file anyone with access to the spool can edit: shown escaped.
  const store = other.destination === null ? `a destination not recorded there (${other.dir})` : `${escapeControl(other.destination)} (${other.dir})`;
  return `${n} in the spool for ${store}: a run with that --out sends ${other.waiting === 1 ? 'it' : 'them'}`;
}

/**
 * Moves the entries of a spool keyed the old way into the destination's
 * spool, so the run sends them; the emptied directory is removed. Entries
 * are renamed, never copied, so none is sent twice or lost half-way.
 */
export async function adoptSpool(from: string, into: Spool): Promise<number> {
  if (from === into.dir) return 0;
  let names: string[];
  try {
    names = await fs.readdir(from);
  } catch {
    return 0;
  }
  const entries = names.filter((n) => n.endsWith('.spool'));
  if (entries.length === 0) return 0;
  await fs.mkdir(into.dir, { recursive: true, mode: 0o700 });
  let moved = 0;
  for (const name of entries) {
    await fs.rename(path.join(from, name), path.join(into.dir, name));
    moved++;
  }
  await fs.rmdir(from).catch(() => {});
  return moved;
}
