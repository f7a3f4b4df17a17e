import { describe, expect, it } from 'vitest';
import { correlateBundle, viewBundle, type Bundle } from '@nsnap/shared';
import { BundleBuilder } from './support/bundle-builder.js';

const H = 4026531840, A = 4026532801, B = 4026532802, P = 4026532900;

/** `ip -j netns list-id` run inside `observer`, as the collector's nsid-maps probe stores it. */
function withListId(bundle: Bundle, observer: number, entries: { nsid: number; name?: string }[], stderr = ''): Bundle {
  const capture = { spec: 'ip_netns_list_id_json' as const, argv: ['nsenter', '--net=/proc/self/fd/3', 'ip', '-j', 'netns', 'list-id'], stdin: null, exitCode: 0, stdout: `${JSON.stringify(entries)}\n`, stderr, durationMs: 1, timedOut: false, failure: null };
  return { ...bundle, nsidMaps: [...bundle.nsidMaps, { observer, why: 'test', capture }] };
}

/** The hidden-peer case as a bundle: a in A and b in B look like each other's peers; both are named. */
const hidden = () =>
  new BundleBuilder()
    .namespace({ inode: H, host: true, links: [] })
    .namespace({ inode: A, names: ['a'], links: [{ ifindex: 3, ifname: 'a', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
    .namespace({ inode: B, names: ['b'], links: [{ ifindex: 2, ifname: 'b', kind: 'veth', linkIndex: 3, linkNetnsid: 0 }] })
    .process({ pid: 2, netns: H, comm: 'kthreadd' });

describe('what a bundle tells the pairing code about namespaces out of sight', () => {
  it('reads a namespace’s `netns list-id` as its complete nsid list, and the named namespaces it does not name as behind none of them', () => {
    const bundle = withListId(hidden().build(), A, [{ nsid: 0 }]);
    const a = viewBundle(bundle).input.namespaces.find((n) => n.inode === A)!;
    expect(a.listed).toEqual([0]);
    expect(a.excluded).toEqual([B]);
    expect(viewBundle(bundle).input.namespaces.find((n) => n.inode === B)!.listed).toBeNull();
  });

  it('turns the hidden pair into two unseen peers once both lists are there, and pairs it by unique candidate without them', () => {
    expect(correlateBundle(hidden().build()).correlation.pairs).toMatchObject([{ method: 'unique-candidate' }]);
    const both = withListId(withListId(hidden().build(), A, [{ nsid: 0 }]), B, [{ nsid: 0 }]);
    const { correlation } = correlateBundle(both);
    expect(correlation.pairs).toEqual([]);
    expect(correlation.unpaired.map((u) => u.reason)).toEqual(['unseen-peer', 'unseen-peer']);
  });

  it('takes no exclusion from a list-id that complained on stderr: its names may be incomplete', () => {
    const bundle = withListId(hidden().build(), A, [{ nsid: 0 }], 'Error: Peer netns reference is invalid.\n');
    const a = viewBundle(bundle).input.namespaces.find((n) => n.inode === A)!;
    expect(a.listed).toEqual([0]);
    expect(a.excluded).toEqual([]);
    expect(correlateBundle(bundle).correlation.unpaired.map((u) => u.reason)).toEqual(['unconfirmed', 'unconfirmed']);
  });

  it('reads lsns "unassigned" as an exclusion, and a denied namespace link as a namespace it cannot name', () => {
    const bundle = hidden()
      .process({ pid: 1, netns: null, comm: 'systemd', netnsError: 'denied' })
      .process({ pid: 7, netns: null, comm: 'gone', netnsError: 'vanished' })
      .lsns(A, [{ inode: A, nsid: null, pid: 10 }, { inode: B, nsid: null, pid: 11 }, { inode: P, nsid: 0, pid: 12 }])
      .build();
    const view = viewBundle(bundle);
    expect(view.input.unidentified).toEqual(['pid 1: denied']);
    const a = view.input.namespaces.find((n) => n.inode === A)!;
    expect(a.excluded).toEqual([B]);
    expect([...a.nsids]).toEqual([[0, P]]);
    // A's nsid 0 is P, which nsnap never captured: a's peer is there, not b.
    expect(correlateBundle(bundle).correlation.unpaired.find((u) => u.end.netns === A)).toMatchObject({ reason: 'unseen-peer', detail: `peer in namespace ${P} (nsid 0), which an nsid map names but nsnap could not see` });
  });
});
