import { describe, expect, it } from 'vitest';
import type { Link } from '../model.js';
import { correlate, MAX_CANDIDATES, type NsView } from './pairing.js';

/**
 * Pairing runs in time linear in the namespaces, even when a forged bundle
 * makes every end alike (issue 15: n copies of a bundle's namespaces took
 * n² candidate checks and stored n² candidate rows). 8× the namespaces may
 * cost ~8× the time; the bound (40×) is generous for a loaded host and the
 * garbage collector; a quadratic search gives 64×. Best of three runs.
 */
function timeOf(fn: () => void, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const GROWTH = 8;
const RATIO = 40;
const FLOOR_MS = 10;

const veth = (ifindex: number, linkIndex: number): Link => ({
  ifindex, ifname: `v${ifindex}`, kind: 'veth', slaveKind: null, master: null, linkIndex, linkNetnsid: 0, linkName: null,
  linkNetnsName: null, mtu: 1500, operstate: 'UP', flags: [], address: null, linkType: 'ether', alias: null, altnames: [],
  underlay: null, addresses: [], raw: '{}',
});

/** `n` pairs of namespaces with the same veth pair across them; with `maps`, each names its partner as nsid 0. */
function alike(n: number, maps: boolean): NsView[] {
  const out: NsView[] = [];
  for (let i = 0; i < n; i++) {
    const x = 10_000 + 2 * i;
    const y = x + 1;
    const view = (inode: number, other: number, links: Link[]): NsView => ({ inode, captured: true, links, nsids: new Map(maps ? [[0, other]] : []), listed: null, excluded: [], names: [] });
    out.push(view(x, y, [veth(2, 3)]), view(y, x, [veth(3, 2)]));
  }
  return out;
}

function expectLinear(input: (n: number) => NsView[]): void {
  let n = 250;
  let small = input(n);
  const run = (namespaces: NsView[]) => correlate({ namespaces, missing: new Map(), unidentified: [] });
  run(small); // warm up the JIT
  let base = timeOf(() => run(small));
  while (base < FLOOR_MS && n < 16_000) {
    n *= 4;
    small = input(n);
    base = timeOf(() => run(small));
  }
  const large = input(GROWTH * n);
  const ratio = timeOf(() => run(large)) / Math.max(base, FLOOR_MS);
  expect(ratio, `n=${n}: time(${GROWTH}n)/time(n) = ${ratio.toFixed(1)}`).toBeLessThan(RATIO);
}

describe('pairing is linear in the namespaces', () => {
  it('alike ends no map decides: every end ambiguous, at most MAX_CANDIDATES recorded, the detail says there were more', () => {
    const r = correlate({ namespaces: alike(100, false), missing: new Map(), unidentified: [] });
    expect(r.pairs).toEqual([]);
    expect(r.unpaired).toHaveLength(200);
    for (const u of r.unpaired) {
      expect(u.reason).toBe('ambiguous');
      expect(u.candidates).toHaveLength(MAX_CANDIDATES);
      expect(u.detail).toContain(`more than ${MAX_CANDIDATES} devices match`);
    }
    expectLinear((n) => alike(n, false));
  }, 120_000);

  it('alike ends each named by a map: every pair decided', () => {
    const r = correlate({ namespaces: alike(100, true), missing: new Map(), unidentified: [] });
    expect(r.pairs).toHaveLength(100);
    expect(r.pairs.every((p) => p.method === 'nsid-map' && p.b.netns === p.a.netns + 1)).toBe(true);
    expectLinear((n) => alike(n, true));
  }, 120_000);

  it('a few alike ends still list every candidate and their count', () => {
    const r = correlate({ namespaces: alike(3, false), missing: new Map(), unidentified: [] });
    for (const u of r.unpaired) {
      expect(u.candidates).toHaveLength(3);
      expect(u.detail).toMatch(/^3 devices match/);
    }
  });
});
