import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LIMITS, decodeUtf8b, type Capture } from '@nsnap/shared/core';
import { trackTempDir } from '../exec/interrupt.js';
import type { Runner } from '../exec/run.js';

/** One namespace in a find worker: its inode and an open, checked handle. */
export interface BulkItem {
  inode: number;
  fd: number;
}

export interface BulkOptions {
  /** The runner the workers go through (the one exec seam; tests give a fake one). */
  run: Runner;
  workers: number;
  timeoutMs: number;
  /** Called for each namespace as soon as its dump is read back, while the pass goes on. */
  onCapture?: (inode: number, capture: Capture) => void;
  /** Namespaces per find process at most (default 200; tests use fewer). */
  chunk?: number;
  /** How the workers enter the namespaces (default `nsenter`; the caller picks with `chooseEnterWay`). */
  enter?: EnterWay;
  /** ip's options before `-batch FILE` (default `-d -j -force`: IP_BATCH_ARGV's; `-6 -j -force` for IPv6 rules). */
  ipOptions?: readonly string[];
}

/**
 * How a find worker enters a namespace for its `ip`:
 * - `nsenter`: `nsenter --net=/proc/self/fd/N ip …`, two execs per namespace;
 * - `ip-netns`: `ip -n ../../…/proc/self/fd/N …`, one exec. `ip -n NAME` opens
 *   NETNS_RUN_DIR/NAME (/var/run/netns), and a name that climbs out of it with
 *   `..` reaches the handle the worker holds. ip then also unshares a mount
 *   namespace, detaches /sys and mounts a sysfs of the namespace — work that
 *   grows with the mounts it copies and detaches: with 420 mounts (400 named
 *   namespaces) slower than nsenter (0.60 s against 0.42 s for 400
 *   namespaces, `xargs -P 2`). So the worker runs in a private mount
 *   namespace of its own (`unshare --mount --propagation private`: nothing it
 *   unmounts is unmounted on the host), where it first lazily unmounts
 *   `unmount` — the named namespaces' mounts, and /sys with the dozen cgroup
 *   mounts below it, which every ip would otherwise detach again (its own
 *   sysfs is mounted afresh anyway). Measured on the collector at N=400:
 *   nsenter 591 ms, ip -n with the named namespaces unmounted 539 ms, with
 *   /sys too 503 ms. Only where the mounts left are few (`chooseEnterWay`).
 */
export type EnterWay = { how: 'nsenter'; why?: string } | { how: 'ip-netns'; unmount: string[] };

/** Where iproute2 keeps named namespaces (its NETNS_RUN_DIR) and resolves `ip -n NAME`. */
export const NETNS_RUN_DIR = '/var/run/netns';
/** Enough `..` to climb from NETNS_RUN_DIR, however deep it is, to the root. */
const TO_ROOT = '../../../../../../../..';
/** Mounts a worker's children may copy each and still be faster than an nsenter exec (the break-even is ~120, measured). */
const MAX_MOUNTS_FOR_IP_NETNS = 64;

/**
 * The way for this host, from its mount points: `ip-netns` when the mounts
 * left once NETNS_RUN_DIR's and /sys's are unmounted are few (or
 * `manyMountsToo`), else `nsenter`.
 * `runDir` is NETNS_RUN_DIR resolved (null when it does not exist: then
 * `ip -n` cannot resolve any name).
 */
export function chooseEnterWay(mounts: string[], runDir: string | null, manyMountsToo = false): EnterWay {
  if (runDir === null) return { how: 'nsenter', why: `no ${NETNS_RUN_DIR}, through which ip -n reaches a namespace` };
  // find's -path takes a pattern: only plain paths are used as one.
  if (!/^\/[\w./-]*$/.test(runDir)) return { how: 'nsenter', why: `${NETNS_RUN_DIR} resolves to ${runDir}, not a plain path` };
  const dropped = [runDir, '/sys'];
  const kept = mounts.filter((m) => !dropped.some((d) => m === d || m.startsWith(`${d}/`))).length;
  if (kept > MAX_MOUNTS_FOR_IP_NETNS && !manyMountsToo) return { how: 'nsenter', why: `${kept} mounts besides ${runDir} and /sys, more than the ${MAX_MOUNTS_FOR_IP_NETNS} every ip -n may copy and still be faster` };
  return { how: 'ip-netns', unmount: dropped.filter((d) => mounts.includes(d)) };
}

