import { spawn } from 'node:child_process';
import { trackChild } from './interrupt.js';
import type { Capture, FailureReason, SpecName } from '@nsnap/shared/core';
import { LIMITS, decodeUtf8b, failureReasonOfText } from '@nsnap/shared/core';

export interface RunOptions {
  spec: SpecName;
  /** Fed on stdin (e.g. the `ip -batch -` commands). */
  input?: string;
  timeoutMs: number;
  /** An open namespace file descriptor handed to the child as fd 3 (`nsenter --net=/proc/self/fd/3`). */
  fd3?: number;
  /** Open descriptors handed to the child as fds 3, 4, … (bulk capture's namespace handles); not with `fd3`. The child holds its copies once `run` has returned. */
  fds?: number[];
  /** An open file the child's stdout goes to, read by the caller while it runs (bulk capture); the capture's stdout is then empty. */
  stdoutFd?: number;
  /** Run in a process group of its own, killed as a whole on timeout or stop (a worker and the commands it starts). */
  group?: boolean;
}

/**
 * The one way nsnap runs a command: an argument array (never a shell), a
 * timeout, bounded output, and the same result shape whether the command
 * succeeded, failed, could not start, or timed out — a failure is data.
 */
export type Runner = (argv: string[], options: RunOptions) => Promise<Capture>;

/** Every child's environment: ours with `LC_ALL=C` — the output the parsers expect, and no locale files loaded by each nsenter (~12 with a UTF-8 LANG). */
export const CHILD_ENV = { ...process.env, LC_ALL: 'C' };

export const runCommand: Runner = (argv, options) =>
  new Promise((resolve) => {
    const [file, ...args] = argv as [string, ...string[]];
    const started = performance.now();
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let overflow = false;
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | null = null;
    const extra = options.fds ?? (options.fd3 === undefined ? [] : [options.fd3]);
    const group = options.group === true;
    const child = spawn(file, args, {
      shell: false,
      env: CHILD_ENV,
      detached: group,
      stdio: ['pipe', options.stdoutFd ?? 'pipe', 'pipe', ...extra],
    });
    trackChild(child, { group });
    const kill = () => {
      if (!group || child.pid === undefined) child.kill('SIGKILL');
      else {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const collect = (chunks: Buffer[], add: (n: number) => number) => (chunk: Buffer) => {
      if (add(chunk.length) > LIMITS.captureChars) {
        overflow = true;
        kill();
        return;
      }
      chunks.push(chunk);
    };
    child.stdout?.on('data', collect(stdout, (n) => (outBytes += n)));
    child.stderr!.on('data', collect(stderr, (n) => (errBytes += n)));
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const out = decodeUtf8b(Buffer.concat(stdout));
      const err = decodeUtf8b(Buffer.concat(stderr));
      resolve({
        spec: options.spec,
        argv,
        stdin: options.input ?? null,
        exitCode: spawnError ? null : code,
        stdout: out.text,
        stderr: err.text,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        timedOut,
        failure: classifyFailure({ code, signal, timedOut, overflow, spawnError, timeoutMs: options.timeoutMs }, err.text),
        ...(out.exact && err.exact ? {} : { encoding: 'utf-8b' as const }),
      });
    });
  });

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  overflow: boolean;
  spawnError: NodeJS.ErrnoException | null;
  timeoutMs: number;
}

function classifyFailure(o: Outcome, stderr: string): Capture['failure'] {
  if (o.spawnError) {
    const reason: FailureReason = o.spawnError.code === 'ENOENT' ? 'missing-command' : o.spawnError.code === 'EACCES' ? 'denied' : 'failed';
    return { reason, detail: o.spawnError.message.slice(0, 1000) };
  }
  if (o.timedOut) return { reason: 'timeout', detail: `timed out after ${o.timeoutMs} ms` };
  if (o.overflow) return { reason: 'failed', detail: `output exceeds ${LIMITS.captureChars} bytes` };
  if (o.code === 0) return null;
  const firstLine = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
  const detail = (firstLine || (o.signal ? `killed by ${o.signal}` : `exit code ${o.code}`)).slice(0, 1000);
  return { reason: failureReasonOfText(stderr), detail };
}
