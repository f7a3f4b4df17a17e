import { z } from 'zod';

/**
 * The normalized model that every parser produces, whatever the raw format
 * (`ip -j link`, `ip link` text, `ls -l /proc/*\/ns/net`...). Captures in a
 * bundle stay raw; this is what the analyzer and the pairing code work on.
 */
export const LinkSchema = z.object({
  ifindex: z.number().int().nonnegative(),
  ifname: z.string(),
  /** `linkinfo.info_kind` (veth, bridge, macvlan...), null when the output does not say. */
  kind: z.string().nullable(),
  /** `linkinfo.info_slave_kind`: "bridge" on bridge ports, "bond" on bond slaves. */
  slaveKind: z.string().nullable(),
  /** Name of the master device (bridge, bond, vrf), in the same namespace. */
  master: z.string().nullable(),
  /** Peer or lower device ifindex in another namespace (`link_index`, text `@ifN`). */
  linkIndex: z.number().int().nullable(),
  /** nsid, as seen from this link's namespace, of the namespace `linkIndex` lives in. */
  linkNetnsid: z.number().int().nullable(),
  /** Name of the peer/lower device when it is in the same namespace (`link`, text `@NAME`). */
  linkName: z.string().nullable(),
  /** Named peer namespace as printed by the text form (`link-netns NAME`). */
  linkNetnsName: z.string().nullable(),
  mtu: z.number().int().nullable(),
  operstate: z.string().nullable(),
  flags: z.array(z.string()),
  address: z.string().nullable(),
  linkType: z.string().nullable(),
  alias: z.string().nullable(),
  altnames: z.array(z.string()),
  /** Underlay of a vxlan/geneve (`linkinfo.info_data.link`), by ifindex or name. */
  underlay: z.union([z.number().int(), z.string()]).nullable(),
  addresses: z.array(z.object({ family: z.string(), local: z.string(), prefixlen: z.number().int() })),
  /** The interface exactly as the source printed it: its JSON object re-serialized, or its text lines. */
  raw: z.string(),
});
export type Link = z.infer<typeof LinkSchema>;

/** One entry of a namespace's nsid map: `nsid` is how the observer calls namespace `inode`/`name`. */
export const NsidEntrySchema = z.object({
  nsid: z.number().int().nonnegative(),
  inode: z.number().int().positive().nullable(),
  name: z.string().nullable(),
});
export type NsidEntry = z.infer<typeof NsidEntrySchema>;

/** A non-fatal problem a parser met: what it skipped or could not read, and where. */
export const ParseIssueSchema = z.object({
  line: z.number().int().nullable(),
  message: z.string(),
});
export type ParseIssue = z.infer<typeof ParseIssueSchema>;

/**
 * Three outcomes, as in insights-core: the capture held nothing of this kind
 * (`empty`), held something that is not this format (`unusable`, e.g.
 * "command not found"), or was read, perhaps only partly (`parsed`).
 */
export type ParseResult<T> =
  | { status: 'parsed'; value: T; issues: ParseIssue[] }
  | { status: 'empty'; issues: ParseIssue[] }
  | { status: 'unusable'; reason: string; issues: ParseIssue[] };

/**
 * A container recognized from a process's `/proc/PID/cgroup`. `runtime` says
 * whose naming matched; `podUid` is the Kubernetes pod for CRI runtimes.
 */
export const ContainerRefSchema = z.object({
  runtime: z.enum(['docker', 'containerd', 'cri-o', 'podman', 'systemd-nspawn', 'lxc']),
  /** Full container id as the runtime names it (64 hex for docker/containerd/cri-o/podman; the machine/container name for nspawn/LXC). */
  id: z.string(),
  /** Kubernetes pod UID (dashes), when the cgroup path is under kubepods. */
  podUid: z.string().nullable(),
  /** 1 or 2: which cgroup hierarchy the match came from. */
  cgroupVersion: z.union([z.literal(1), z.literal(2)]),
});
export type ContainerRef = z.infer<typeof ContainerRefSchema>;
