import type { Link } from '../model.js';
import { NsidKnowledge } from './nsid-knowledge.js';

/** One namespace as the pairing code sees it. */
export interface NsView {
  inode: number;
  /** False when no link dump exists for it: its links are unknown, not absent. */
  captured: boolean;
  links: Link[];
  /** Exact nsid → inode entries known for this observer (lsns, `netns list-id` names). */
  nsids: Map<number, number>;
  /** This observer's complete nsid list (`netns list-id`), null when none was captured. */
  listed: number[] | null;
  /**
   * Namespaces a captured map proves are behind none of this observer's nsids
   * but those in `nsids`: lsns said "unassigned", or `netns list-id` did not
   * name them although they have a /run/netns name.
   */
  excluded: number[];
  /** Names this namespace has in /run/netns, for `link-netns NAME` in text dumps. */
  names: string[];
}

export interface EndRef {
  netns: number;
  ifindex: number;
  ifname: string;
}

/**
 * How a pair, a lower or an nsid was decided (docs/correlation.md):
 * - `same-netns`: both ends in one namespace, named by `link`;
 * - `nsid-map`: a captured map (lsns, netns list-id) names the peer's namespace;
 * - `unique-candidate`: the only device among the captured namespaces with the mutual
 *   ifindex/link_index, while nothing shows a namespace nsnap could not see or read;
 * - `nsid-consistency`: decided by an nsid that another decided pair implies, or the
 *   only candidate left once other ends were paired.
 */
export type Method = 'same-netns' | 'nsid-map' | 'unique-candidate' | 'nsid-consistency';

export interface Pair {
  a: EndRef;
  b: EndRef;
  method: Method;
}

/**
 * Why a veth end has no peer (docs/correlation.md):
 * - `ambiguous`: several devices fit and no map decides;
 * - `unconfirmed`: one device fits among the captured namespaces, but namespaces exist that
 *   nsnap could not see or read, and no exact map confirms it;
 * - `unseen-peer`: the peer is in a namespace nsnap could not see;
 * - `unreadable-peer`: the peer's namespace is known but could not be read;
 * - `dangling`: the peer's namespace was read and the peer is not there: it is gone;
 * - `no-peer-index`: the kernel does not say where the peer is.
 */
export type UnpairedReason = 'ambiguous' | 'unconfirmed' | 'unseen-peer' | 'unreadable-peer' | 'dangling' | 'no-peer-index';

export interface Unpaired {
  end: EndRef;
  reason: UnpairedReason;
  detail: string;
  /** For `ambiguous` and `unconfirmed`: the ends it could be paired with, at most MAX_CANDIDATES of them (the detail says when there were more). */
  candidates: EndRef[];
}

/** A device whose lower/parent is elsewhere (macvlan, ipvlan, vlan, vxlan underlay) or whose master is named. */
export interface LowerLink {
  end: EndRef;
  relation: 'lower' | 'master';
  target: EndRef | null;
  method: Method | null;
  detail: string | null;
}

export interface NsidMapEntry {
  observer: number;
  nsid: number;
  target: number;
  method: 'nsid-map' | 'inferred';
}

export interface Correlation {
  pairs: Pair[];
  unpaired: Unpaired[];
  lowers: LowerLink[];
  nsidMaps: NsidMapEntry[];
  /**
   * Namespaces whose own nsid map would confirm or settle what link data left
   * open (a pair not backed by a map, an ambiguous or unseen peer, a lower
   * behind an unknown nsid): where the collector spends a `netns list-id` or lsns.
   */
  needMaps: number[];
}

export interface PairingInput {
  namespaces: NsView[];
  /** Namespaces known to exist but not captured, with why (denied, vanished...). */
  missing: Map<number, string>;
  /** Namespaces known to exist whose identity could not even be read (a denied /proc/PID/ns/net), with why. */
  unidentified: string[];
}

