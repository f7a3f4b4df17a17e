import type { NsView } from './pairing.js';

export interface NsidEntryState {
  target: number;
  method: 'nsid-map' | 'inferred';
  /** From a captured map, or inferred from a pair that was itself proven (never from a closed-world guess). */
  proven: boolean;
}

/**
 * What is known about each observer's nsids: the exact entries of captured
 * maps, entries inferred from decided pairs, the namespaces a map proves are
 * behind none of its other nsids, and the observer's complete nsid list when
 * one was captured. Entries are first come, first kept: callers feed them in
 * a fixed order.
 */
export class NsidKnowledge {
  private readonly maps = new Map<number, Map<number, NsidEntryState>>();
  private readonly reverse = new Map<number, Map<number, number>>();
  private readonly excluded = new Map<number, Set<number>>();
  private readonly listed = new Map<number, Set<number>>();

  constructor(namespaces: NsView[]) {
    for (const ns of namespaces) {
      for (const [nsid, target] of [...ns.nsids].sort((a, b) => a[0] - b[0])) this.learn(ns.inode, nsid, target, 'nsid-map', true);
      if (ns.excluded.length > 0) this.excluded.set(ns.inode, new Set(ns.excluded));
      if (ns.listed !== null) this.listed.set(ns.inode, new Set([...ns.listed].sort((a, b) => a - b)));
    }
  }

  learn(observer: number, nsid: number, target: number, method: 'nsid-map' | 'inferred', proven: boolean): void {
    let m = this.maps.get(observer);
    if (!m) this.maps.set(observer, (m = new Map()));
    let r = this.reverse.get(observer);
    if (!r) this.reverse.set(observer, (r = new Map()));
    if (m.has(nsid) || r.has(target)) return;
    m.set(nsid, { target, method, proven });
    r.set(target, nsid);
  }

  entry(observer: number, nsid: number): NsidEntryState | undefined {
    return this.maps.get(observer)?.get(nsid);
  }

  /** The nsid `observer` has for `target`, when known. */
  nsidFor(observer: number, target: number): number | undefined {
    return this.reverse.get(observer)?.get(target);
  }

  /**
   * A captured map proves that no nsid of `observer` outside the known entries
   * names `target`. Asked about one nsid, a list that lacks it is older than
   * that nsid, so proves nothing about it.
   */
  isExcluded(observer: number, target: number, nsid?: number): boolean {
    if (nsid !== undefined && this.listed.get(observer)?.has(nsid) === false) return false;
    return this.excluded.get(observer)?.has(target) ?? false;
  }

  /** Whether `observer`'s nsid for `target` (or its having none) is settled by proven knowledge. */
  isSettled(observer: number, target: number): boolean {
    if (this.isExcluded(observer, target)) return true;
    const nsid = this.nsidFor(observer, target);
    return nsid !== undefined && this.entry(observer, nsid)?.proven === true;
  }

  /** (observer, nsid) pairs a captured nsid list shows that no proven entry names. */
  unaccounted(): { observer: number; nsid: number }[] {
    const out: { observer: number; nsid: number }[] = [];
    for (const [observer, nsids] of [...this.listed].sort((a, b) => a[0] - b[0])) {
      for (const nsid of nsids) if (this.entry(observer, nsid)?.proven !== true) out.push({ observer, nsid });
    }
    return out;
  }

  entries(): { observer: number; nsid: number; target: number; method: 'nsid-map' | 'inferred' }[] {
    const out: { observer: number; nsid: number; target: number; method: 'nsid-map' | 'inferred' }[] = [];
    for (const [observer, m] of this.maps) for (const [nsid, { target, method }] of m) out.push({ observer, nsid, target, method });
    return out.sort((x, y) => x.observer - y.observer || x.nsid - y.nsid);
  }
}
