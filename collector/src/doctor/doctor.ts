import { LocalStore } from '@nsnap/shared/core';
import type { Runner } from '../exec/run.js';
import { openDestination, type DestinationOptions } from '../store/destination.js';
import { pseudoFilesystemProblem } from '../store/local-root.js';
import { describeOtherSpool, waitingElsewhere } from '../store/spool-root.js';
import type { Check } from './check.js';
import { namespaceChecks } from './namespaces.js';
import { privilegeChecks } from './privileges.js';
import { spoolCheck } from './spool-state.js';
import { storeCheck } from './store-round-trip.js';
import { toolChecks } from './tools.js';

export interface DoctorOptions extends Omit<DestinationOptions, 'lock'> {
  procRoot: string;
  namedDirs: string[];
  bindDirs: string[];
  run: Runner;
  timeoutMs: number;
  /** Names the probe object in the store, like the host label names bundles. */
  hostLabel: string;
  uid: number;
}

/**
 * Preflight of a collector run on this host, in the order a run needs things:
 * privileges, tools, namespaces, the store, the spool. Every check runs even
 * after a failure, so one report shows everything to fix.
 */
export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [
    ...privilegeChecks(options.procRoot, options.uid),
    ...(await toolChecks(options.run, options.timeoutMs)),
    ...(await namespaceChecks(options)),
  ];
  let destination;
  try {
    destination = await openDestination(options);
  } catch (error) {
    checks.push({ name: 'store', status: 'fail', detail: `cannot open ${JSON.stringify(options.out.slice(0, 200))}: ${(error as Error).message}` });
    return checks;
  }
  // The round trip's mkdir below /proc would never return: such a store is reported, not tried.
  const pseudo = destination.store instanceof LocalStore ? await pseudoFilesystemProblem(destination.store.root) : null;
  checks.push(pseudo !== null ? { name: 'store', status: 'fail', detail: `cannot use ${destination.store.url}: ${pseudo}` } : await storeCheck(destination.store, options.hostLabel));
  checks.push(await spoolCheck(destination.spool));
  const others = await waitingElsewhere(destination.spoolRoot, destination.spool.dir);
  if (others.length > 0) checks.push({ name: 'other spools', status: 'warn', detail: others.map(describeOtherSpool).join('; ') });
  return checks;
}
