import type { Link } from '../model.js';

/** One namespace as the pairing code sees it. */
export interface NsView {
  inode: number;
  /** False when no link dump exists for it: its links are unknown, not absent. */
  captured: boolean;
  links: Link[];
  /** Exact nsid → inode entries known for this observer (lsns, `netns list-id` names). */
  nsids: Map<number, number>;
  /** Names this namespace has in /run/netns, for `link-netns NAME` in text dumps. */
  names: string[];
}

export interface EndRef {
  netns: number;
  ifindex: number;
  ifname: string;
}

/**
 * How a pair or an nsid was decided:
 * - `same-netns`: both ends in one namespace, named by `link`;
 * - `nsid-map`: the nsid is in a captured map (lsns, netns list-id);
 * - `unique-candidate`: the only device anywhere with the mutual ifindex/link_index;
 * - `nsid-consistency`: unique once nsids decided by other pairs were taken into account.
 */
export type Method = 'same-netns' | 'nsid-map' | 'unique-candidate' | 'nsid-consistency';

export interface Pair {
  a: EndRef;
  b: EndRef;
  method: Method;
}

export type UnpairedReason = 'ambiguous' | 'dangling' | 'no-peer-index';

export interface Unpaired {
  end: EndRef;
  reason: UnpairedReason;
  detail: string;
  /** For `ambiguous`: every end it could be paired with. */
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
  /** Namespaces whose own nsid map would settle an ambiguity: where the collector spends an lsns. */
  needMaps: number[];
}

export interface PairingInput {
  namespaces: NsView[];
  /** Namespaces known to exist but not captured, with why (denied, vanished...). */
  missing: Map<number, string>;
}

interface End {
  ns: NsView;
  link: Link;
  ref: EndRef;
}

const isVethLike = (l: Link) => l.kind === 'veth' || l.kind === null;

/**
 * Pairs veth ends across namespaces by mutual ifindex/link_index, following
 * plotnetcfg: exact when an nsid map says so, else a unique candidate, else a
 * warning — never a guess. Unique candidates decide nsids, which narrow other
 * ends' candidates, to a fixpoint. Pure, and independent of namespace order.
 */
