import { z } from 'zod';
import { container, snapshotLabel } from './common.js';
import { ANSWER_VERSIONS } from './version.js';

const brief = z.object({ pid: z.number().int(), comm: z.string().nullable() });

/** A device to capture on, with the owners of its namespace. */
export const captureDevice = z.object({
  netns: z.number().int(),
  ifname: z.string(),
  ifindex: z.number().int(),
  kind: z.string().nullable(),
  host: z.boolean(),
  names: z.array(z.string()),
  processes: z.array(brief),
  containers: z.array(container),
});

/** Before running a command that enters through a pid: how to tell it is still the process the snapshot saw. */
export const pidCheck = z.object({
  pid: z.number().int(),
  comm: z.string().nullable(),
  startTime: z.number().nullable().describe('field 22 of /proc/PID/stat at the snapshot (clock ticks after boot); null when it was not read'),
  bootId: z.string().nullable(),
  checks: z.array(z.object({ argv: z.array(z.string()), shell: z.string(), expect: z.string() })).describe('commands (fixed text and numbers only) and what each must print'),
});

export const captureCommand = z.object({
  on: z.enum(['device', 'peer']).describe('on the device asked for, or on its veth peer (the host side of a container\'s eth0)'),
  via: z.enum(['host', 'named-netns', 'pid', 'mount']).describe('how the command gets into the namespace'),
  device: z.object({ netns: z.number().int(), ifname: z.string(), ifindex: z.number().int(), host: z.boolean() }),
  argv: z.array(z.string()).nullable().describe('null when refused: nothing to run'),
  shell: z.string().nullable().describe('argv as one line for a POSIX shell, each word bare or single-quoted'),
  refused: z.string().nullable().describe('why no command can be written safely'),
  verify: pidCheck.nullable(),
});

/** `nsnap capture WHAT --json`. */
export const captureAnswer = z.object({
  answerVersion: z.literal(ANSWER_VERSIONS.capture),
  query: z.string(),
  snapshot: snapshotLabel.extend({ ageSeconds: z.number().int().describe('how old the snapshot is now') }),
  status: z.enum(['ok', 'ambiguous', 'unknown', 'refused']).describe('ok: a command to run; ambiguous: several devices (candidates); unknown: none; refused: found, but no command can be written safely'),
  reason: z.string().nullable(),
  device: captureDevice.nullable(),
  commands: z.array(captureCommand),
  candidates: z.array(captureDevice),
});

export type CaptureDevice = z.infer<typeof captureDevice>;
export type PidCheck = z.infer<typeof pidCheck>;
export type CaptureCommand = z.infer<typeof captureCommand>;
export type CaptureAnswer = z.infer<typeof captureAnswer>;
