// What a report embeds: the data the page draws, built in Node (data.ts, topology.ts, layout.ts) and
// read by the browser script (ui/). Shared by both sides as types only; every text in it is data
// that the page shows with textContent, never as markup.

/** What a drawn element is in a diff: the later snapshot's own, new, gone, or changed. */
export type Status = 'same' | 'added' | 'removed' | 'changed';

export interface SnapshotLabel {
  id: string;
  host: string;
  takenAt: string;
  bootId: string | null;
}

export interface OwnerFacts {
  netns: number;
  host: boolean;
  captured: boolean;
  problem: string | null;
  names: string[];
  mounts: string[];
  processes: { pid: number; comm: string | null }[];
  containers: { runtime: string; id: string; podUid: string | null }[];
}

export interface InterfaceFacts {
  ifname: string;
  ifindex: number;
  kind: string | null;
  mtu: number | null;
  operstate: string | null;
  master: string | null;
  address: string | null;
  alias: string | null;
  addresses: string[];
}

/** A namespace box: its owners and the interfaces drawn in it. */
export interface Box {
  id: string;
  owner: OwnerFacts;
  status: Status;
  /** Why it is drawn as changed or uncertain, one line each ("processes: …"). */
  notes: string[];
  interfaces: Port[];
}

/** An interface drawn as a node in its namespace's box. */
export interface Port {
  id: string;
  facts: InterfaceFacts;
  status: Status;
  notes: string[];
  /** Why a veth has no proven peer (peers' unpaired reason), when it has none. */
  unpaired: { reason: string; detail: string } | null;
}

/** A drawn edge: a veth pair (a host end folded into it is named in `via`), a bridge port, a lower device. */
export interface Edge {
  id: string;
  kind: 'veth' | 'lower';
  source: string;
  target: string;
  status: Status;
  /** The host-side veth folded into this edge (its node is not drawn), with its facts. */
  via: InterfaceFacts | null;
  method: string | null;
  label: string;
}

export interface Topology {
  boxes: Box[];
  edges: Edge[];
  /** Centres of every node: boxes, interfaces, placeholders (cytoscape `preset`). */
  positions: Record<string, { x: number; y: number }>;
  /** Each box's size: drawn as a node behind its interfaces, not as a compound node (keeping compound bounds up to date was most of the first draw of 400 namespaces, profiled in chromium). */
  sizes: Record<string, { w: number; h: number }>;
  /** Boxes the layout could not place in a pattern (namespaces joined only to each other): laid out by fcose in the page, inside their region. */
  leftovers: string[];
  gaps: { source: string; probe: string; subject: string; reason: string; detail: string }[];
}

/** The counts `nsnap diff` states, from its answer. */
export interface DiffCounts {
  namespaces: { added: number; removed: number; changed: number; uncertain: number; replaced: number; unknown: number; notComparable: number };
  interfaces: { added: number; removed: number; changed: number };
  pairs: { added: number; removed: number };
  gaps: { uncaptured: number; carried: number; added: number; removed: number };
}

/** A bar of the timeline: a namespace or a veth pair from the first to the last snapshot that saw it. */
export interface Bar {
  id: string;
  kind: 'namespace' | 'pair';
  label: string;
  /** Indexes into `Timeline.snapshots`. */
  first: number;
  last: number;
  /** Snapshots in [first, last] that could not capture it. */
  gaps: number[];
  owner: OwnerFacts | null;
  /** What changed about it, step by step (the history answer). */
  changes: { at: number; text: string }[];
}

export interface Timeline {
  snapshots: SnapshotLabel[];
  bars: Bar[];
}

export interface ReportData {
  version: 1;
  title: string;
  /** The snapshot drawn (mode snapshot), or the later one of a diff. */
  topology: { snapshot: SnapshotLabel; graph: Topology } | null;
  diff: { from: SnapshotLabel; to: SnapshotLabel; counts: DiffCounts; lines: { status: Status; text: string }[] } | null;
  timeline: Timeline | null;
}

/** The node drawn in a box that has no interface to show (not captured, or nothing but lo). */
export const placeholderId = (boxId: string) => `${boxId}/empty`;
