import { createHash } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bundle } from '@nsnap/shared';
import { BundleBuilder, type NamespaceSpec } from '../../../test/support/bundle-builder.js';
import { migrate } from '../db/migrate.js';
import { snapshotInserter } from '../ingest/insert-snapshot.js';
import { normalizeBundle } from '../ingest/normalize.js';
import { routingRows } from '../ingest/routing-rows.js';
import { loadForDiff } from './diff-snapshots.js';
import { historyRange, walkHistory } from './history.js';

/**
 * A step of `history` builds only the namespaces whose spans start or end there and diffs only
 * what changed (`sweepStates`, `stepScope`). Property: over random histories of one host —
 * namespaces that come, go, are renamed, lose sight, reuse an inode, change an MTU, a MAC, an
 * address, a route, a process, a reboot — that answer is the whole pairwise diff of each snapshot
 * loaded by itself, step by step, verbose, with the owners and the names the runtimes' files give
 * their containers (which come, change and go with the pods).
 */
const HOST = 4026531840;
const INODES = [4026532701, 4026532702, 4026532703, 4026532704];

const pod = fc.record({
  inode: fc.constantFrom(...INODES),
  slot: fc.integer({ min: 1, max: 5 }),
  mtu: fc.constantFrom(undefined, 1400),
  named: fc.constantFrom(undefined, 'blue', 'red'),
  bind: fc.boolean(),
  uncaptured: fc.boolean(),
  mac: fc.constantFrom(undefined, '02:00:00:00:05:05'),
  address: fc.integer({ min: 1, max: 2 }),
  gateway: fc.constantFrom(null, 1, 2),
  pid: fc.constantFrom(null, 100, 101),
  container: fc.boolean(),
  label: fc.constantFrom(undefined, 'web', 'db'),
});
type Pod = typeof pod extends fc.Arbitrary<infer T> ? T : never;
interface Snap {
  pods: Pod[];
  boot: string;
  hidden: boolean;
  hostMtu: number | undefined;
}
const start = fc.record({ pods: fc.uniqueArray(pod, { maxLength: 4, selector: (p) => p.inode }), boot: fc.constant('a'), hidden: fc.boolean(), hostMtu: fc.constantFrom(undefined, 9000) });
/** A few changes per snapshot, each to one field of one pod (or the host): most namespaces stay as they were. */
const change = fc.oneof(
  fc.record({ at: fc.nat(), field: fc.constantFrom(...(['slot', 'mtu', 'named', 'bind', 'uncaptured', 'mac', 'address', 'gateway', 'pid', 'container', 'label'] as const)), pod }),
  fc.record({ add: pod }),
  fc.record({ remove: fc.nat() }),
  fc.record({ boot: fc.constantFrom('a', 'b') }),
  fc.record({ hidden: fc.boolean() }),
  fc.record({ hostMtu: fc.constantFrom(undefined, 9000) }),
);
type Change = typeof change extends fc.Arbitrary<infer T> ? T : never;

function apply(s: Snap, changes: Change[]): Snap {
  const next: Snap = { ...s, pods: s.pods.map((p) => ({ ...p })) };
  for (const c of changes) {
    if ('field' in c) {
      const p = next.pods[c.at % Math.max(1, next.pods.length)];
      if (p) (p as Record<string, unknown>)[c.field] = c.pod[c.field];
    } else if ('add' in c) {
      if (!next.pods.some((p) => p.inode === c.add.inode)) next.pods.push(c.add);
    } else if ('remove' in c) next.pods.splice(c.remove % Math.max(1, next.pods.length), 1);
    else Object.assign(next, c);
  }
  return next;
}

const t = (minute: number) => new Date(Date.parse('2026-11-29T10:00:00Z') + minute * 60_000).toISOString();

