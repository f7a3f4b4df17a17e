/**
 * The normalized model that every parser produces, whatever the raw format
 * (`ip -j link`, `ip link` text, `ls -l /proc/*\/ns/net`...). Captures in a
 * bundle stay raw; this is what the analyzer and the pairing code work on.
 */
export interface Link {
  ifindex: number;
  ifname: string;
  /** `linkinfo.info_kind` (veth, bridge, macvlan...), null when the output does not say. */
  kind: string | null;
  /** `linkinfo.info_slave_kind`: "bridge" on bridge ports, "bond" on bond slaves. */
  slaveKind: string | null;
  /** Name of the master device (bridge, bond, vrf), in the same namespace. */
  master: string | null;
  /** Peer or lower device ifindex in another namespace (`link_index`, text `@ifN`). */
  linkIndex: number | null;
  /** nsid, as seen from this link's namespace, of the namespace `linkIndex` lives in. */
  linkNetnsid: number | null;
  /** Name of the peer/lower device when it is in the same namespace (`link`, text `@NAME`). */
  linkName: string | null;
  /** Named peer namespace as printed by the text form (`link-netns NAME`). */
  linkNetnsName: string | null;
  mtu: number | null;
  operstate: string | null;
  flags: string[];
  address: string | null;
  linkType: string | null;
  alias: string | null;
  altnames: string[];
  /** Underlay of a vxlan/geneve (`linkinfo.info_data.link`), by ifindex or name. */
  underlay: number | string | null;
  addresses: { family: string; local: string; prefixlen: number }[];
  /** The interface exactly as the source printed it: its JSON object re-serialized, or its text lines. */
  raw: string;
}

/** One entry of a namespace's nsid map: `nsid` is how the observer calls namespace `inode`/`name`. */
export interface NsidEntry {
  nsid: number;
  inode: number | null;
  name: string | null;
}

/** A non-fatal problem a parser met: what it skipped or could not read, and where. */
export interface ParseIssue {
  line: number | null;
  message: string;
}

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
export interface ContainerRef {
  runtime: 'docker' | 'containerd' | 'cri-o' | 'podman' | 'systemd-nspawn' | 'lxc';
  /** Full container id as the runtime names it (64 hex for docker/containerd/cri-o/podman; the machine/container name for nspawn/LXC). */
  id: string;
  /** Kubernetes pod UID (dashes), when the cgroup path is under kubepods. */
  podUid: string | null;
  /** 1 or 2: which cgroup hierarchy the match came from. */
  cgroupVersion: 1 | 2;
}
