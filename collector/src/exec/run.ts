import { execa, type Options } from 'execa';
import type { Capture, FailureReason, SpecName } from '@nsnap/shared';
import { LIMITS } from '@nsnap/shared';

export interface RunOptions {
  spec: SpecName;
  /** Fed on stdin (e.g. the `ip -batch -` commands). */
  input?: string;
  timeoutMs: number;
  /** An open namespace file descriptor handed to the child as fd 3 (`nsenter --net=/proc/self/fd/3`). */
  fd3?: number;
}

/**
 * The one way nsnap runs a command: an argument array (never a shell), a
 * timeout, bounded output, and the same result shape whether the command
 * succeeded, failed, could not start, or timed out — a failure is data.
 */
export type Runner = (argv: string[], options: RunOptions) => Promise<Capture>;

export const runCommand: Runner = async (argv, options) => {
  const [file, ...args] = argv as [string, ...string[]];
  const started = performance.now();
  const result = await execa(file, args, {
    input: options.input ?? '',
    reject: false,
    timeout: options.timeoutMs,
    maxBuffer: LIMITS.captureChars,
    stripFinalNewline: false,
    // execa passes a numeric fd through to child_process, though its types only list streams.
    stdio: (options.fd3 === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', options.fd3]) as Options['stdio'],
    env: { LC_ALL: 'C' },
    extendEnv: true,
  });
  const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  return {
    spec: options.spec,
    argv,
    stdin: options.input ?? null,
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    stdout: stdout.slice(0, LIMITS.captureChars),
    stderr: stderr.slice(0, LIMITS.captureChars),
    durationMs,
    timedOut: result.timedOut === true,
    failure: classifyFailure(result, stderr),
  };
};

function classifyFailure(
  result: { failed: boolean; timedOut?: boolean; code?: string; isMaxBuffer?: boolean; exitCode?: number; shortMessage?: string },
  stderr: string,
): Capture['failure'] {
  if (!result.failed) return null;
  const firstLine = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
  const detail = (firstLine || result.shortMessage || 'failed').slice(0, 1000);
  let reason: FailureReason = 'failed';
  if (result.timedOut) reason = 'timeout';
  else if (result.code === 'ENOENT') reason = 'missing-command';
  else if (/Permission denied|Operation not permitted/.test(stderr)) reason = 'denied';
  else if (/No such file or directory|No such process/.test(stderr)) reason = 'vanished';
  else if (/Option "[^"]*" is unknown|Object "[^"]*" is unknown|unrecognized option|invalid option/.test(stderr)) reason = 'unsupported';
  if (result.isMaxBuffer) return { reason: 'failed', detail: `output exceeds ${LIMITS.captureChars} characters` };
  if (reason === 'missing-command') return { reason, detail: (result.shortMessage ?? detail).split('\n')[0]!.slice(0, 1000) };
  if (reason === 'timeout') return { reason, detail: result.shortMessage?.split('\n')[0]?.slice(0, 1000) ?? 'timed out' };
  return { reason, detail };
}
