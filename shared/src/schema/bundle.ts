import { z } from 'zod';
import { isHostLabel } from './host-label.js';
import { LIMITS, SCHEMA_VERSION } from './limits.js';
import { RuntimeNamesSchema } from './runtime-names.js';

export { LIMITS, SCHEMA_VERSION } from './limits.js';
export { RUNTIME_NAMES_MAX, RuntimeContainerSchema, RuntimeNameSourceSchema, RuntimeNamesSchema, RuntimePodSchema, type RuntimeContainer, type RuntimeNames, type RuntimePod } from './runtime-names.js';

const short = () => z.string().max(LIMITS.shortChars);
const inode = () => z.number().int().positive();
const isoTime = () => z.iso.datetime({ offset: true });

/** Why something could not be read. Every failure is data, with one of these reasons. */
export const FailureReasonSchema = z.enum([
  'denied', // EACCES / EPERM
  'vanished', // ENOENT / ESRCH: the process or mount went away mid-run
  'timeout',
  'missing-command', // ENOENT on the executable
  'unsupported', // the tool does not know the option (old iproute2)
  'not-a-namespace', // a /run/netns entry that is not an nsfs mount
  'mismatch', // the handle now leads to another namespace than the scan saw
  'failed', // anything else; `detail` says what
]);
export type FailureReason = z.infer<typeof FailureReasonSchema>;

/**
 * Spec names: every raw source has a permanent name, shared by the live probe
 * and by `nsnap-collect import`; one parser is registered for each.
 */
export const SpecNameSchema = z.enum([
  'ip_batch_json', // `ip -d -j -batch -` fed link show / addr show / netns list-id
  'ip_link_json',
  'ip_link_text',
  'lsns_net_json',
  'lsns_net_text', // `lsns -t net` as a table (imports)
  'ip_netns_list_id_json', // `ip -j netns list-id`: nsids with /run/netns names
  'ip_netns_list_id_text', // `ip netns list-id` (imports)
  'ip_netns_text', // `ip netns` (= `ip netns list`): /run/netns names, each with the observer's nsid once assigned (sosreport imports)
  'ip_version',
  'tool_version', // `nsenter --version`, `lsns --version`, `find --version` (doctor)
]);
export type SpecName = z.infer<typeof SpecNameSchema>;

/** One command run: success and failure have the same shape (execa's habit). */
export const CaptureSchema = z.object({
  spec: SpecNameSchema,
  argv: z.array(short()).min(1).max(64),
  /** Text fed on stdin (the batch commands), verbatim. */
  stdin: short().nullable(),
  exitCode: z.number().int().nullable(),
  stdout: z.string().max(LIMITS.captureChars),
  stderr: z.string().max(LIMITS.captureChars),
  durationMs: z.number().nonnegative(),
  timedOut: z.boolean(),
  /** Set when the command could not run or did not finish cleanly. */
  failure: z
    .object({ reason: FailureReasonSchema, detail: short() })
    .nullable(),
  /**
   * Present when stdout or stderr held bytes that are not UTF-8 (a name or
   * alias can hold any byte): each such byte is kept as U+DC00+byte
   * (UTF-8b, see bytes.ts), written `\udcNN` in the JSON. Absent: plain UTF-8.
   */
  encoding: z.literal('utf-8b').optional(),
  /**
   * Present when the command ran as one of `of` in one bulk worker
   * (docs/bundle.md): `durationMs` above is then an equal share of the
   * worker's measured `durationMs`, not its own, and its stderr went to the
   * worker's (a gap when not empty). Absent: the command's own, measured.
   */
  batch: z.object({ of: z.number().int().positive(), durationMs: z.number().nonnegative() }).optional(),
});
export type Capture = z.infer<typeof CaptureSchema>;

export const HostIdentitySchema = z.object({
  /** Label used in storage keys and reports (`--host`, else the hostname), sanitized. */
  label: z.string().refine(isHostLabel, 'not a host label: letters, digits and ._- from a letter or digit, at most 63, no ".."'),
  hostname: short(),
  machineId: short().nullable(),
  bootId: short().nullable(),
  kernelRelease: short().nullable(),
  iproute2Version: short().nullable(),
  root: z.boolean(),
  uid: z.number().int().nonnegative(),
});
export type HostIdentity = z.infer<typeof HostIdentitySchema>;

/** A readable or unreadable `/proc/PID`. */
export const ProcessSchema = z.object({
  pid: z.number().int().positive(),
  /** Inode of the process's network namespace, null when unreadable (see `netnsError`). */
  netns: inode().nullable(),
  netnsError: FailureReasonSchema.nullable(),
  comm: short().nullable(),
  /** Raw `/proc/PID/cgroup`, verbatim. */
  cgroup: z.string().max(LIMITS.cgroupChars).nullable(),
  /** Field 22 of /proc/PID/stat, clock ticks since boot: tells a reused pid apart. */
  startTime: z.number().int().nonnegative().nullable(),
});
export type Process = z.infer<typeof ProcessSchema>;

