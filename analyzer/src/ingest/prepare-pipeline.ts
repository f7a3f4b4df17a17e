import { Worker } from 'node:worker_threads';
import { readRegularFile } from '@nsnap/shared';
import { prepareBundle, type Prepared } from './prepare-bundle.js';

/** What the worker (prepare-worker.ts) is given. */
export interface WorkerInput {
  files: string[];
  /** Content hashes the database held when the run began: those bundles are not parsed. */
  known: string[];
  /** How many bundles it may prepare before the first is taken. */
  readAhead: number;
}

/** One bundle as the worker prepared it, in file order, and the time that took. */
export interface PreparedMessage {
  value: Prepared;
  ms: number;
}

/**
 * Below this many bundles a run stays on one thread: starting the worker (loading its code) took
 * ~100 ms to its first outcome, and each bundle of 100 namespaces saves ~15 ms (bench/analyzer.mjs).
 */
export const PIPELINE_MIN_FILES = 8;

/**
 * Bundles prepared ahead of the one being written: enough to keep the worker busy while a commit
 * runs, few enough that memory stays a few bundles' worth (a bundle's facts are ~10× its gzip bytes).
 */
const READ_AHEAD = 4;

export interface PreparedStream {
  /** The next file's bundle, in the order given. */
  next(): Promise<PreparedMessage>;
  /** How many the worker prepared (the others, after a failure of the worker, this thread). */
  readonly fromWorker: number;
  close(): Promise<void>;
}

/**
 * Prepares `files` in order on a worker thread, at most READ_AHEAD ahead of `next()`. Should the
 * worker fail (it never should: `prepareBundle` turns every bad bundle into an outcome), the bundles
 * it did not hand over are prepared on this thread instead, with the same results.
 */
export function preparedInWorker(files: string[], known: string[]): PreparedStream {
  const input: WorkerInput = { files, known, readAhead: READ_AHEAD };
  const { url, execArgv } = workerCode();
  const worker = new Worker(url, { workerData: input, ...(execArgv ? { execArgv } : {}) });
  const received: PreparedMessage[] = [];
  let waiting: ((m: PreparedMessage | null) => void) | null = null;
  let stopped = false;
  let taken = 0;
  let fromWorker = 0;
  const knownSet = new Set(known);
  const stop = () => {
    stopped = true;
    waiting?.(null);
    waiting = null;
  };
  worker.on('message', (m: PreparedMessage) => {
    if (waiting) {
      waiting(m);
      waiting = null;
    } else received.push(m);
  });
  worker.on('error', stop);
  worker.on('exit', stop);

  return {
    async next() {
      const i = taken++;
      const m = received.shift() ?? (stopped ? null : await new Promise<PreparedMessage | null>((resolve) => (waiting = resolve)));
      if (m) {
        fromWorker += 1;
        worker.postMessage(taken + READ_AHEAD);
        return m;
      }
      const t0 = performance.now();
      const value = prepareBundle(() => readRegularFile(files[i] as string), (sha) => knownSet.has(sha));
      return { value, ms: performance.now() - t0 };
    },
    get fromWorker() {
      return fromWorker;
    },
    async close() {
      await worker.terminate();
    },
  };
}

/**
 * The worker's code: tsc's output runs the module beside this one; the CLI bundle (build.mjs) has
 * its own bundle of it beside itself; vitest runs the sources, whose worker comes from tsc's output
 * without vitest's `--conditions source` (with it, the worker would load the shared package's TypeScript).
 */
function workerCode(): { url: URL; execArgv?: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.cjs')) return { url: new URL('./nsnap-ingest-worker.cjs', here) };
  if (here.endsWith('.ts')) return { url: new URL('../../dist/ingest/prepare-worker.js', here), execArgv: [] };
  return { url: new URL('./prepare-worker.js', here) };
}
