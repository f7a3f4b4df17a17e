import { parentPort, workerData } from 'node:worker_threads';
import { readRegularFile } from '@nsnap/shared';
import { prepareBundle } from './prepare-bundle.js';
import type { PreparedMessage, WorkerInput } from './prepare-pipeline.js';

/** The worker thread of prepare-pipeline.ts: prepares each file in order, never more than it was granted ahead. */
async function prepareAll(port: NonNullable<typeof parentPort>, { files, known, readAhead }: WorkerInput): Promise<void> {
  const knownSet = new Set(known);
  let granted = readAhead;
  let wake: (() => void) | null = null;
  port.on('message', (grant: number) => {
    granted = grant;
    wake?.();
    wake = null;
  });
  for (let i = 0; i < files.length; i++) {
    while (i >= granted) await new Promise<void>((resolve) => (wake = resolve));
    const t0 = performance.now();
    const value = prepareBundle(() => readRegularFile(files[i] as string), (sha) => knownSet.has(sha));
    const message: PreparedMessage = { value, ms: performance.now() - t0 };
    port.postMessage(message);
  }
  port.close();
}

if (parentPort) void prepareAll(parentPort, workerData as WorkerInput);