/**
 * Handles given to one find process at a time. Also what keeps our own
 * descriptor table small: the table of a process starts at 256 entries, and
 * growing it in a multi-threaded process (Node) waits for an RCU grace period
 * (~10 ms here, measured at the 256th open), so a chunk's handles are closed
 * on our side as soon as its worker holds its copies.
 */
const CHUNK = 200;
const DEFAULT_IP_OPTIONS = ['-d', '-j', '-force'];
/** How often the workers' output is read back during the pass. */
const DRAIN_MS = 25;
/** Output of one find process read back at most: past it the rest is captured one by one. */
const MAX_STREAM_BYTES = 256 * 1024 * 1024;

/**
 * Captures many namespaces with few Node spawns. Each of `workers` GNU find
 * processes gets a share of the namespace handles as its own fds and runs,
 * for each, `ip -d -j -force -batch FILE` in it through its fd N (see
 * `EnterWay`) between two marker lines. find forks cheaply; a Node spawn costs ~1 ms of
 * main-thread time (measured), which made per-namespace spawns 2.5× slower
 * than `xargs -P` at 400 namespaces.
 *
 * `open` opens (and checks) one subject's handle, or returns null: it is
 * called for a chunk right before its worker starts, and our copies are
 * closed right after — the worker's copies pin the namespaces for its pass.
 * So the first worker starts after ~200 opens, not after all of them.
 *
 * The workers write into files of a private temp dir, read back every 25 ms
 * in large reads: through pipes, Node handled ~2,500 small reads at 400
 * namespaces (~50 ms of main-thread time, taken from the workers' children on
 * a 2-core host), and reading as the pass goes lets the caller parse each dump
 * while the others are still being taken.
 *
 * A namespace whose command failed, or that the pass did not reach (timeout,
 * no GNU find), is missing from the result: the caller captures those one by
 * one, which records their exact exit code and stderr.
 */
export async function bulkCapture<T extends { inode: number }>(
  subjects: T[],
  open: (subject: T) => number | null,
  batchInput: string,
  options: BulkOptions,
): Promise<{ captures: Map<number, Capture>; stderr: string; fellBack: string | null }> {
  const captures = new Map<number, Capture>();
  if (subjects.length === 0) return { captures, stderr: '', fellBack: null };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-collect-'));
  const tracked = trackTempDir(dir);
  const batchFile = path.join(dir, 'batch');
  /** Every file made in `dir`, removed by name at the end. */
  const files = [batchFile];
  writeFileSync(batchFile, batchInput, { mode: 0o600 });
  const size = Math.max(1, Math.min(options.chunk ?? CHUNK, Math.ceil(subjects.length / Math.max(1, options.workers))));
  const chunks: T[][] = [];
  for (let i = 0; i < subjects.length; i += size) chunks.push(subjects.slice(i, i + size));
  let next = 0;
  let way: EnterWay = options.enter ?? { how: 'nsenter' };
  let fellBack: string | null = null;
  const stderr: string[] = [];
  const add = (inode: number, capture: Capture) => {
    captures.set(inode, capture);
    options.onCapture?.(inode, capture);
  };
  const openChunk = (chunk: T[]): BulkItem[] => {
    const items: BulkItem[] = [];
    for (const subject of chunk) {
      const fd = open(subject);
      if (fd !== null) items.push({ inode: subject.inode, fd });
    }
    return items;
  };
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++] as T[];
      const items = openChunk(chunk);
      if (items.length === 0) continue;
      const pass = { dir, files, batchFile, batchInput, ipOptions: options.ipOptions ?? DEFAULT_IP_OPTIONS, timeoutMs: options.timeoutMs * Math.max(1, Math.ceil(items.length / 4)) };
      let r = await runFind(options.run, items, pass, way, add);
      if (r.captured === 0 && way.how === 'ip-netns') {
        // Not one namespace entered this way (an iproute2 that refuses such a
        // name, no unshare...): nsenter, for this chunk and the rest.
        fellBack ??= r.stderr.slice(0, 1000) || 'no namespace captured';
        way = { how: 'nsenter' };
        r = await runFind(options.run, openChunk(chunk), pass, way, add);
      }
      if (r.stderr) stderr.push(r.stderr);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, chunks.length)) }, worker));
  } finally {
    removeDir(dir, files);
    tracked.release();
  }
  return { captures, stderr: stderr.join(''), fellBack };
}

