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

/** A bar of the timeline: a namespace, a veth pair, or a device's period (whois --all), from the first to the last snapshot that saw it. */
export interface Bar {
  id: string;
  kind: 'namespace' | 'pair' | 'device';
  label: string;
  /** Indexes into `Timeline.snapshots` (a device period that began before the range starts at 0). */
  first: number;
  last: number;
  /** Snapshots in [first, last] that could not capture it. */
  gaps: number[];
  owner: OwnerFacts | null;
  /** What changed about it, step by step (the history answer); at most `TimelineLimits.changesPerBar`. */
  changes: { at: number; text: string }[];
  /** Changes past the limit, counted. */
  changesLeftOut: number;
  /** For a device bar: the period `nsnap whois NAME --all` states. */
  period: DevicePeriod | null;
}

/** One period of `whois NAME --all`: who held the name, its peer, and how sure the answer is. */
export interface DevicePeriod {
  ifname: string;
  ifindex: number;
  netns: number;
  kind: string | null;
  master: string | null;
  bootId: string | null;
  first: { id: string; takenAt: string };
  last: { id: string; takenAt: string };
  /** Snapshots of the period that held the name. */
  snapshots: number;
  /** Snapshots inside the period that could not capture or read its namespace. */
  gaps: number;
  /** Why nothing proved this is the namespace of the period before, when nothing did. */
  uncertain: string | null;
  /** Snapshots forgotten (pruned) within the period. */
  forgotten: { snapshots: number; from: string; to: string } | null;
  /** The veth peer, the lower device, or why it has no proven peer: one line each. */
  peer: string | null;
  unpaired: string | null;
  lower: string | null;
}

/** How much a timeline may draw: past these, it leaves out (and says what) rather than grow without bound. */
export interface TimelineLimits {
  /** Snapshots drawn: the latest ones of the range. */
  snapshots: number;
  /** Bars drawn: those seen last. */
  bars: number;
  /** Interface names followed with `whois --all`. */
  deviceNames: number;
  /** Changes listed per bar. */
  changesPerBar: number;
}

/** What a timeline left out to stay within its limits, and how to see it. Nothing is left out silently. */
export interface TimelineOmitted {
  /** The earliest snapshots of the range, not drawn. */
  snapshots: { count: number; from: string; to: string } | null;
  /** Bars not drawn, by kind; every one of them ended by `endedBy`. */
  bars: { namespace: number; pair: number; device: number; endedBy: string } | null;
  /** Interface names not followed with whois --all past `limits.deviceNames` (sorted; the first ones named). */
  deviceNames: { count: number; examples: string[] } | null;
  /** Interface names whois --all refuses to follow (whitespace, "/" or ":" in them: no kernel name has any). */
  refusedNames: { count: number; examples: string[] } | null;
  /** Changes not listed, over all bars. */
  changes: number;
  /** What to run to see what was left out. */
  hints: string[];
}

export interface Timeline {
  snapshots: SnapshotLabel[];
  bars: Bar[];
  /** Snapshots in the range asked for (`snapshots` holds the latest `limits.snapshots` of them). */
  rangeSnapshots: number;
  limits: TimelineLimits;
  omitted: TimelineOmitted;
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
