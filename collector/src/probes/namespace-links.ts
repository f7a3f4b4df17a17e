import { closeSync, fstatSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { batchFamily, HOST_BATCH, IP6_BATCH_ARGV, IP_BATCH_ARGV, IP_LINK_TEXT_ARGV, NAMESPACE_BATCH, RULES6_BATCH, type Capture, type Gap, type NamespaceCapture } from '@nsnap/shared/core';
import { mapPool } from '../exec/pool.js';
import type { Runner } from '../exec/run.js';
import { bulkCapture, chooseEnterWay, NETNS_RUN_DIR, type EnterWay } from './bulk-capture.js';
import { mountPoints } from './netns-handles.js';
import { detailOf, reasonOf } from './errno.js';
import { namespaceCandidates, type Candidate } from './namespace-set.js';
import type { EnterChoice, Probe, ProbeContext } from './probe.js';

// One exec per namespace; what it runs is the spec table's (shared/src/specs/catalogue.ts).
/** The child gets the namespace as fd 3: the handle was opened and checked by us, so no pid reuse can redirect it. */
export const NSENTER = ['nsenter', '--net=/proc/self/fd/3'];

/** Below this many namespaces the bulk pass saves nothing worth its temp file. */
const BULK_MIN = 4;

/** A namespace to capture: the handles that lead to it and, once tried, the one that was opened. */
interface Entry {
  inode: number;
  candidates: Candidate[];
  /** The handle opened for the capture; null before, or when none could be. */
  candidate: Candidate | null;
  attempts: NamespaceCapture['attempts'];
}

export const namespaceLinks: Probe = {
  name: 'namespace-links',
  async run(ctx, found) {
    const host = found.hostNetns.inode;
    const gaps: Gap[] = [];
    let mode: 'json' | 'text' = 'json';
    const candidates = namespaceCandidates(found, ctx.procRoot);
    candidates.delete(host ?? -1);
    const entries: Entry[] = [...candidates.keys()]
      .sort((a, b) => a - b)
      .map((inode) => ({ inode, candidates: candidates.get(inode) ?? [], candidate: null, attempts: [] }));
    const parse = ctx.parse;
    // Started first: its one child works on the second core while the first chunk's handles are opened.
    const hostDump = dump(ctx.run, ctx.timeoutMs, 'json', undefined, HOST_BATCH).then((c) => {
      parse(c);
      return c;
    });
    // The host's IPv6 rules: one exec beside the host's dump (a batch line cannot carry -6).
    const hostRules6 = ctx.run([...IP6_BATCH_ARGV], { spec: 'ip_batch_json', input: RULES6_BATCH, timeoutMs: ctx.timeoutMs });
    const way = enterWayFor(ctx.enter, ctx.log);
    // The bulk pass opens each chunk's handles just before its worker starts
    // (the worker's copies pin them), so the first worker starts early.
    const openForBulk = (e: Entry): number | null => {
      const r = openFirst(e.inode, e.candidates);
      e.candidate = r.candidate;
      e.attempts = r.attempts;
      return r.opened?.fd ?? null;
    };
    const bulkPass =
      ctx.bulk && entries.length >= BULK_MIN
        ? bulkCapture(entries, openForBulk, NAMESPACE_BATCH, {
            run: ctx.run,
            workers: ctx.concurrency,
            timeoutMs: ctx.timeoutMs,
            enter: way,
            // Parsed while the rest are taken: the pairing code (nsid-maps) reads them after the pass.
            onCapture: (_inode, capture) => void parse(capture),
          })
        : null;
    const [hostCapture, bulkResult, hostRules6Capture] = await Promise.all([hostDump, bulkPass, hostRules6]);
    if (bulkResult?.fellBack) ctx.log(`entering namespaces with ip -n failed, nsenter instead (--enter nsenter skips the attempt): ${bulkResult.fellBack.split('\n')[0]}`);
    let hostFinal = hostCapture;
    let bulk = bulkResult?.captures ?? new Map<number, Capture>();
    if (hostCapture.failure?.reason === 'unsupported') {
      mode = 'text';
      bulk = new Map();
      ctx.log('ip -j is not supported here: capturing link dumps as text');
      gaps.push({ probe: this.name, subject: 'ip -j', reason: 'unsupported', detail: `fell back to text dumps (${IP_LINK_TEXT_ARGV.join(' ')}): ${hostCapture.failure.detail}` });
      hostFinal = await dump(ctx.run, ctx.timeoutMs, 'text', undefined);
    } else if (bulkResult?.stderr && bulk.size === entries.filter((e) => e.candidate !== null).length) {
      gaps.push({ probe: this.name, subject: 'bulk capture', reason: 'failed', detail: `unexpected stderr: ${bulkResult.stderr.slice(0, 1000)}` });
    }
    const captures: NamespaceCapture[] = [];
    if (host !== null) {
      const rules6 = mode === 'json' ? [hostRules6Capture] : [];
      captures.push({ inode: host, isHost: true, entered: { via: 'self', path: '/proc/self/ns/net', pid: null }, attempts: [], captures: [hostFinal, ...rules6], failure: hostFinal.failure });
    }
    // What the pass did not capture, one by one: its exact exit code and stderr are recorded.
    const others = await mapPool(entries, ctx.concurrency, async (e): Promise<NamespaceCapture> => {
      const fromBulk = bulk.get(e.inode);
      if (fromBulk) return { inode: e.inode, isHost: false, entered: e.candidate, attempts: e.attempts, captures: [fromBulk], failure: fromBulk.failure };
      // The bulk pass opened every entry's handles: where none opened, its attempts say why.
      // Else open afresh (the pass's handle is closed), or for the first time without a pass.
      const tried = bulkPass !== null && e.candidate === null ? null : openFirst(e.inode, e.candidates);
      const attempts = tried ? tried.attempts : e.attempts;
      if (!tried?.opened) {
        const last = attempts.at(-1);
        return { inode: e.inode, isHost: false, entered: null, attempts, captures: [], failure: { reason: last?.reason ?? 'failed', detail: last ? `${last.path}: ${last.detail}` : 'no handle leads to this namespace' } };
      }
      try {
        const capture = await dump(ctx.run, ctx.timeoutMs, mode, tried.opened.fd);
        return { inode: e.inode, isHost: false, entered: tried.candidate, attempts, captures: [capture], failure: capture.failure };
      } finally {
        tried.opened.close();
      }
    });
    if (ctx.ipv6Rules && mode === 'json') {
      const rules6 = await inet6Rules(ctx, entries.filter((e) => others.some((o) => o.inode === e.inode && o.failure === null)), way);
      for (const o of others) {
        const c = rules6.get(o.inode);
        if (c) o.captures.push(c);
      }
    }
    captures.push(...others);
    for (const c of captures) {
      if (c.failure) gaps.push({ probe: this.name, subject: `netns ${c.inode}`, reason: c.failure.reason, detail: c.failure.detail });
      // A failed IPv6 rule dump (IPv6 disabled there…) leaves the namespace captured, with this gap.
      const rules6 = c.failure === null ? c.captures.find((x) => batchFamily(x.argv) === 'inet6') : undefined;
      if (rules6?.failure) gaps.push({ probe: this.name, subject: `netns ${c.inode} ipv6 rules`, reason: rules6.failure.reason, detail: rules6.failure.detail });
    }
    return { namespaces: captures, gaps };
  },
};

/**
 * Each namespace's IPv6 policy rules (`--ipv6-rules`): a second pass over the
 * namespaces the first one captured, through handles opened and checked
 * again, then one by one where that pass took nothing (for the exit code and
 * stderr). A namespace gone in between has no IPv6 rules capture.
 */
async function inet6Rules(ctx: ProbeContext, entries: Entry[], way: EnterWay): Promise<Map<number, Capture>> {
  const open = (e: Entry) => openFirst(e.inode, e.candidates).opened?.fd ?? null;
  const bulk =
    ctx.bulk && entries.length >= BULK_MIN
      ? (await bulkCapture(entries, open, RULES6_BATCH, { run: ctx.run, workers: ctx.concurrency, timeoutMs: ctx.timeoutMs, enter: way, ipOptions: IP6_BATCH_ARGV.slice(1, -2) })).captures
      : new Map<number, Capture>();
  await mapPool(entries, ctx.concurrency, async (e) => {
    if (bulk.has(e.inode)) return;
    const tried = openFirst(e.inode, e.candidates);
    if (!tried.opened) return;
    try {
      bulk.set(e.inode, await dumpRules6(ctx.run, ctx.timeoutMs, tried.opened.fd));
    } finally {
      tried.opened.close();
    }
  });
  return bulk;
}

/**
 * The bulk pass's way into namespaces. auto decides from this process's own
 * mount table (its children inherit it); ip-netns is used even with many
 * mounts left.
 */
export function enterWayFor(choice: EnterChoice, log: (message: string) => void): EnterWay {
  if (choice === 'nsenter') return { how: 'nsenter' };
  let mounts: string[];
  try {
    mounts = mountPoints(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch (error) {
    const why = `/proc/self/mountinfo: ${detailOf(error)}`;
    if (choice === 'ip-netns') log(`--enter ip-netns: ${why}: entering with nsenter`);
    return { how: 'nsenter', why };
  }
  let runDir: string | null;
  try {
    runDir = statSync(NETNS_RUN_DIR).isDirectory() ? realpathSync(NETNS_RUN_DIR) : null;
  } catch {
    runDir = null;
  }
  const way = chooseEnterWay(mounts, runDir, choice === 'ip-netns');
  if (choice === 'ip-netns' && way.how === 'nsenter') log(`--enter ip-netns: ${way.why}: entering with nsenter`);
  return way;
}

/** One namespace's link dump, in it through fd3 (nsenter), or in our own without. */
export function dump(run: Runner, timeoutMs: number, mode: 'json' | 'text', fd3: number | undefined, input = NAMESPACE_BATCH): Promise<Capture> {
  const prefix = fd3 === undefined ? [] : NSENTER;
  if (mode === 'json') return run([...prefix, ...IP_BATCH_ARGV], { spec: 'ip_batch_json', input, timeoutMs, fd3 });
  return run([...prefix, ...IP_LINK_TEXT_ARGV], { spec: 'ip_link_text', timeoutMs, fd3 });
}

/** One namespace's IPv6 policy rules, in it through fd3 (`--ipv6-rules`). */
export function dumpRules6(run: Runner, timeoutMs: number, fd3: number): Promise<Capture> {
  return run([...NSENTER, ...IP6_BATCH_ARGV], { spec: 'ip_batch_json', input: RULES6_BATCH, timeoutMs, fd3 });
}

/**
 * Opens the first handle of the namespace that still leads to it. A vanished
 * or reused handle is noted and the next one tried; a denied one ends the
 * attempts (the others would be denied too). The open handle pins the
 * namespace for the capture.
 */
export function openFirst(inode: number, candidates: Candidate[]): { opened: { fd: number; close: () => void } | null; candidate: Candidate | null; attempts: NamespaceCapture['attempts'] } {
  const attempts: NamespaceCapture['attempts'] = [];
  for (const candidate of candidates) {
    const opened = openNamespace(candidate.path, inode);
    if ('fd' in opened) return { opened, candidate, attempts };
    attempts.push({ path: candidate.path, reason: opened.reason, detail: opened.detail });
    if (opened.reason === 'denied') break;
  }
  return { opened: null, candidate: null, attempts };
}

/**
 * Linux's O_PATH (Node's fs.constants lacks it; the generic value, x86 and
 * arm): the path is resolved but the file not opened — no wait on a FIFO,
 * no device driver's open. One open more per namespace, ~2 µs.
 */
const O_PATH = 0o10000000;

/** The device of nsfs files (all share one), null where our own link cannot be read. */
let nsfsDevice: number | null | undefined;
function nsfsDev(): number | null {
  if (nsfsDevice === undefined) {
    try {
      nsfsDevice = statSync('/proc/self/ns/net').dev;
    } catch {
      nsfsDevice = null;
    }
  }
  return nsfsDevice;
}

/**
 * Opens a namespace file and holds it, so the namespace cannot disappear or
 * be swapped during the capture. The path is resolved first with O_PATH and
 * the object it reached checked to be that namespace's nsfs file; only then
 * is it opened (through /proc/self/fd, without resolving the path again). A
 * handle from another process's world — its fd, a mount point under its root —
 * may by then lead anywhere: to a FIFO whose open would block, a device whose
 * open acts, a symlink out of its root. Synchronous: open and fstat of an
 * nsfs file take microseconds, less than a promise round trip.
 */
export function openNamespace(file: string, inode: number): { fd: number; close: () => void } | { reason: NamespaceCapture['attempts'][number]['reason']; detail: string } {
  let pathFd: number;
  try {
    pathFd = openSync(file, O_PATH);
  } catch (error) {
    return { reason: reasonOf(error), detail: detailOf(error) };
  }
  try {
    let st: { ino: number; dev: number } | null = null;
    try {
      st = fstatSync(pathFd);
    } catch {
      st = null;
    }
    const dev = nsfsDev();
    if (st !== null && dev !== null && st.dev !== dev) return { reason: 'not-a-namespace', detail: `now leads to a file that is not a namespace (device ${st.dev}), not to namespace ${inode}` };
    if (st?.ino !== inode) return { reason: 'mismatch', detail: `now leads to namespace ${st?.ino ?? 'unknown'}, not ${inode}` };
    let fd: number;
    try {
      fd = openSync(`/proc/self/fd/${pathFd}`, 'r');
    } catch (error) {
      return { reason: reasonOf(error), detail: detailOf(error) };
    }
    return { fd, close: () => closeSync(fd) };
  } finally {
    closeSync(pathFd);
  }
}