export function correlate(input: PairingInput): Correlation {
  const namespaces = [...input.namespaces].sort((a, b) => a.inode - b.inode);
  const byInode = new Map(namespaces.map((n) => [n.inode, n]));
  const byName = new Map<string, number>();
  for (const ns of namespaces) for (const name of ns.names) byName.set(name, ns.inode);

  // Per observer: nsid → inode, and the reverse, with how each was learned.
  const maps = new Map<number, Map<number, { target: number; method: 'nsid-map' | 'inferred' }>>();
  const reverse = new Map<number, Map<number, number>>();
  const learn = (observer: number, nsid: number, target: number, method: 'nsid-map' | 'inferred') => {
    let m = maps.get(observer);
    if (!m) maps.set(observer, (m = new Map()));
    let r = reverse.get(observer);
    if (!r) reverse.set(observer, (r = new Map()));
    if (m.has(nsid) || r.has(target)) return;
    m.set(nsid, { target, method });
    r.set(target, nsid);
  };
  for (const ns of namespaces) for (const [nsid, target] of [...ns.nsids].sort((a, b) => a[0] - b[0])) learn(ns.inode, nsid, target, 'nsid-map');

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
        unpaired.push({ end: ref(ns, link), reason: 'dangling', detail: `peer ${peerName ?? `#${link.linkIndex}`} not found in the same namespace`, candidates: [] });
      }
    }
  }

  const peerInode = (e: End): number | null | undefined => {
    if (e.link.linkNetnsName !== null) return byName.get(e.link.linkNetnsName) ?? null;
    return maps.get(e.ns.inode)?.get(e.link.linkNetnsid as number)?.target;
  };
  const nsidOf = (e: End) => e.link.linkNetnsid;
  // Index cross ends by ifindex, then link_index, so candidate search is not quadratic.
  const index = new Map<number, Map<number, End[]>>();
  for (const e of cross) {
    let byLinkIndex = index.get(e.link.ifindex);
    if (!byLinkIndex) index.set(e.link.ifindex, (byLinkIndex = new Map()));
    const list = byLinkIndex.get(e.link.linkIndex as number);
    if (list) list.push(e);
    else byLinkIndex.set(e.link.linkIndex as number, [e]);
  }
  const compatible = (a: End, b: End): boolean => {
    if (a.ns === b.ns) return false;
    if (!fits(a, b.ns.inode)) return false;
    return fits(b, a.ns.inode);
  };
  // Could end `e`'s nsid name namespace `target`, given what is known?
  const fits = (e: End, target: number): boolean => {
    const known = peerInode(e);
    if (known !== undefined && known !== null) return known === target;
    if (e.link.linkNetnsName !== null) return false;
    const nsid = nsidOf(e);
    const already = reverse.get(e.ns.inode)?.get(target);
    return already === undefined || already === nsid;
  };
  const isExact = (e: End, peer: End): boolean =>
    e.link.linkNetnsName !== null || (peerInode(e) === peer.ns.inode && maps.get(e.ns.inode)?.get(nsidOf(e) as number)?.method === 'nsid-map');
  const candidatesOf = (a: End): End[] =>
    (index.get(a.link.linkIndex as number)?.get(a.link.ifindex) ?? []).filter((b) => !paired.has(b) && compatible(a, b));

  // Each round decides, from the state at its start, every end with exactly one
  // candidate whose candidate is exactly it; then learns the nsids those pairs
  // imply. Deciding a round at once keeps the result independent of order.
  for (let round = 1; ; round++) {
    const decided: [End, End][] = [];
    const inDecided = new Set<End>();
    const decide = (a: End, b: End) => {
      if (inDecided.has(a) || inDecided.has(b)) return;
      decided.push([a, b]);
      inDecided.add(a).add(b);
    };
    for (const a of cross) {
      if (paired.has(a)) continue;
      const cands = candidatesOf(a);
      if (cands.length !== 1) continue;
      const b = cands[0] as End;
      // An end whose peer namespace a captured map names exactly needs no
      // uniqueness from the other side: that namespace has one such ifindex.
      if (isExact(a, b)) decide(a, b);
      else if (compareRef(a.ref, b.ref) < 0) {
        const back = candidatesOf(b);
        if (back.length === 1 && back[0] === a) decide(a, b);
      }
    }
    if (decided.length === 0) break;
    for (const [a, b] of decided) {
      const method: Method = isExact(a, b) || isExact(b, a) ? 'nsid-map' : round === 1 ? 'unique-candidate' : 'nsid-consistency';
      paired.add(a);
      paired.add(b);
      pairs.push({ a: a.ref, b: b.ref, method });
    }
    for (const [a, b] of decided) {
      if (nsidOf(a) !== null) learn(a.ns.inode, nsidOf(a) as number, b.ns.inode, 'inferred');
      if (nsidOf(b) !== null) learn(b.ns.inode, nsidOf(b) as number, a.ns.inode, 'inferred');
    }
  }

  const needMaps = new Set<number>();
  for (const a of cross) {
    if (paired.has(a)) continue;
    const cands = candidatesOf(a);
    if (cands.length > 0) {
      needMaps.add(a.ns.inode);
      for (const c of cands) needMaps.add(c.ns.inode);
      unpaired.push({
        end: a.ref,
        reason: 'ambiguous',
        detail: `${cands.length} devices match ifindex ${a.link.linkIndex} with link_index ${a.link.ifindex}; no nsid map decides`,
        candidates: cands.map((c) => c.ref).sort(compareRef),
      });
      continue;
    }
    unpaired.push({ end: a.ref, reason: 'dangling', detail: danglingDetail(a, peerInode(a), byInode, input.missing), candidates: [] });
  }

  const lowers = resolveLowers(namespaces, maps, byName, input.missing);
  const nsidMaps: NsidMapEntry[] = [];
  for (const [observer, m] of maps) for (const [nsid, { target, method }] of m) nsidMaps.push({ observer, nsid, target, method });
  nsidMaps.sort((x, y) => x.observer - y.observer || x.nsid - y.nsid);
  pairs.sort((x, y) => compareRef(x.a, y.a));
  unpaired.sort((x, y) => compareRef(x.end, y.end));
  return { pairs, unpaired, lowers, nsidMaps, needMaps: [...needMaps].sort((x, y) => x - y) };
}

