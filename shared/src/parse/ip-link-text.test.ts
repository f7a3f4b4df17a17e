import { describe, expect, it } from 'vitest';
import { parseIpLinkText } from './ip-link-text.js';

// `ip -d link show` on this project's test machine (iproute2 6.1), host side of
// a veth whose peer is in the named namespace zq1a, plus a vxlan and lo.
const HOST_D = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
634: zq1v0@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue master zq1br state DOWN mode DEFAULT group default qlen 1000
    link/ether fe:da:2f:14:74:6e brd ff:ff:ff:ff:ff:ff link-netns zq1a promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535 
    veth 
    bridge_slave state disabled priority 32 cost 2 hairpin off guard off root_block off fastleave off learning on flood on port_id 0x8001 port_no 0x1 designated_port 32769 designated_cost 0 designated_bridge 8000.fe:da:2f:14:74:6e designated_root 8000.fe:da:2f:14:74:6e hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
    alias hello world
    altname zq1alt
636: zq1vx: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether aa:f2:ae:16:c5:63 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    vxlan id 42 dev zq1br srcport 0 0 dstport 4789 ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
`;

describe('parseIpLinkText', () => {
  it('reads -d text: peer index, named peer netns, master, kinds, vxlan underlay, alias, altname', () => {
    const r = parseIpLinkText(HOST_D);
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.issues).toEqual([]);
    const [lo, veth, vx] = r.value.links;
    expect(lo!.linkType).toBe('loopback');
    expect(veth).toMatchObject({
      ifindex: 634,
      ifname: 'zq1v0',
      kind: 'veth',
      slaveKind: 'bridge',
      master: 'zq1br',
      linkIndex: 2,
      linkNetnsid: null,
      linkNetnsName: 'zq1a',
      mtu: 1500,
      operstate: 'DOWN',
      flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'],
      address: 'fe:da:2f:14:74:6e',
      alias: 'hello world',
      altnames: ['zq1alt'],
    });
    expect(veth!.raw.split('\n')).toHaveLength(6);
    expect([vx!.kind, vx!.underlay]).toEqual(['vxlan', 'zq1br']);
    expect(r.value.nsids).toBeNull();
  });

  it('gives the same model for the -o form and for a paste that lost its line breaks', () => {
    const base = parseIpLinkText(HOST_D);
    const oneline = HOST_D.replace(/\n(?=\s)/g, '\\');
    const collapsed = HOST_D.replace(/\n/g, ' ');
    const strip = (r: ReturnType<typeof parseIpLinkText>) =>
      r.status === 'parsed' ? r.value.links.map(({ raw: _raw, ...rest }) => rest) : r.status;
    expect(strip(parseIpLinkText(oneline))).toEqual(strip(base));
    expect(strip(parseIpLinkText(collapsed))).toEqual(strip(base));
  });

  it('reads a text batch with the nsid list after the links', () => {
    const r = parseIpLinkText(`${HOST_D}nsid 0 (iproute2 netns name: zq1a)\nnsid 1\n`);
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.value.nsids).toEqual([
      { nsid: 0, inode: null, name: 'zq1a' },
      { nsid: 1, inode: null, name: null },
    ]);
    expect(r.value.links).toHaveLength(3);
  });

  it('merges the addresses of an ip addr listing that follows the ip link one', () => {
    const r = parseIpLinkText(
      '2: eth0@if7: <UP> mtu 1500 state UP\n    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n' +
        '2: eth0@if7: <UP> mtu 1500 state UP\n    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n    inet 10.0.0.2/24 scope global eth0\n',
    );
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.value.links.map((l) => l.addresses)).toEqual([[{ family: 'inet', local: '10.0.0.2', prefixlen: 24 }]]);
  });

  it('reports unknown words and lines without dropping the interface', () => {
    const r = parseIpLinkText('2: ens1: <UP> mtu 1500 qdisc mq state UP qlen 1000 unpaired_attr\n    link/ether 00:11:22:33:44:55 frobnicate\n    ???\n');
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.value.links[0]).toMatchObject({ ifname: 'ens1', mtu: 1500, address: '00:11:22:33:44:55' });
    expect(r.issues.map((i) => [i.line, i.message])).toEqual([
      [1, 'ens1: unknown words: unpaired_attr'],
      [2, 'ens1: unknown words: frobnicate'],
      [3, 'ens1: unknown line: ???'],
    ]);
  });

  it('tells the three outcomes apart', () => {
    expect(parseIpLinkText('  \n').status).toBe('empty');
    expect(parseIpLinkText('bash: ip: command not found\n').status).toBe('unusable');
    expect(parseIpLinkText('Cannot find device "eth9"\n').status).toBe('unusable');
    expect(parseIpLinkText('nsid 0\n')).toMatchObject({ status: 'unusable', reason: 'only an nsid list, no interface' });
  });
});
