import { describe, expect, it } from 'vitest';
import { BundleBuilder } from '../../../test/support/bundle-builder.js';
import { routingRows } from './routing-rows.js';

describe('routingRows', () => {
  const bundle = new BundleBuilder()
    .namespace({ inode: 4026531840, host: true, links: [] })
    .namespace({
      inode: 4026532701,
      links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 4, linkNetnsid: 0 }],
      routing: {
        routes: [{ dst: 'default', gateway: '10.0.0.1', dev: 'eth0', flags: [] }, { dst: 'x', metric: -1 }],
        rules: [{ priority: 0, src: 'all', table: 'local' }],
        neighbours: [],
      },
    })
    .build();

  it('keeps each list a namespace\'s batch asked for, an empty one too, and none where the batch asked for none', () => {
    const { rows } = routingRows(bundle);
    expect(rows.map((r) => [r.netns, r.kind, r.entries.map((e) => e.text)])).toEqual([
      [4026532701, 'routes', ['default via 10.0.0.1 dev eth0']],
      [4026532701, 'rules', ['0: from all lookup local']],
      [4026532701, 'neighbours', []],
    ]);
    // Same content, same hash: what stores a list once.
    expect(routingRows(bundle).rows.map((r) => r.sha256)).toEqual(rows.map((r) => r.sha256));
    expect(new Set(rows.map((r) => r.sha256)).size).toBe(3);
  });

  it('says, as one ingest gap per namespace, how many entries it left out', () => {
    expect(routingRows(bundle).gaps).toEqual([expect.objectContaining({ source: 'ingest', probe: 'routing', subject: 'netns 4026532701', detail: expect.stringMatching(/^1 route, rule or neighbour entries not understood/) })]);
  });

  it('adds the IPv6 rules of an `ip -6` capture beside the batch to the rules list, marked inet6; without one the list is IPv4\'s as before', () => {
    const ns = structuredClone(bundle.namespaces[1]!);
    const rules6 = { ...ns.captures[0]!, argv: ['ip', '-6', '-d', '-j', '-force', '-batch', '-'], stdin: 'rule show\n', stdout: '[{"priority":0,"src":"all","table":"local"},{"priority":32765,"src":"2001:db8::","srclen":32,"table":"7"}]\n' };
    const withV6 = routingRows({ namespaces: [{ ...ns, captures: [...ns.captures, rules6] }] });
    expect(withV6.rows.find((r) => r.kind === 'rules')!.entries.map((e) => e.text)).toEqual(['0: from all lookup local', 'inet6 0: from all lookup local', 'inet6 32765: from 2001:db8::/32 lookup 7']);
    // The IPv4 list's hash does not change with the collector that added IPv6 rules, where there are none.
    const without = routingRows({ namespaces: [ns] }).rows.find((r) => r.kind === 'rules')!;
    expect(without.sha256).toBe(routingRows(bundle).rows.find((r) => r.kind === 'rules')!.sha256);
    // A failed IPv6 dump adds nothing.
    const failed = routingRows({ namespaces: [{ ...ns, captures: [...ns.captures, { ...rules6, stdout: '', exitCode: 2, stderr: 'RTNETLINK answers: Address family not supported by protocol\n' }] }] });
    expect(failed.rows.find((r) => r.kind === 'rules')!.entries.map((e) => e.text)).toEqual(['0: from all lookup local']);
  });
});
