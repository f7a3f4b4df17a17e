import { LIMITS, containerFromCgroup, correlateBundle, issueCount, type Bundle, type ContainerRef, type DumpParser, type EndRef, type Link, type Method, type NsidMapEntry, type UnpairedReason } from '@nsnap/shared';
import { boundLink } from './bound-link.js';
import { meteredParser } from './work-budget.js';

export interface NamespaceRow {
  inode: number;
  isHost: boolean;
  captured: boolean;
  problem: string | null;
  enteredVia: string | null;
  enteredPath: string | null;
}

export interface ContainerRow extends ContainerRef {
  netns: number | null;
}

export interface ProcessRow {
  pid: number;
  netns: number | null;
  netnsError: string | null;
  comm: string | null;
  startTime: number | null;
  /** Index into `containers`. */
  container: number | null;
}

export interface LinkRow {
  relation: 'veth' | 'lower' | 'master';
  a: EndRef;
  b: EndRef | null;
  status: 'resolved' | UnpairedReason | 'unresolved';
  method: Method | null;
  detail: string | null;
  candidates: EndRef[];
}

export interface GapRow {
  source: 'collector' | 'ingest';
  probe: string;
  subject: string;
  reason: string;
  detail: string;
}

/** Everything one bundle adds to the database, as plain rows. */
export interface SnapshotRows {
  bundle: Bundle;
  takenAt: string;
  takenEnd: string;
  namespaces: NamespaceRow[];
  handles: (Bundle['handles'][number] & { netns: number | null })[];
  containers: ContainerRow[];
  processes: ProcessRow[];
  interfaces: { netns: number; link: Link }[];
  links: LinkRow[];
  nsids: NsidMapEntry[];
  gaps: GapRow[];
}

const ISSUES_SHOWN = 3;

// The processes of a container share one cgroup text, and most containers
// outlive many snapshots: reading each distinct text once took ~12% off
// ingest (bench/analyzer.mjs). Bounded, and only short texts, to cap memory.
const CGROUP_CACHE_ENTRIES = 4096;
const CGROUP_CACHE_CHARS = 4096;
const cgroupCache = new Map<string, ContainerRef | null>();

function containerOf(cgroup: string): ContainerRef | null {
  const cached = cgroupCache.get(cgroup);
  if (cached !== undefined) return cached;
  const ref = containerFromCgroup(cgroup);
  if (cgroup.length <= CGROUP_CACHE_CHARS) {
    if (cgroupCache.size >= CGROUP_CACHE_ENTRIES) cgroupCache.clear();
    cgroupCache.set(cgroup, ref);
  }
  return ref;
}

/**
 * Turns a validated bundle into rows: the shared parsers read each
 * namespace's dump, the shared correlation pairs veths and resolves lowers
 * and masters, cgroups name containers. Pure; what could not be read becomes
 * an `ingest` gap next to the collector's own. `parse` reads a dump (metered: work-budget.ts).
 */
export function normalizeBundle(bundle: Bundle, parse: DumpParser = meteredParser()): SnapshotRows {
  const { view, correlation } = correlateBundle(bundle, parse);
  const gaps: GapRow[] = bundle.gaps.map((g) => ({ source: 'collector', ...g }));
  // The first listing of a namespace is the one used (a second is a gap, see viewBundle).
  const captured = new Map<number, Bundle['namespaces'][number]>();
  for (const n of bundle.namespaces) if (!captured.has(n.inode)) captured.set(n.inode, n);

  const namespaces: NamespaceRow[] = view.namespaces.map((f) => {
    const entry = captured.get(f.inode)?.entered ?? null;
    return { inode: f.inode, isHost: f.isHost, captured: f.dump !== null, problem: f.problem, enteredVia: entry?.via ?? null, enteredPath: entry?.path ?? null };
  });

  const interfaces: SnapshotRows['interfaces'] = [];
  for (const f of view.namespaces) {
    const subject = `netns ${f.inode}`;
    if (f.dump === null && captured.get(f.inode)?.failure === null) {
      gaps.push({ source: 'ingest', probe: 'parse', subject, reason: 'failed', detail: `link dump unusable: ${f.problem ?? 'unknown'}` });
    }
    if (f.issues.length > 0) {
      const shown = f.issues.slice(0, ISSUES_SHOWN).map((i) => (i.line !== null ? `line ${i.line}: ${i.message}` : i.message));
      const more = issueCount(f.issues) > ISSUES_SHOWN ? ` (+${issueCount(f.issues) - ISSUES_SHOWN} more)` : '';
      gaps.push({ source: 'ingest', probe: 'parse', subject, reason: 'failed', detail: `${issueCount(f.issues)} parse issue(s): ${shown.join('; ')}${more}` });
    }
    const seen = new Set<number>();
    for (const parsed of f.dump?.links ?? []) {
      if (seen.has(parsed.ifindex)) continue;
      seen.add(parsed.ifindex);
      const { link, cut } = boundLink(parsed);
      if (cut.length > 0) {
        gaps.push({ source: 'ingest', probe: 'parse', subject, reason: 'failed', detail: `interface #${link.ifindex}: ${cut.join(', ')} cut to the ${LIMITS.shortChars}-character limit for names` });
      }
      interfaces.push({ netns: f.inode, link });
    }
  }

  const containers: ContainerRow[] = [];
  const containerIndex = new Map<string, number>();
  const processes: ProcessRow[] = [];
  const pids = new Set<number>();
  for (const p of bundle.processes) {
    if (pids.has(p.pid)) {
      gaps.push({ source: 'ingest', probe: 'processes', subject: `pid ${p.pid}`, reason: 'failed', detail: 'listed more than once; the first entry is kept' });
      continue;
    }
    pids.add(p.pid);
    const ref = p.cgroup !== null ? containerOf(p.cgroup) : null;
    let container: number | null = null;
    if (ref) {
      const key = `${p.netns}\0${ref.runtime}\0${ref.id}`;
      container = containerIndex.get(key) ?? null;
      if (container === null) {
        container = containers.push({ ...ref, netns: p.netns }) - 1;
        containerIndex.set(key, container);
      }
    }
    processes.push({ pid: p.pid, netns: p.netns, netnsError: p.netnsError, comm: p.comm, startTime: p.startTime, container });
  }

  const links: LinkRow[] = [
    ...correlation.pairs.map((p): LinkRow => ({ relation: 'veth', a: p.a, b: p.b, status: 'resolved', method: p.method, detail: null, candidates: [] })),
    ...correlation.unpaired.map((u): LinkRow => ({ relation: 'veth', a: u.end, b: null, status: u.reason, method: null, detail: u.detail, candidates: u.candidates })),
    ...correlation.lowers.map((l): LinkRow => ({ relation: l.relation, a: l.end, b: l.target, status: l.target ? 'resolved' : 'unresolved', method: l.method, detail: l.detail, candidates: [] })),
  ];

  return {
    bundle,
    takenAt: new Date(bundle.takenAt.start).toISOString(),
    takenEnd: new Date(bundle.takenAt.end).toISOString(),
    namespaces,
    handles: bundle.handles.map((h) => ({ ...h, netns: h.inode })),
    containers,
    processes,
    interfaces,
    links,
    nsids: correlation.nsidMaps,
    gaps,
  };
}
