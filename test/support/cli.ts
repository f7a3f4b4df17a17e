import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const COLLECTOR_BIN = path.join(ROOT, 'collector/dist/bin.js');
/** The single-file build (`collector/build.mjs`) that goes onto hosts. */
export const COLLECTOR_BUNDLE = path.join(ROOT, 'collector/dist/nsnap-collect.mjs');
/** What `nsnap` runs: the launcher of the bundled CLI (`analyzer/build.mjs`). */
export const ANALYZER_BIN = path.join(ROOT, 'analyzer/dist/nsnap.cjs');

/** Runs a built CLI the way a user does: `node <bin> args…`; never rejects, the result carries the exit code. */
export function runCli(bin: string, args: string[], options: Options = {}) {
  return execa(process.execPath, [bin, ...args], { reject: false, ...options });
}
