import type { Bundle, Capture } from '../schema/bundle.js';
import type { NsidEntry, ParseIssue } from '../model.js';
import { parseCapture, type NamespaceDumpResult } from '../parse/registry.js';
import { SPECS } from '../specs/catalogue.js';
import { correlate, type Correlation, type NsView, type PairingInput } from './pairing.js';

export interface NamespaceFacts {
  inode: number;
  isHost: boolean;
  names: string[];
  handles: Bundle['handles'];
  pids: number[];
  /** The parsed dump, or null when none is usable; `problem` then says why. */
  dump: NamespaceDumpResult | null;
  /** What the dump's command printed on stderr. */
  dumpStderr: string;
  problem: string | null;
  issues: ParseIssue[];
}

export interface BundleView {
  namespaces: NamespaceFacts[];
  input: PairingInput;
}

/**
 * Everything a bundle says about each namespace, from all its sources: the
 * processes and handles that lead to it, its parsed link dump, and the nsid
 * maps that can be read for it. Shared by the collector (to decide where an
 * own map is needed) and the analyzer (to correlate what it ingests).
 */
/** The parts of a bundle the view reads: the collector has these before the bundle is complete. */
export type BundleFacts = Pick<Bundle, 'hostNetns' | 'processes' | 'handles' | 'namespaces' | 'nsidMaps'>;

/** How the view reads a link dump: `parseCapture`, or a caller's cache of its results. */
export type DumpParser = (capture: Capture) => ReturnType<typeof parseCapture>;

