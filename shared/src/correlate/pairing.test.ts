import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Link } from '../model.js';
import { correlate, type NsView } from './pairing.js';

function link(ifindex: number, ifname: string, extra: Partial<Link> = {}): Link {
  return {
    ifindex, ifname, kind: 'veth', slaveKind: null, master: null, linkIndex: null, linkNetnsid: null, linkName: null,
    linkNetnsName: null, mtu: 1500, operstate: 'UP', flags: [], address: null, linkType: 'ether', alias: null, altnames: [],
    underlay: null, addresses: [], raw: '{}', ...extra,
  };
}
const veth = (ifindex: number, ifname: string, linkIndex: number, linkNetnsid: number, extra: Partial<Link> = {}) => link(ifindex, ifname, { linkIndex, linkNetnsid, ...extra });
const ns = (inode: number, links: Link[], nsids: [number, number][] = [], names: string[] = []): NsView => ({ inode, captured: true, links, nsids: new Map(nsids), listed: null, excluded: [], names });
const lo = link(1, 'lo', { kind: null, linkType: 'loopback' });
const H = 1000, C1 = 2001, C2 = 2002, X1 = 3001, Y1 = 3002, X2 = 3003, Y2 = 3004;

describe('correlate', () => {
  it('pairs host and containers despite every container calling its end eth0 #2', () => {
    const r = correlate({
      namespaces: [
        ns(H, [lo, veth(5, 'vethA', 2, 0), veth(7, 'vethB', 2, 1)]),
        ns(C1, [lo, veth(2, 'eth0', 5, 0)]),
        ns(C2, [lo, veth(2, 'eth0', 7, 0)]),
      ],
      missing: new Map(), unidentified: [],
    });
    expect(r.pairs.map((p) => [p.a.netns, p.a.ifname, p.b.netns, p.b.ifname, p.method])).toEqual([
      [H, 'vethA', C1, 'eth0', 'unique-candidate'],
      [H, 'vethB', C2, 'eth0', 'unique-candidate'],
    ]);
    expect(r.unpaired).toEqual([]);
    expect(r.nsidMaps).toContainEqual({ observer: H, nsid: 0, target: C1, method: 'inferred' });
    expect(r.nsidMaps).toContainEqual({ observer: C2, nsid: 0, target: H, method: 'inferred' });
  });

  it('infers an nsid from one pair and uses it to decide another', () => {
    const r = correlate({
      namespaces: [
        ns(H, [lo, veth(5, 'vethA', 2, 0), veth(6, 'vethB', 3, 0)]),
        ns(C1, [lo, veth(2, 'eth0', 5, 0), veth(3, 'eth1', 6, 0)]),
        ns(C2, [lo, veth(3, 'eth1', 6, 0)]),
      ],
      missing: new Map(), unidentified: [],
    });
    expect(r.pairs.map((p) => [p.a.ifname, p.b.netns, p.b.ifname, p.method])).toEqual([
      ['vethA', C1, 'eth0', 'unique-candidate'],
      ['vethB', C1, 'eth1', 'nsid-consistency'],
    ]);
    // C2's nsid 0 names no namespace anything proves: its peer is out of sight, not gone.
    expect(r.unpaired).toMatchObject([{ end: { netns: C2, ifname: 'eth1' }, reason: 'unseen-peer' }]);
  });

  it('reports identical isolated pairs as ambiguous with their candidates, and asks for their maps', () => {
    const namespaces = [
      ns(X1, [lo, veth(2, 'va', 2, 0)]),
      ns(Y1, [lo, veth(2, 'vb', 2, 0)]),
      ns(X2, [lo, veth(2, 'va', 2, 0)]),
      ns(Y2, [lo, veth(2, 'vb', 2, 0)]),
    ];
    const r = correlate({ namespaces, missing: new Map(), unidentified: [] });
    expect(r.pairs).toEqual([]);
    expect(r.unpaired.map((u) => u.reason)).toEqual(['ambiguous', 'ambiguous', 'ambiguous', 'ambiguous']);
    expect(r.unpaired[0]!.candidates.map((c) => c.netns)).toEqual([Y1, X2, Y2]);
    expect(r.needMaps).toEqual([X1, Y1, X2, Y2]);
  });

  it('settles the same pairs exactly once one side of each has its nsid map', () => {
    const r = correlate({
      namespaces: [
        ns(X1, [lo, veth(2, 'va', 2, 0)], [[0, Y1]]),
        ns(Y1, [lo, veth(2, 'vb', 2, 0)]),
        ns(X2, [lo, veth(2, 'va', 2, 0)], [[0, Y2]]),
        ns(Y2, [lo, veth(2, 'vb', 2, 0)]),
      ],
      missing: new Map(), unidentified: [],
    });
    expect(r.pairs.map((p) => [p.a.netns, p.b.netns, p.method])).toEqual([
      [X1, Y1, 'nsid-map'],
      [X2, Y2, 'nsid-map'],
    ]);
    expect(r.unpaired).toEqual([]);
    expect(r.needMaps).toEqual([]);
  });

  it('says why a veth has no peer: its peer namespace is known but could not be read', () => {
    const r = correlate({
      namespaces: [ns(H, [lo, veth(9, 'vethX', 2, 3)], [[3, C1]]), { ...ns(C1, []), captured: false }],
      missing: new Map([[C1, 'denied: Permission denied']]), unidentified: [],
    });
    expect(r.unpaired).toEqual([
      { end: { netns: H, ifindex: 9, ifname: 'vethX' }, reason: 'unreadable-peer', detail: `peer in namespace ${C1} (nsid 3), which nsnap could not read: denied: Permission denied`, candidates: [] },
    ]);
  });

  it('pairs both ends in one namespace by name, and flags a veth with no peer index', () => {
    const r = correlate({
      namespaces: [ns(H, [lo, link(10, 'h1', { linkName: 'h2' }), link(11, 'h2', { linkName: 'h1' }), link(12, 'oldveth')])],
      missing: new Map(), unidentified: [],
    });
    expect(r.pairs).toEqual([{ a: { netns: H, ifindex: 10, ifname: 'h1' }, b: { netns: H, ifindex: 11, ifname: 'h2' }, method: 'same-netns' }]);
    expect(r.unpaired).toMatchObject([{ end: { ifname: 'oldveth' }, reason: 'no-peer-index' }]);
  });

  it('resolves a macvlan parent in another namespace and bridge membership', () => {
    const r = correlate({
      namespaces: [
        ns(H, [lo, link(6, 'br0', { kind: 'bridge' }), veth(7, 'vethA', 2, 0, { master: 'br0', slaveKind: 'bridge' })], [[0, C1]]),
        ns(C1, [lo, veth(2, 'eth0', 7, 0), link(8, 'mv0', { kind: 'macvlan', linkIndex: 6, linkNetnsid: 0 })], [[0, H]]),
      ],
      missing: new Map(), unidentified: [],
    });
    expect(r.lowers).toContainEqual({ end: { netns: C1, ifindex: 8, ifname: 'mv0' }, relation: 'lower', target: { netns: H, ifindex: 6, ifname: 'br0' }, method: 'nsid-map', detail: null });
    expect(r.lowers).toContainEqual({ end: { netns: H, ifindex: 7, ifname: 'vethA' }, relation: 'master', target: { netns: H, ifindex: 6, ifname: 'br0' }, method: 'same-netns', detail: null });
    expect(r.pairs).toHaveLength(1);
  });

  it('is symmetric, one-to-one and independent of the order namespaces and links come in', () => {
    // Random host/container topologies: container i has eth0 #2 paired with host veth #(10+i).
    const arb = fc.record({ containers: fc.integer({ min: 1, max: 12 }), seed: fc.integer() });
    fc.assert(
      fc.property(arb, ({ containers, seed }) => {
        const hostLinks = [lo];
        const views: NsView[] = [];
        for (let i = 0; i < containers; i++) {
          hostLinks.push(veth(10 + i, `veth${i}`, 2, i));
          views.push(ns(5000 + i, [lo, veth(2, 'eth0', 10 + i, 0)]));
        }
        views.push(ns(H, hostLinks));
        const base = correlate({ namespaces: views, missing: new Map(), unidentified: [] });
        const shuffled = shuffle(views.map((v) => ({ ...v, links: shuffle(v.links, seed) })), seed);
        const again = correlate({ namespaces: shuffled, missing: new Map(), unidentified: [] });
        expect(again).toEqual(base);
        expect(base.pairs).toHaveLength(containers);
        const ends = base.pairs.flatMap((p) => [`${p.a.netns}:${p.a.ifindex}`, `${p.b.netns}:${p.b.ifindex}`]);
        expect(new Set(ends).size).toBe(ends.length);
      }),
      { numRuns: 100 },
    );
  });
});

function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