function danglingDetail(a: End, target: number | null | undefined, byInode: Map<number, NsView>, missing: Map<number, string>): string {
  const where = a.link.linkNetnsName !== null ? `netns "${a.link.linkNetnsName}"` : `nsid ${a.link.linkNetnsid}`;
  if (target === a.ns.inode && a.link.linkIndex === a.link.ifindex) return `the veth names itself as its peer (${where} is its own namespace): no such pair exists`;
  if (target !== undefined && target !== null) {
    const peerNs = byInode.get(target);
    if (!peerNs || !peerNs.captured) {
      const why = missing.get(target);
      return `peer namespace ${target} (${where}) was not captured${why ? `: ${why}` : ''}`;
    }
    return `peer ifindex ${a.link.linkIndex} not found in namespace ${target} (${where})`;
  }
  if (missing.size > 0) {
    const reasons = [...new Set(missing.values())].join(', ');
    return `peer namespace (${where}) not found among captured namespaces; ${missing.size} could not be captured (${reasons})`;
  }
  return `peer namespace (${where}) not found among captured namespaces`;
}

function resolveLowers(
  namespaces: NsView[],
  maps: Map<number, Map<number, { target: number; method: 'nsid-map' | 'inferred' }>>,
  byName: Map<string, number>,
  missing: Map<number, string>,
): LowerLink[] {
  const byInode = new Map(namespaces.map((n) => [n.inode, n]));
  const out: LowerLink[] = [];
  for (const ns of namespaces) {
    const local = linksByName(ns.links);
    for (const link of ns.links) {
      const end = { netns: ns.inode, ifindex: link.ifindex, ifname: link.ifname };
      if (link.master !== null) {
        const m = local().get(link.master);
        out.push({ end, relation: 'master', target: m ? { netns: ns.inode, ifindex: m.ifindex, ifname: m.ifname } : null, method: m ? 'same-netns' : null, detail: m ? null : `master ${link.master} not in the dump` });
      }
      if (link.kind === 'veth' || link.kind === null) continue;
      if (link.linkIndex !== null && (link.linkNetnsid !== null || link.linkNetnsName !== null)) {
        const entry = link.linkNetnsName !== null ? { target: byName.get(link.linkNetnsName), method: 'nsid-map' as const } : maps.get(ns.inode)?.get(link.linkNetnsid as number);
        const target = entry?.target;
        const peerNs = target !== undefined ? byInode.get(target) : undefined;
        const lower = peerNs?.links.find((l) => l.ifindex === link.linkIndex);
        if (target !== undefined && lower) {
          out.push({ end, relation: 'lower', target: { netns: target, ifindex: lower.ifindex, ifname: lower.ifname }, method: entry?.method === 'nsid-map' ? 'nsid-map' : 'nsid-consistency', detail: null });
        } else {
          const why = target === undefined ? `nsid ${link.linkNetnsid} is not in any map` : !peerNs?.captured ? `namespace ${target} was not captured${missing.get(target) ? `: ${missing.get(target)}` : ''}` : `ifindex ${link.linkIndex} not found in namespace ${target}`;
          out.push({ end, relation: 'lower', target: null, method: null, detail: why });
        }
      } else if (link.linkName !== null) {
        const lower = local().get(link.linkName);
        out.push({ end, relation: 'lower', target: lower ? { netns: ns.inode, ifindex: lower.ifindex, ifname: lower.ifname } : null, method: lower ? 'same-netns' : null, detail: lower ? null : `lower ${link.linkName} not in the dump` });
      } else if (link.linkIndex !== null && link.linkIndex !== link.ifindex && link.linkIndex !== 0) {
        const lower = ns.links.find((l) => l.ifindex === link.linkIndex);
        out.push({ end, relation: 'lower', target: lower ? { netns: ns.inode, ifindex: lower.ifindex, ifname: lower.ifname } : null, method: lower ? 'same-netns' : null, detail: lower ? null : `lower #${link.linkIndex} not in the dump` });
      }
    }
  }
  return out;
}

/** A namespace's links by name, built on first use: most namespaces never need it. */
function linksByName(links: Link[]): () => Map<string, Link> {
  let map: Map<string, Link> | null = null;
  return () => (map ??= new Map(links.map((l) => [l.ifname, l])));
}

export function compareRef(a: EndRef, b: EndRef): number {
  return a.netns - b.netns || a.ifindex - b.ifindex || (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0);
}