export function viewBundle(bundle: BundleFacts, parse: DumpParser = parseCapture): BundleView {
  const facts = new Map<number, NamespaceFacts>();
  const get = (inode: number): NamespaceFacts => {
    let f = facts.get(inode);
    if (!f) {
      f = { inode, isHost: inode === bundle.hostNetns.inode, names: [], handles: [], pids: [], dump: null, dumpStderr: '', problem: null, issues: [] };
      facts.set(inode, f);
    }
    return f;
  };
  if (bundle.hostNetns.inode !== null) get(bundle.hostNetns.inode);
  for (const p of bundle.processes) if (p.netns !== null) get(p.netns).pids.push(p.pid);
  const nameToInode = new Map<string, number>();
  for (const h of bundle.handles) {
    if (h.inode === null) continue;
    const f = get(h.inode);
    f.handles.push(h);
    if (h.kind === 'named' && h.name !== null) {
      f.names.push(h.name);
      nameToInode.set(h.name, h.inode);
    }
  }
  const missing = new Map<number, string>();
  const listed = new Set<number>();
  for (const ns of bundle.namespaces) {
    const f = get(ns.inode);
    if (listed.has(ns.inode)) {
      // One inode is one namespace: a second listing (corrupt or forged) is reported, never merged over the first.
      f.issues.push({ line: null, message: 'namespace listed twice in the bundle: the first listing is kept, the second left out' });
      continue;
    }
    listed.add(ns.inode);
    if (ns.isHost) f.isHost = true;
    const capture = pickDump(ns.captures);
    const parsed = capture ? parse(capture) : null;
    if (parsed?.status === 'parsed') {
      f.dump = parsed.value;
      f.dumpStderr = capture?.stderr ?? '';
      for (const issue of parsed.issues) f.issues.push(issue);
    } else {
      f.problem = ns.failure ? `${ns.failure.reason}: ${ns.failure.detail}` : parsed ? (parsed.status === 'unusable' ? parsed.reason : 'empty output') : 'no capture';
      if (parsed) for (const issue of parsed.issues) f.issues.push(issue);
    }
  }
  for (const f of facts.values()) {
    if (f.dump) continue;
    if (!f.problem) f.problem = 'not captured';
    missing.set(f.inode, f.problem);
  }

  // Captured maps by observer: lsns gives inodes, `netns list-id` gives /run/netns names.
  const capturedMaps = new Map<number, Map<number, number>>();
  const lists = new Map<number, Set<number>>();
  const excluded = new Map<number, Set<number>>();
  const addEntry = (observer: number, nsid: number, target: number | undefined) => {
    if (target === undefined) return;
    let map = capturedMaps.get(observer);
    if (!map) capturedMaps.set(observer, (map = new Map()));
    if (!map.has(nsid)) map.set(nsid, target);
  };
  const exclude = (observer: number, target: number) => {
    let set = excluded.get(observer);
    if (!set) excluded.set(observer, (set = new Set()));
    set.add(target);
  };
  // A `netns list-id` lists every nsid of its observer and names each one a /run/netns entry has:
  // a named namespace it does not name is behind none of them — unless it complained on stderr
  // (iproute2 6.1 prints "Peer netns reference is invalid" for an entry it could not look up).
  const addList = (observer: number, entries: NsidEntry[], clean: boolean) => {
    let list = lists.get(observer);
    if (!list) lists.set(observer, (list = new Set()));
    const named = new Set<number>();
    for (const e of entries) {
      list.add(e.nsid);
      const target = e.name !== null ? nameToInode.get(e.name) : undefined;
      addEntry(observer, e.nsid, target);
      if (target !== undefined) named.add(target);
    }
    if (clean) for (const target of nameToInode.values()) if (!named.has(target)) exclude(observer, target);
  };
  for (const m of bundle.nsidMaps) {
    const parser = SPECS[m.capture.spec]?.parser;
    if (parser?.yields === 'nsid-map-by-inode') {
      const parsed = parser.parse(m.capture.stdout);
      if (parsed.status !== 'parsed') continue;
      for (const e of parsed.value.nsids) addEntry(m.observer, e.nsid, e.inode ?? undefined);
      // lsns prints "unassigned" for a namespace the observer has no nsid for.
      for (const n of parsed.value.namespaces) if (n.nsid === null && n.inode !== m.observer) exclude(m.observer, n.inode);
    } else if (parser?.yields === 'nsid-map-by-name') {
      const parsed = parser.parse(m.capture.stdout);
      if (parsed.status === 'parsed') addList(m.observer, parsed.value, m.capture.stderr.trim() === '');
    }
  }
  for (const f of facts.values()) if (f.dump?.nsids) addList(f.inode, f.dump.nsids, f.dumpStderr.trim() === '');

  const namespaces: NsView[] = [];
  for (const f of [...facts.values()].sort((a, b) => a.inode - b.inode)) {
    const list = lists.get(f.inode);
    f.names.sort();
    namespaces.push({
      inode: f.inode,
      captured: f.dump !== null,
      links: f.dump?.links ?? [],
      nsids: new Map(capturedMaps.get(f.inode) ?? []),
      listed: list ? [...list].sort((a, b) => a - b) : null,
      excluded: [...(excluded.get(f.inode) ?? [])].filter((t) => t !== f.inode).sort((a, b) => a - b),
      names: f.names,
    });
  }
  // A process or handle whose namespace link could not be read leads to a namespace nsnap cannot name.
  const unidentified = [
    ...bundle.processes.filter((p) => p.netns === null && p.netnsError !== null && p.netnsError !== 'vanished').map((p) => `pid ${p.pid}: ${p.netnsError}`),
    ...bundle.handles.filter((h) => h.inode === null && h.error !== null && h.error !== 'vanished' && h.error !== 'not-a-namespace').map((h) => `${h.path}: ${h.error}`),
  ];
  return { namespaces: [...facts.values()].sort((a, b) => a.inode - b.inode), input: { namespaces, missing, unidentified } };
}

export function correlateBundle(bundle: BundleFacts, parse: DumpParser = parseCapture): { view: BundleView; correlation: Correlation } {
  const view = viewBundle(bundle, parse);
  return { view, correlation: correlate(view.input) };
}

/** The namespace's dump: a JSON one before a text one (which lacks addresses and kinds). */
function pickDump(captures: Capture[]): Capture | undefined {
  const dumps = captures.filter((c) => SPECS[c.spec]?.parser.yields === 'namespace-dump');
  return dumps.find((c) => c.spec !== 'ip_link_text') ?? dumps[0];
}