/**
 * Removes the pass's temp dir: its files by name, then the dir. Node's
 * recursive rmSync lists and stats first, and retries (~6 ms at the end of a
 * 400-namespace run, when nothing else is left to overlap it); it is used only
 * if something else turned up there.
 */
function removeDir(dir: string, files: string[]): void {
  try {
    for (const f of files) unlinkSync(f);
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs one find worker over `chunk` through the runner; hands over each
 * capture as it is read back; returns the worker's stderr and how many it
 * captured. What each capture records is what was observed: exit code 0
 * because find's `-exec … ;` is true only for an exit status of 0 (a `fail`
 * marker otherwise); no stderr of its own, because the commands share the
 * worker's (a gap when not empty); and, as `batch`, that its durationMs is
 * an equal share of the worker's measured time, not its own.
 */
async function runFind(
  run: Runner,
  chunk: BulkItem[],
  pass: { dir: string; files: string[]; batchFile: string; batchInput: string; ipOptions: readonly string[]; timeoutMs: number },
  way: EnterWay,
  add: (inode: number, capture: Capture) => void,
): Promise<{ stderr: string; captured: number }> {
  const marker = `@@nsnap-${randomBytes(6).toString('hex')}`;
  const paths = chunk.map((_, i) => `/proc/self/fd/${3 + i}`);
  const ipArgs = [...pass.ipOptions, '-batch', pass.batchFile];
  // What each namespace's capture records as its command.
  const argvOf = (fd: number) => (way.how === 'nsenter' ? ['nsenter', `--net=/proc/self/fd/${fd}`, 'ip', ...ipArgs] : ['ip', '-n', `${TO_ROOT}/proc/self/fd/${fd}`, ...ipArgs]);
  const enter = way.how === 'nsenter' ? ['nsenter', '--net={}', 'ip', ...ipArgs] : ['ip', '-n', `${TO_ROOT}{}`, ...ipArgs];
  const each = ['-printf', `${marker} start %p\n`, '(', '-exec', ...enter, ';', '-printf', `${marker} ok\n`, '-o', '-printf', `${marker} fail\n`, ')'];
  let argv = ['find', ...paths, '-maxdepth', '0', ...each];
  const [first] = way.how === 'ip-netns' ? way.unmount : [];
  if (way.how === 'ip-netns' && first !== undefined) {
    // The first path visited is the first mount point to unmount: there the
    // worker unmounts them all (whether or not that works, it is no namespace).
    argv = ['unshare', '--mount', '--propagation', 'private', 'find', first, ...paths, '-maxdepth', '0', '(', '-path', first, '(', '-exec', 'umount', '-l', ...way.unmount, ';', '-o', '-true', ')', ')', '-o', ...each];
  }
  const outFile = path.join(pass.dir, `out-${marker.slice(-12)}`);
  const out = openSync(outFile, 'wx+', 0o600);
  pass.files.push(outFile);
  const splitter = new MarkerSplitter(marker);
  const mine: Capture[] = [];
  let offset = 0;
  const drain = () => {
    const end = Math.min(fstatSync(out).size, MAX_STREAM_BYTES);
    if (end <= offset) return;
    const data = Buffer.allocUnsafe(end - offset);
    const n = readSync(out, data, 0, data.length, offset);
    offset += n;
    for (const s of splitter.push(data.subarray(0, n))) {
      const item = chunk[s.fd - 3];
      if (!item || s.stdout.length > LIMITS.captureChars) continue;
      const capture: Capture = {
        spec: 'ip_batch_json',
        argv: argvOf(s.fd),
        stdin: pass.batchInput,
        exitCode: 0,
        stdout: s.stdout,
        stderr: '',
        // Set to its share once the worker's time is measured, below.
        durationMs: 0,
        timedOut: false,
        failure: null,
        ...(s.exact ? {} : { encoding: 'utf-8b' as const }),
      };
      mine.push(capture);
      add(item.inode, capture);
    }
  };
  const poll = setInterval(drain, DRAIN_MS);
  let worker: Capture;
  try {
    const running = run(argv, { spec: 'ip_batch_json', timeoutMs: pass.timeoutMs, fds: chunk.map((c) => c.fd), stdoutFd: out, group: true });
    // The worker holds its own copies now (or never will): ours are not needed.
    for (const c of chunk) closeSync(c.fd);
    worker = await running;
    drain();
  } finally {
    clearInterval(poll);
    closeSync(out);
  }
  const share = Math.round((worker.durationMs / Math.max(1, mine.length)) * 1000) / 1000;
  for (const c of mine) {
    c.durationMs = share;
    c.batch = { of: mine.length, durationMs: worker.durationMs };
  }
  return { stderr: worker.stderr.slice(0, 64 * 1024), captured: mine.length };
}

/**
 * Cuts a find worker's output, as it arrives, into the namespaces it
 * captured: the output between each `MARKER start /proc/self/fd/N` line and
 * the `MARKER ok` that follows it. A `fail`, or a start without an end (the
 * worker was killed), yields nothing. Keeps only the unfinished part.
 */
export class MarkerSplitter {
  private readonly tag: Buffer;
  private buf: Buffer = Buffer.alloc(0);
  /** Where the next directive is looked for, in `buf`. */
  private pos = 0;
  /** The capture under way: its fd and where its output starts in `buf`. */
  private open: { fd: number; from: number } | null = null;

  constructor(marker: string) {
    this.tag = Buffer.from(`${marker} `);
  }

  /** Each capture's stdout as UTF-8b (`exact` false when it held bytes that are not UTF-8: see bytes.ts). */
  push(data: Buffer): { fd: number; stdout: string; exact: boolean }[] {
    const out: { fd: number; stdout: string; exact: boolean }[] = [];
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    for (;;) {
      const at = this.buf.indexOf(this.tag, this.pos);
      if (at < 0) {
        // The tag may be cut at the end of this piece.
        this.pos = Math.max(this.pos, this.buf.length - this.tag.length + 1);
        break;
      }
      const eol = this.buf.indexOf(10, at);
      if (eol < 0) {
        this.pos = at;
        break;
      }
      const directive = this.buf.toString('latin1', at + this.tag.length, eol);
      if (directive.startsWith('start /proc/self/fd/')) {
        const fd = Number(directive.slice('start /proc/self/fd/'.length));
        this.open = Number.isInteger(fd) && fd >= 3 ? { fd, from: eol + 1 } : null;
      } else if (directive === 'ok' && this.open) {
        const { text, exact } = decodeUtf8b(this.buf.subarray(Math.min(this.open.from, at), at));
        out.push({ fd: this.open.fd, stdout: text, exact });
        this.open = null;
      } else {
        this.open = null;
      }
      this.pos = eol + 1;
    }
    const keep = this.open ? Math.min(this.open.from, this.pos) : this.pos;
    this.buf = this.buf.subarray(keep);
    this.pos -= keep;
    if (this.open) this.open.from -= keep;
    return out;
  }
}
