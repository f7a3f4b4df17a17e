import { z } from 'zod';

/** Parts several answers share. Names are exact (bytes that were not UTF-8 as lone surrogates, docs/json.md). */

export const snapshotLabel = z.object({
  id: z.string().describe('the snapshot id (a UUIDv7)'),
  host: z.string().describe('the host label the collector gave'),
  takenAt: z.string().describe('ISO-8601 UTC time the snapshot was taken'),
  bootId: z.string().nullable().describe('the kernel boot id; null when the bundle has none'),
  asOf: z.string().optional().describe('for a @TIME selector: the time asked for; the snapshot is the one in force then'),
});

export const container = z.object({
  runtime: z.string(),
  id: z.string(),
  podUid: z.string().nullable(),
  name: z.string().optional().describe("the runtime's name for it (docker's Name, the CRI container name…), from its files; absent when they give none or disagree"),
  pod: z.string().optional().describe('its pod as `namespace/name`, from /var/log/pods or the CRI annotations; absent when unknown or ambiguous'),
});

export const ownerProcess = z.object({
  pid: z.number().int(),
  comm: z.string().nullable(),
  startTime: z.number().nullable().describe('start time in clock ticks after boot (/proc/PID/stat field 22)'),
});

/** Who holds a namespace: its processes, named-netns names, bind mounts, containers. */
export const owners = z.object({
  netns: z.number().int().describe('the namespace inode'),
  host: z.boolean().describe('the host (initial) namespace'),
  captured: z.boolean().describe('false: the namespace is known but its links could not be captured'),
  problem: z.string().nullable().describe('why its links are unknown, when not captured'),
  names: z.array(z.string()).describe('/run/netns names'),
  mounts: z.array(z.string()).describe('bind mounts and nsfs mounts that keep it (named ones are in names)'),
  pids: z.array(z.number().int()),
  processes: z.array(ownerProcess),
  containers: z.array(container),
});

export const gap = z.object({
  source: z.enum(['collector', 'ingest']).describe('collector: could not capture; ingest: could not read what was captured'),
  probe: z.string(),
  subject: z.string(),
  reason: z.string(),
  detail: z.string(),
});

/** One end of a veth pair, as the diff names it. */
export const end = z.object({
  netns: z.number().int(),
  ifname: z.string(),
  ifindex: z.number().int(),
});

export const change = z.object({ from: z.unknown(), to: z.unknown() });
/** Field name → its value before and after. */
export const changes = z.record(z.string(), change);

export type SnapshotLabel = z.infer<typeof snapshotLabel>;
export type ContainerView = z.infer<typeof container>;
export type Owners = z.infer<typeof owners>;
export type GapView = z.infer<typeof gap>;
export type EndRef = z.infer<typeof end>;
export type Change<T> = { from: T; to: T };