function bundleOf(at: string, s: Snap): Bundle {
  const b = new BundleBuilder({ host: 'node-1', takenAt: at, bootId: `6f1c3c1e-0000-4000-8000-00000000000${s.boot}` });
  const hostLinks: NonNullable<NamespaceSpec['links']> = [{ ifindex: 2, ifname: 'eth0', mtu: s.hostMtu }, { ifindex: 3, ifname: 'br0', kind: 'bridge' }];
  s.pods.forEach((p, i) => hostLinks.push({ ifindex: 10 + p.slot, ifname: `veth${p.slot}`, kind: 'veth', linkIndex: 2, linkNetnsid: i, master: 'br0' }));
  b.namespace({ inode: HOST, host: true, links: hostLinks });
  b.process({ pid: 1, netns: HOST, comm: 'systemd' });
  for (const p of s.pods) {
    const spec: NamespaceSpec = p.uncaptured
      ? { inode: p.inode, failure: { reason: 'denied', detail: 'nsenter: Operation not permitted' } }
      : {
          inode: p.inode,
          links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 10 + p.slot, linkNetnsid: 0, mtu: p.mtu, address: p.mac, addrs: [{ family: 'inet', local: `172.17.${p.address}.${p.slot}`, prefixlen: 16 }] }],
          ...(p.gateway === null ? {} : { routing: { routes: [{ dst: 'default', gateway: `172.17.0.${p.gateway}`, dev: 'eth0', flags: [] }], rules: [], neighbours: [] } }),
        };
    if (p.named) spec.names = [p.named];
    if (p.bind) spec.binds = [`/run/docker/netns/${p.slot}`];
    b.namespace(spec);
    if (p.pid !== null) b.process({ pid: p.pid + p.slot * 10, netns: p.inode, comm: `app${p.slot}`, ...(p.container ? { cgroup: `0::/system.slice/docker-${String(p.slot).repeat(64)}.scope` } : {}) });
  }
  b.lsns(HOST, s.pods.map((p, i) => ({ inode: p.inode, nsid: i })));
  if (s.hidden) b.process({ pid: 999, netns: null, comm: 'hidden', netnsError: 'denied' });
  const bundle = b.build();
  // A container's name, and its pod's by the uid its annotations give (docker cgroups carry none): from the pods' log
  // directories (even slots) or from the annotations themselves (odd). A name may outlive its container.
  const labelled = s.pods.filter((p) => p.label !== undefined);
  if (labelled.length > 0) {
    const pod = (p: Pod) => ({ uid: `uid-${p.slot}`, namespace: 'shop', name: `${p.label}-${p.slot}` });
    bundle.runtimeNames = {
      pods: labelled.filter((p) => p.slot % 2 === 0).map(pod),
      containers: labelled.map((p) => ({
        source: 'docker' as const, id: String(p.slot).repeat(64), name: `${p.label}${p.slot}`, image: null, pod: p.slot % 2 === 0 ? { uid: `uid-${p.slot}`, namespace: null, name: null } : pod(p),
      })),
    };
  }
  return bundle;
}

function database(bundles: Bundle[]): Sqlite.Database {
  const db = new Sqlite(':memory:');
  migrate(db);
  const inserter = snapshotInserter(db);
  for (const bundle of bundles) {
    const sha = createHash('sha256').update(JSON.stringify(bundle)).digest('hex');
    db.transaction(() => inserter.insert(normalizeBundle(bundle), sha, 1, '2026-11-29T12:00:00.000Z', routingRows(bundle).rows)).immediate();
  }
  return db;
}

function steps(db: Sqlite.Database, whole: boolean, since: string | null = null, until: string | null = null): unknown[] {
  const range = historyRange(db, 'node-1', since, until).snapshots;
  const out: unknown[] = [];
  // The definition: each snapshot loaded by itself, every step diffed whole.
  const states = whole ? range.map((ref) => loadForDiff(db, ref, true)) : undefined;
  walkHistory(db, range, { verbose: true, withOwners: true }, (step, owners) => {
    const named = owners && { from: [...owners.from.values()], to: [...owners.to.values()] };
    out.push(JSON.parse(JSON.stringify({ step, owners: named })));
  }, states);
  return out;
}

