import { closeSync, fstatSync, openSync } from 'node:fs';
import type { Capture, NamespaceCapture } from '@nsnap/shared';
import { mapPool } from '../exec/pool.js';
import type { Runner } from '../exec/run.js';
import { detailOf, reasonOf } from './errno.js';
import { namespaceCandidates, type Candidate } from './namespace-set.js';
import type { Probe, ProbeContext } from './probe.js';

/**
 * One exec per namespace prints links and addresses (`addr show` costs no
 * extra exec and almost no kernel time). `netns list-id` only in the host:
 * it opens every /run/netns entry to name nsids, so in every namespace it
 * would cost O(named²) — ~1.4 ms per namespace at 100 named ones, measured.
 * Other namespaces' maps are read only where pairing needs them (nsid-maps).
 */
export const BATCH_INPUT = 'link show\naddr show\n';
export const HOST_BATCH_INPUT = 'link show\naddr show\nnetns list-id\n';
const JSON_DUMP = ['ip', '-d', '-j', '-force', '-batch', '-'];
const TEXT_DUMP = ['ip', '-d', '-o', 'link', 'show'];
/** The child gets the namespace as fd 3: the handle was opened and checked by us, so no pid reuse can redirect it. */
export const NSENTER = ['nsenter', '--net=/proc/self/fd/3'];

export const namespaceLinks: Probe = {
  name: 'namespace-links',
  async run(ctx, draft) {
    const host = draft.hostNetns.inode;
    const hostCapture = await dump(ctx.run, ctx.timeoutMs, 'json', undefined, HOST_BATCH_INPUT);
    let hostFinal = hostCapture;
    if (hostCapture.failure?.reason === 'unsupported') {
      draft.dumpMode = 'text';
      ctx.log('ip -j is not supported here: capturing link dumps as text');
      hostFinal = await dump(ctx.run, ctx.timeoutMs, 'text', undefined);
    }
    const captures: NamespaceCapture[] = [];
    if (host !== null) {
      captures.push({ inode: host, isHost: true, entered: { via: 'self', path: '/proc/self/ns/net', pid: null }, attempts: [], captures: [hostFinal], failure: hostFinal.failure });
    }
    const candidates = namespaceCandidates(draft, ctx.procRoot);
    candidates.delete(host ?? -1);
    const inodes = [...candidates.keys()].sort((a, b) => a - b);
    const others = await mapPool(inodes, ctx.concurrency, (inode) => captureNamespace(ctx, inode, candidates.get(inode) ?? [], draft.dumpMode));
    captures.push(...others);
    for (const c of captures) {
      if (c.failure) draft.gaps.push({ probe: this.name, subject: `netns ${c.inode}`, reason: c.failure.reason, detail: c.failure.detail });
    }
    draft.namespaces = captures;
  },
};

function dump(run: Runner, timeoutMs: number, mode: 'json' | 'text', fd3: number | undefined, input = BATCH_INPUT): Promise<Capture> {
  const prefix = fd3 === undefined ? [] : NSENTER;
  if (mode === 'json') return run([...prefix, ...JSON_DUMP], { spec: 'ip_batch_json', input, timeoutMs, fd3 });
  return run([...prefix, ...TEXT_DUMP], { spec: 'ip_link_text', timeoutMs, fd3 });
}

/**
 * Opens a handle of the namespace, checks it still is that namespace, and
 * runs the dump inside it. A vanished or reused handle is noted and the next
 * one tried; a denied one ends the attempts (the others would be denied too).
 */
async function captureNamespace(ctx: ProbeContext, inode: number, candidates: Candidate[], mode: 'json' | 'text'): Promise<NamespaceCapture> {
  const attempts: NamespaceCapture['attempts'] = [];
  for (const candidate of candidates) {
    const opened = openNamespace(candidate.path, inode);
    if ('reason' in opened) {
      attempts.push({ path: candidate.path, reason: opened.reason, detail: opened.detail });
      if (opened.reason === 'denied') break;
      continue;
    }
    try {
      const capture = await dump(ctx.run, ctx.timeoutMs, mode, opened.fd);
      return { inode, isHost: false, entered: candidate, attempts, captures: [capture], failure: capture.failure };
    } finally {
      opened.close();
    }
  }
  const last = attempts.at(-1);
  return {
    inode,
    isHost: false,
    entered: null,
    attempts,
    captures: [],
    failure: { reason: last?.reason ?? 'failed', detail: last ? `${last.path}: ${last.detail}` : 'no handle leads to this namespace' },
  };
}

/**
 * Opens a namespace file and holds it, so the namespace cannot disappear or
 * be swapped during the capture. Synchronous: open and fstat of an nsfs file
 * take microseconds, less than a promise round trip.
 */
export function openNamespace(file: string, inode: number): { fd: number; close: () => void } | { reason: NamespaceCapture['attempts'][number]['reason']; detail: string } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    return { reason: reasonOf(error), detail: detailOf(error) };
  }
  let ino: number | null = null;
  try {
    ino = fstatSync(fd).ino;
  } catch {
    ino = null;
  }
  if (ino !== inode) {
    closeSync(fd);
    return { reason: 'mismatch', detail: `now leads to namespace ${ino ?? 'unknown'}, not ${inode}` };
  }
  return { fd, close: () => closeSync(fd) };
}