/** A namespace reference that is not a process: a named netns, a runtime bind mount, an nsfs mount. */
export const HandleSchema = z.object({
  kind: z.enum(['named', 'bind', 'mount']),
  path: short(),
  /** The `ip netns` name for kind "named". */
  name: short().nullable(),
  inode: inode().nullable(),
  error: FailureReasonSchema.nullable(),
});
export type Handle = z.infer<typeof HandleSchema>;

/**
 * How a namespace that no process, name or mount of the collector's own shows
 * was found: a process's open fd (`/proc/PID/fd/N`), a thread in another
 * namespace than its process (`/proc/PID/task/TID/ns/net`), or an nsfs mount
 * in another mount namespace (seen through `/proc/PID/root/MOUNTPOINT`).
 */
export const HolderKindSchema = z.enum(['fd', 'thread', 'foreign-mount']);
export type HolderKind = z.infer<typeof HolderKindSchema>;

/** One such handle: `path` is what the collector opens to enter the namespace. */
export const HolderSchema = z.object({
  kind: HolderKindSchema,
  path: short(),
  pid: z.number().int().positive(),
  inode: inode(),
});
export type Holder = z.infer<typeof HolderSchema>;

/** How a namespace was entered for its capture. */
export const EntrySchema = z.object({
  via: z.enum(['self', 'pid', 'file']),
  path: short(),
  pid: z.number().int().positive().nullable(),
  /** Set when the handle was one of `holders[]`; absent in older bundles. */
  holder: HolderKindSchema.optional(),
});

export const NamespaceCaptureSchema = z.object({
  inode: inode(),
  isHost: z.boolean(),
  /** The handle finally used, null when every handle failed. */
  entered: EntrySchema.nullable(),
  /** Handles tried before `entered` and why each failed. */
  attempts: z.array(
    z.object({ path: short(), reason: FailureReasonSchema, detail: short() }),
  ).max(64),
  /** The raw link dump(s), verbatim (spec ip_batch_json, or ip_link_text on old iproute2). */
  captures: z.array(CaptureSchema).max(8),
  /** Set when no usable link dump exists for this namespace. */
  failure: z.object({ reason: FailureReasonSchema, detail: short() }).nullable(),
});
export type NamespaceCapture = z.infer<typeof NamespaceCaptureSchema>;

/** An nsid map as printed by lsns or `ip -j netns list-id`, run in the namespace `observer`. */
export const NsidMapCaptureSchema = z.object({
  observer: inode(),
  /** Why this map was taken: the host's always, others to settle an ambiguity. */
  why: short(),
  capture: CaptureSchema,
});
export type NsidMapCapture = z.infer<typeof NsidMapCaptureSchema>;

export const ProbeStatusSchema = z.object({
  name: short(),
  ok: z.boolean(),
  durationMs: z.number().nonnegative(),
  error: short().nullable(),
});
export type ProbeStatus = z.infer<typeof ProbeStatusSchema>;

/** Something that could not be captured, in one list the analyzer shows next to its answers. */
export const GapSchema = z.object({
  probe: short(),
  subject: short(),
  reason: FailureReasonSchema,
  detail: short(),
});
export type Gap = z.infer<typeof GapSchema>;

export const SourceFileSchema = z.object({
  role: short(),
  name: short(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});

export const BundleSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** UUIDv7: sorts by time. */
  snapshotId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
  takenAt: z.object({ start: isoTime(), end: isoTime() }),
  collector: z.object({
    name: short(),
    version: short(),
    /** "live" from the running kernel, "import" from files a person captured. */
    mode: z.enum(['live', 'import']),
    /** For imports: the files read, with their hashes. */
    sources: z.array(SourceFileSchema).max(10_000),
  }),
  tags: z.record(z.string().regex(/^[A-Za-z0-9_.:/-]{1,64}$/), z.string().max(256)),
  host: HostIdentitySchema,
  hostNetns: z.object({ inode: inode().nullable(), error: FailureReasonSchema.nullable() }),
  processes: z.array(ProcessSchema).max(LIMITS.processes),
  handles: z.array(HandleSchema).max(LIMITS.handles),
  /** Handles of namespaces found only through an fd, a thread or another mount namespace; absent in older bundles. */
  holders: z.array(HolderSchema).max(LIMITS.handles).optional(),
  namespaces: z.array(NamespaceCaptureSchema).max(LIMITS.namespaces),
  nsidMaps: z.array(NsidMapCaptureSchema).max(LIMITS.namespaces),
  probes: z.array(ProbeStatusSchema).max(256),
  gaps: z.array(GapSchema).max(LIMITS.namespaces + LIMITS.processes),
  /** Pod and container names from the runtimes' own files (probe runtime-names); absent in older bundles. */
  runtimeNames: RuntimeNamesSchema.optional(),
});
export type Bundle = z.infer<typeof BundleSchema>;