interface End {
  ns: NsView;
  link: Link;
  ref: EndRef;
}

/** Cross ends alike in ifindex and link_index: by their own namespace, by the peer namespace their nsid names, or with that unknown. */
interface Bucket {
  byNs: Map<number, End[]>;
  byTarget: Map<number, End[]>;
  unknown: End[];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const isVethLike = (l: Link) => l.kind === 'veth' || l.kind === null;

/**
 * Pairs veth ends across namespaces by mutual ifindex/link_index, following
 * plotnetcfg: exact when an nsid map says so, else a unique candidate, else a
 * warning — never a guess. First only what is proven (maps, and the nsids that
 * proven pairs imply) decides, to a fixpoint. Then, only for ends where nothing
 * shows a namespace nsnap could not see or read, a lone candidate decides too.
 * Each round decides from the state at its start, so the result is independent
 * of the order namespaces and links come in. Pure.
 */
export function correlate(input: PairingInput): Correlation {
  const namespaces = [...input.namespaces].sort((a, b) => a.inode - b.inode);
  const byInode = new Map(namespaces.map((n) => [n.inode, n]));
  const byName = new Map<string, number>();
  for (const ns of namespaces) for (const name of ns.names) byName.set(name, ns.inode);
  const known = new NsidKnowledge(namespaces);

  const pairs: Pair[] = [];
  const unpaired: Unpaired[] = [];
  const paired = new Set<End>();
  const ref = (ns: NsView, link: Link): EndRef => ({ netns: ns.inode, ifindex: link.ifindex, ifname: link.ifname });

  // Ends that point at a peer in another namespace, and same-namespace pairs by name.
  const cross: End[] = [];
  for (const ns of namespaces) {
    const local = linksByName(ns.links);
    for (const link of ns.links) {
      if (!isVethLike(link)) continue;
      const crossNs = link.linkIndex !== null && (link.linkNetnsid !== null || link.linkNetnsName !== null);
      if (crossNs) {
        cross.push({ ns, link, ref: ref(ns, link) });
        continue;
      }
      if (link.kind !== 'veth') continue;
      const peerName = link.linkName;
      const peerByIndex = link.linkIndex !== null && link.linkIndex !== link.ifindex ? ns.links.find((l) => l.ifindex === link.linkIndex) : undefined;
      const peer = peerName !== null ? local().get(peerName) : peerByIndex;
      if (peer === link) {
        // A forged or corrupt dump: no veth is its own peer. Reported, never paired.
        unpaired.push({ end: ref(ns, link), reason: 'dangling', detail: 'the veth names itself as its peer: no such pair exists', candidates: [] });
        continue;
      }
      if (peer && (peer.linkName === link.ifname || peer.linkIndex === link.ifindex)) {
        if (link.ifindex < peer.ifindex) pairs.push({ a: ref(ns, link), b: ref(ns, peer), method: 'same-netns' });
        continue;
      }
      if (peerName === null && (link.linkIndex === null || link.linkIndex === link.ifindex)) {
        unpaired.push({ end: ref(ns, link), reason: 'no-peer-index', detail: 'the kernel reports no peer index for this veth (kernels before 2019 do not)', candidates: [] });
      } else {
        unpaired.push({ end: ref(ns, link), reason: 'dangling', detail: `peer ${peerName ?? `#${link.linkIndex}`} not found in the same namespace: it is gone`, candidates: [] });
      }
    }
  }

  /** The inode `e`'s nsid (or netns name) names, undefined when unknown, null for a name no namespace has. */
  const peerInode = (e: End): number | null | undefined => {
    if (e.link.linkNetnsName !== null) return byName.get(e.link.linkNetnsName) ?? null;
    return known.entry(e.ns.inode, e.link.linkNetnsid as number)?.target;
  };
  // Index cross ends by ifindex, then link_index, then where they can be: an end whose peer
  // namespace is known only fits ends of that namespace, so candidate search is not quadratic.
  // Targets, once known, never change: an end filed as unknown is only scanned, then filtered.
  const index = new Map<number, Map<number, Bucket>>();
  for (const e of cross) {
    let byLinkIndex = index.get(e.link.ifindex);
    if (!byLinkIndex) index.set(e.link.ifindex, (byLinkIndex = new Map()));
    let bucket = byLinkIndex.get(e.link.linkIndex as number);
    if (!bucket) byLinkIndex.set(e.link.linkIndex as number, (bucket = { byNs: new Map(), byTarget: new Map(), unknown: [] }));
    push(bucket.byNs, e.ns.inode, e);
    const target = peerInode(e);
    if (target === undefined) bucket.unknown.push(e);
    else if (target !== null) push(bucket.byTarget, target, e);
  }
  // Could end `e`'s nsid name namespace `target`, given what is known?
  const fits = (e: End, target: number): boolean => {
    const peer = peerInode(e);
    if (peer !== undefined && peer !== null) return peer === target;
    if (e.link.linkNetnsName !== null) return false;
    const already = known.nsidFor(e.ns.inode, target);
    if (already !== undefined) return already === e.link.linkNetnsid;
    return !known.isExcluded(e.ns.inode, target, e.link.linkNetnsid as number);
  };
  const compatible = (a: End, b: End): boolean => a.ns !== b.ns && fits(a, b.ns.inode) && fits(b, a.ns.inode);
  /** `a`'s candidates, the first `limit` found: a round only asks whether there is exactly one. */
  const candidatesOf = (a: End, limit: number): End[] => {
    const bucket = index.get(a.link.linkIndex as number)?.get(a.link.ifindex);
    const target = peerInode(a);
    if (!bucket || target === null) return [];
    const out: End[] = [];
    const lists = target !== undefined ? [bucket.byNs.get(target) ?? []] : [bucket.byTarget.get(a.ns.inode) ?? [], bucket.unknown];
    for (const list of lists) {
      for (const b of list) {
        if (out.length === limit) return out;
        if (!paired.has(b) && compatible(a, b)) out.push(b);
      }
    }
    return out;
  };
  /** How a proven nsid of `e` names `peer`'s namespace, or null when none does. */
  const provenBy = (e: End, peer: End): Method | null => {
    if (e.link.linkNetnsName !== null) return byName.get(e.link.linkNetnsName) === peer.ns.inode ? 'nsid-map' : null;
    const entry = known.entry(e.ns.inode, e.link.linkNetnsid as number);
    if (!entry?.proven || entry.target !== peer.ns.inode) return null;
    return entry.method === 'nsid-map' ? 'nsid-map' : 'nsid-consistency';
  };

  /**
   * One round: every unpaired end proposes its lone candidate when `may`
   * allows; an end proposed with two different partners is left out. The
   * decided pairs' nsids are learned, proven or not as the round says.
   */
  const inferred = new Set<End>();
  // Ends whose lone candidate was refused because another proposal implies other nsids, with why.
  const conflicts = new Map<End, string>();
  // Ends alone with one candidate before anything was decided: filled by the first round's scan.
  const initiallyAlone = new Set<End>();
  let firstRound = true;
  const round = (may: (a: End, b: End) => Method | null, proven: boolean): number => {
    if (paired.size === cross.length) return 0;
    const proposals: [End, End, Method][] = [];
    const partners = new Map<End, Set<End>>();
    const propose = (a: End, b: End, method: Method) => {
      proposals.push([a, b, method]);
      for (const [x, y] of [[a, b], [b, a]] as const) {
        let s = partners.get(x);
        if (!s) partners.set(x, (s = new Set()));
        s.add(y);
      }
    };
    for (const a of cross) {
      if (paired.has(a)) continue;
      const cands = candidatesOf(a, 2);
      if (cands.length !== 1) continue;
      if (firstRound) initiallyAlone.add(a);
      const b = cands[0] as End;
      const method = may(a, b);
      if (method) propose(a, b, method);
    }
    firstRound = false;
    const agreed: [End, End, Method][] = [];
    const taken = new Set<End>();
    for (const [a, b, method] of proposals) {
      if ((partners.get(a)?.size ?? 0) > 1 || (partners.get(b)?.size ?? 0) > 1 || taken.has(a) || taken.has(b)) continue;
      taken.add(a).add(b);
      agreed.push(compareRef(a.ref, b.ref) < 0 ? [a, b, method] : [b, a, method]);
    }
    const decided = consistent(agreed, conflicts);
    for (const [a, b, method] of decided) {
      paired.add(a);
      paired.add(b);
      if (!proven) inferred.add(a).add(b);
      pairs.push({ a: a.ref, b: b.ref, method });
    }
    for (const [a, b] of decided) {
      if (a.link.linkNetnsid !== null) known.learn(a.ns.inode, a.link.linkNetnsid, b.ns.inode, 'inferred', proven);
      if (b.link.linkNetnsid !== null) known.learn(b.ns.inode, b.link.linkNetnsid, a.ns.inode, 'inferred', proven);
    }
    return decided.length;
  };

  // What is proven: an nsid a map names, or one that a proven pair implies.
  const best = (x: Method | null, y: Method | null): Method | null => (x === 'nsid-map' || y === 'nsid-map' ? 'nsid-map' : x ?? y);
  while (round((a, b) => best(provenBy(a, b), provenBy(b, a)), true) > 0);

  // A lone candidate among the captured namespaces, only where nothing shows one out of sight:
  // `unique-candidate` when link data and maps alone left it alone, else narrowed by other pairs.
  const doubts = new Doubts(known, input);
  while (round((a) => (doubts.of(a.ns.inode) !== null ? null : initiallyAlone.has(a) ? 'unique-candidate' : 'nsid-consistency'), false) > 0);

  const needMaps = new Set<number>();
  const needs = (e: End) => {
    if (known.entry(e.ns.inode, e.link.linkNetnsid as number)?.proven !== true && e.link.linkNetnsName === null) needMaps.add(e.ns.inode);
  };
  for (const e of inferred) needs(e);
  for (const a of cross) {
    if (paired.has(a)) continue;
    needs(a);
    const cands = candidatesOf(a, MAX_CANDIDATES + 1);
    for (const c of cands) needs(c);
    unpaired.push(explainUnpaired(a, cands, peerInode(a), doubts.of(a.ns.inode), byInode, input.missing, conflicts.get(a)));
  }

  const lowers = resolveLowers(namespaces, known, byName, input.missing, needMaps);
  pairs.sort((x, y) => compareRef(x.a, y.a));
  unpaired.sort((x, y) => compareRef(x.end, y.end));
  return { pairs, unpaired, lowers, nsidMaps: known.entries(), needMaps: [...needMaps].sort((x, y) => x - y) };
}

/**
 * Candidates sought and recorded per unpaired end: a forged bundle of n alike
 * ends would otherwise cost n² to search and store. The detail says when
 * there were more.
 */
export const MAX_CANDIDATES = 16;

/**
 * The proposals of one round whose implied nsids agree with every other's. Each pair says which
 * nsid each end's namespace has for the other's; two proposals that give one observer two targets
 * for one nsid, or two nsids for one target, cannot both be true, and nothing says which one is:
 * both are refused (`conflicts` says why), so the answer does not depend on which came first.
 */
function consistent(proposals: [End, End, Method][], conflicts: Map<End, string>): [End, End, Method][] {
  const implied = (x: End, y: End) => (x.link.linkNetnsName === null && x.link.linkNetnsid !== null ? [{ observer: x.ns.inode, nsid: x.link.linkNetnsid, target: y.ns.inode }] : []);
  const byNsid = new Map<string, Set<number>>();
  const byTarget = new Map<string, Set<number>>();
  const note = (map: Map<string, Set<number>>, key: string, value: number) => {
    let s = map.get(key);
    if (!s) map.set(key, (s = new Set()));
    s.add(value);
  };
  const facts = proposals.map(([a, b]) => [...implied(a, b), ...implied(b, a)]);
  for (const list of facts) {
    for (const f of list) {
      note(byNsid, `${f.observer}:${f.nsid}`, f.target);
      note(byTarget, `${f.observer}:${f.target}`, f.nsid);
    }
  }
  const out: [End, End, Method][] = [];
  proposals.forEach((p, i) => {
    const clash = (facts[i] ?? []).find((f) => (byNsid.get(`${f.observer}:${f.nsid}`)?.size ?? 0) > 1 || (byTarget.get(`${f.observer}:${f.target}`)?.size ?? 0) > 1);
    if (!clash) {
      out.push(p);
      return;
    }
    const nsids = [...(byTarget.get(`${clash.observer}:${clash.target}`) ?? [])].sort((x, y) => x - y);
    const targets = [...(byNsid.get(`${clash.observer}:${clash.nsid}`) ?? [])].sort((x, y) => x - y);
    const why =
      nsids.length > 1
        ? `other lone candidates imply that namespace ${clash.observer} has nsids ${nsids.join(' and ')} for namespace ${clash.target}, and it has one`
        : `other lone candidates imply that nsid ${clash.nsid} of namespace ${clash.observer} names namespaces ${targets.join(' and ')}, and it names one`;
    conflicts.set(p[0], why).set(p[1], why);
  });
  return out;
}

function explainUnpaired(
  a: End,
  cands: End[],
  target: number | null | undefined,
  doubt: string | null,
  byInode: Map<number, NsView>,
  missing: Map<number, string>,
  conflict: string | undefined,
): Unpaired {
  const where = a.link.linkNetnsName !== null ? `netns "${a.link.linkNetnsName}"` : `nsid ${a.link.linkNetnsid}`;
  const match = `ifindex ${a.link.linkIndex} with link_index ${a.link.ifindex}`;
  const unpaired = (reason: UnpairedReason, detail: string, candidates: End[] = []): Unpaired => ({
    end: a.ref,
    reason,
    detail,
    candidates: candidates
      .slice(0, MAX_CANDIDATES)
      .map((c) => c.ref)
      .sort(compareRef),
  });
  const count = cands.length > MAX_CANDIDATES ? `more than ${MAX_CANDIDATES} devices match ${match} (the first ${MAX_CANDIDATES} found are listed)` : `${cands.length} devices match ${match}`;
  if (cands.length > 1) return unpaired('ambiguous', `${count}; no nsid map decides${doubt ? `; and ${doubt}` : ''}`, cands);
  if (cands.length === 1) {
    if (doubt) return unpaired('unconfirmed', `1 device matches ${match} among the captured namespaces, but that is not proof: ${doubt}; no nsid map confirms it`, cands);
    if (conflict) return unpaired('ambiguous', `1 device matches ${match}, but that is not proof: ${conflict}; no nsid map decides`, cands);
    return unpaired('ambiguous', `1 device matches ${match}, but it is also the lone candidate of another end`, cands);
  }
  if (target === a.ns.inode && a.link.linkIndex === a.link.ifindex) return unpaired('dangling', `the veth names itself as its peer (${where} is its own namespace): no such pair exists`);
  if (target === null) return unpaired('unseen-peer', `peer in a namespace nsnap could not see: no captured namespace is named ${where}`);
  if (target !== undefined) {
    const peerNs = byInode.get(target);
    if (peerNs?.captured) return unpaired('dangling', `peer ifindex ${a.link.linkIndex} not found in namespace ${target} (${where}): it is gone`);
    const why = missing.get(target);
    if (why === undefined) return unpaired('unseen-peer', `peer in namespace ${target} (${where}), which an nsid map names but nsnap could not see`);
    if (why.startsWith('vanished')) return unpaired('dangling', `peer namespace ${target} (${where}) vanished during the scan: ${why}`);
    return unpaired('unreadable-peer', `peer in namespace ${target} (${where}), which nsnap could not read: ${why}`);
  }
  return unpaired('unseen-peer', `peer in a namespace nsnap could not see: ${where} names no captured namespace${doubt ? `; ${doubt}` : ''}`);
}

/**
 * Why a lone candidate is not proof for ends in a namespace: the namespaces
 * known to exist that nsnap could not read (unless this observer's maps place
 * them), and the nsids some captured list shows that nothing proven names.
 * Null when nothing shows a namespace out of sight.
 */
class Doubts {
  private readonly cache = new Map<number, string | null>();
  private readonly global: string[];

  constructor(
    private readonly known: NsidKnowledge,
    private readonly input: PairingInput,
  ) {
    this.global = [];
    if (input.unidentified.length > 0) this.global.push(`${input.unidentified.length} namespace link(s) could not be read (${sample(input.unidentified)})`);
    const open = known.unaccounted();
    if (open.length > 0) this.global.push(`no captured namespace is proven to be ${sample(open.map((o) => `nsid ${o.nsid} of namespace ${o.observer}`))}`);
    const crowded = crowdedObservers(input);
    if (crowded.length > 0) this.global.push(`${sample(crowded)}: more namespaces than nsnap found`);
  }

  of(observer: number): string | null {
    let doubt = this.cache.get(observer);
    if (doubt !== undefined) return doubt;
    const parts = [...this.global];
    const unsettled = [...this.input.missing].filter(([inode]) => inode !== observer && !this.known.isSettled(observer, inode));
    if (unsettled.length > 0) parts.push(`${unsettled.length} namespace(s) nsnap could not read (${sample(unsettled.map(([inode, why]) => `${inode}: ${why}`))})`);
    doubt = parts.length > 0 ? parts.join('; ') : null;
    this.cache.set(observer, doubt);
    return doubt;
  }
}

/**
 * Namespaces that show more distinct nsids (on their devices, or in their own nsid list) than there
 * are other namespaces nsnap knows of: each nsid names one other namespace, so at least one is out
 * of sight, even when no list and no unreadable link says so.
 */
function crowdedObservers(input: PairingInput): string[] {
  const known = new Set([...input.namespaces.map((v) => v.inode), ...input.missing.keys()]);
  const out: string[] = [];
  for (const ns of [...input.namespaces].sort((a, b) => a.inode - b.inode)) {
    if (!ns.captured) continue;
    const nsids = new Set<number>(ns.listed ?? []);
    for (const l of ns.links) if (l.linkNetnsid !== null && l.linkNetnsName === null) nsids.add(l.linkNetnsid);
    const others = known.size - (known.has(ns.inode) ? 1 : 0);
    if (nsids.size > others) out.push(`namespace ${ns.inode} uses ${nsids.size} nsids but ${others} other namespace(s) are known`);
  }
  return out;
}

function sample(items: string[]): string {
  return items.length > 3 ? `${items.slice(0, 3).join(', ')}, …` : items.join(', ');
}

/**
 * Lower devices (macvlan/ipvlan/vlan parent, vxlan underlay) and masters. A
 * lower in another namespace is found through the observer's nsid for it;
 * when no map or proven pair names that nsid, the namespace's own map is asked
 * for (`needMaps`). A vxlan reports its own ifindex as `link_index`: its lower
 * is the underlay (`info_data.link`), an ifindex in the link namespace.
 */
function resolveLowers(namespaces: NsView[], known: NsidKnowledge, byName: Map<string, number>, missing: Map<number, string>, needMaps: Set<number>): LowerLink[] {
  const byInode = new Map(namespaces.map((n) => [n.inode, n]));
  const out: LowerLink[] = [];
  for (const ns of namespaces) {
    const local = linksByName(ns.links);
    const here = (l: Link): EndRef => ({ netns: ns.inode, ifindex: l.ifindex, ifname: l.ifname });
    for (const link of ns.links) {
      const end = here(link);
      if (link.master !== null) {
        const m = local().get(link.master);
        out.push({ end, relation: 'master', target: m ? here(m) : null, method: m ? 'same-netns' : null, detail: m ? null : `master ${link.master} not in the dump` });
      }
      if (link.kind === 'veth' || link.kind === null) continue;
      const lowerIndex = lowerIndexOf(link, local);
      if (link.linkNetnsid !== null || link.linkNetnsName !== null) {
        if (lowerIndex === null) continue;
        const entry = link.linkNetnsName !== null ? { target: byName.get(link.linkNetnsName), method: 'nsid-map' as const } : known.entry(ns.inode, link.linkNetnsid as number);
        const target = entry?.target;
        const peerNs = target !== undefined ? byInode.get(target) : undefined;
        const lower = peerNs?.links.find((l) => l.ifindex === lowerIndex);
        if (target !== undefined && lower) {
          out.push({ end, relation: 'lower', target: { netns: target, ifindex: lower.ifindex, ifname: lower.ifname }, method: entry?.method === 'nsid-map' ? 'nsid-map' : 'nsid-consistency', detail: null });
          continue;
        }
        if (target === undefined && link.linkNetnsName === null) needMaps.add(ns.inode);
        const why =
          target === undefined
            ? `nsid ${link.linkNetnsid} is not in any map`
            : !peerNs?.captured
              ? `namespace ${target} was not captured${missing.get(target) ? `: ${missing.get(target)}` : ''}`
              : `ifindex ${lowerIndex} not found in namespace ${target}`;
        out.push({ end, relation: 'lower', target: null, method: null, detail: why });
        continue;
      }
      const byLocalName = link.linkName ?? (typeof link.underlay === 'string' && !/^if\d+$/.test(link.underlay) ? link.underlay : null);
      if (byLocalName !== null) {
        const lower = local().get(byLocalName);
        out.push({ end, relation: 'lower', target: lower ? here(lower) : null, method: lower ? 'same-netns' : null, detail: lower ? null : `lower ${byLocalName} not in the dump` });
      } else if (lowerIndex !== null) {
        const lower = ns.links.find((l) => l.ifindex === lowerIndex);
        out.push({ end, relation: 'lower', target: lower ? here(lower) : null, method: lower ? 'same-netns' : null, detail: lower ? null : `lower #${lowerIndex} not in the dump` });
      }
    }
  }
  return out;
}

/**
 * The ifindex of a device's lower: its `link_index`, or for a tunnel that
 * names itself there (vxlan), its underlay. iproute2 prints the underlay as
 * `ifN`, or as the name the *local* device with that ifindex has — so a name
 * stands for that device's ifindex, which is what the kernel reported.
 */
function lowerIndexOf(link: Link, local: () => Map<string, Link>): number | null {
  if (link.linkIndex !== null && link.linkIndex !== link.ifindex && link.linkIndex !== 0) return link.linkIndex;
  const u = link.underlay;
  if (typeof u === 'number') return u > 0 ? u : null;
  if (typeof u === 'string') {
    const m = /^if(\d+)$/.exec(u);
    if (m) return Number(m[1]);
    return local().get(u)?.ifindex ?? null;
  }
  return null;
}

/** A namespace's links by name, built on first use: most namespaces never need it. */
function linksByName(links: Link[]): () => Map<string, Link> {
  let map: Map<string, Link> | null = null;
  return () => (map ??= new Map(links.map((l) => [l.ifname, l])));
}

export function compareRef(a: EndRef, b: EndRef): number {
  return a.netns - b.netns || a.ifindex - b.ifindex || (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0);
}