describe('history steps diff only what changed', () => {
  it('give the whole pairwise diff of the same states, on random histories', () => {
    fc.assert(
      fc.property(start, fc.array(fc.array(change, { maxLength: 2 }), { minLength: 1, maxLength: 8 }), fc.nat(), fc.nat(), (first, changes, a, b) => {
        const snaps: Snap[] = [first];
        for (const c of changes) snaps.push(apply(snaps[snaps.length - 1] as Snap, c));
        const db = database(snaps.map((s, i) => bundleOf(t(i * 5), s)));
        try {
          const scoped = steps(db, false);
          expect(scoped).toHaveLength(snaps.length - 1);
          expect(scoped).toEqual(steps(db, true));
          // A part of it (--since, --until): spans that started before it or end after it.
          const from = a % (snaps.length - 1);
          const since = t(from * 5 + 2);
          const until = t(Math.min(from + 1 + (b % snaps.length), snaps.length - 1) * 5 + 1);
          const part = steps(db, false, since, until);
          expect(part.length).toBeGreaterThan(0);
          expect(part).toEqual(steps(db, true, since, until));
        } finally {
          db.close();
        }
      }),
      { numRuns: 400 },
    );
  });

  it('build a namespace again when a process comes to it as one of no namespace goes, in one step', () => {
    // Nothing else of the pod changes: only its process rows say it must be built again.
    const snap = (at: string, hidden: boolean, second: boolean): Bundle => {
      const b = new BundleBuilder({ host: 'node-1', takenAt: at, bootId: '6f1c3c1e-0000-4000-8000-00000000000a' });
      b.namespace({ inode: HOST, host: true, links: [{ ifindex: 2, ifname: 'eth0' }] });
      b.namespace({ inode: INODES[0] as number, links: [{ ifindex: 2, ifname: 'eth0' }] });
      b.process({ pid: 1, netns: HOST, comm: 'systemd' });
      b.process({ pid: 110, netns: INODES[0] as number, comm: 'app' });
      if (second) b.process({ pid: 120, netns: INODES[0] as number, comm: 'sidecar' });
      if (hidden) b.process({ pid: 999, netns: null, comm: 'hidden', netnsError: 'denied' });
      return b.build();
    };
    const db = database([snap(t(0), true, false), snap(t(5), false, true)]);
    try {
      const scoped = steps(db, false);
      expect(JSON.stringify(scoped)).toContain('sidecar');
      expect(scoped).toEqual(steps(db, true));
    } finally {
      db.close();
    }
  });

  // A pair is one object while its link and its ends' rows hold: these change its ends but not its link.
  const pairSnap = (at: string, o: { hostVeth: string; podIsHost?: boolean; paired?: boolean }): Bundle => {
    const b = new BundleBuilder({ host: 'node-1', takenAt: at, bootId: '6f1c3c1e-0000-4000-8000-00000000000a' });
    const paired = o.paired ?? true;
    b.namespace({ inode: HOST, host: !o.podIsHost, links: [{ ifindex: 2, ifname: 'eth0' }, ...(paired ? [{ ifindex: 11, ifname: o.hostVeth, kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] : [])] });
    b.namespace({ inode: INODES[0] as number, host: o.podIsHost === true, links: paired ? [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 11, linkNetnsid: 0 }] : [] });
    b.process({ pid: 1, netns: HOST, comm: 'systemd' });
    b.process({ pid: 110, netns: INODES[0] as number, comm: 'app' });
    b.lsns(HOST, [{ inode: INODES[0] as number, nsid: 0 }]);
    b.lsns(INODES[0] as number, [{ inode: HOST, nsid: 0 }]);
    return b.build();
  };

  it('give a pair whose end was renamed (its link held on) under the new name when it goes', () => {
    const db = database([pairSnap(t(0), { hostVeth: 'veth1' }), pairSnap(t(5), { hostVeth: 'vethX' }), pairSnap(t(10), { hostVeth: 'vethX', paired: false })]);
    try {
      const scoped = steps(db, false);
      expect(JSON.stringify(scoped[1])).toContain('vethX');
      expect(scoped).toEqual(steps(db, true));
    } finally {
      db.close();
    }
  });

  it('turn a pair around when the namespace of its ends that is the host one changes', () => {
    const db = database([pairSnap(t(0), { hostVeth: 'veth1' }), pairSnap(t(5), { hostVeth: 'veth1', podIsHost: true }), pairSnap(t(10), { hostVeth: 'veth1', podIsHost: true, paired: false })]);
    try {
      const scoped = steps(db, false);
      expect(scoped).toEqual(steps(db, true));
    } finally {
      db.close();
    }
  });

  it('read a span whose times are not its snapshots\' own as the views do', () => {
    const pod: Pod = { inode: INODES[0] as number, slot: 1, mtu: undefined, named: undefined, bind: false, uncaptured: false, mac: undefined, address: 1, gateway: null, pid: 100, container: false, label: undefined };
    const snap = (pods: Pod[]): Snap => ({ pods, boot: 'a', hidden: false, hostMtu: undefined });
    const db = database([snap([]), snap([pod]), snap([pod]), snap([pod]), snap([])].map((s, i) => bundleOf(t(i * 5), s)));
    try {
      const before = steps(db, false);
      // Not as nsnap writes them: the pod's process held at the third snapshot only by its times, from
      // the second to the fourth by the snapshots its span names.
      expect(db.prepare('UPDATE process_spans SET first_at = ?, last_at = ? WHERE netns = ?').run(t(10), t(10), pod.inode).changes).toBe(1);
      const scoped = steps(db, false);
      expect(scoped).not.toEqual(before);
      expect(scoped).toEqual(steps(db, true));
    } finally {
      db.close();
    }
  });
});
