import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Link } from '../model.js';
import { parseIpLinkText } from './ip-link-text.js';

const dir = path.join(import.meta.dirname, '../../../fixtures/ip-link');

function links(name: string): Link[] {
  const r = parseIpLinkText(readFileSync(path.join(dir, name), 'utf8'));
  if (r.status !== 'parsed') throw new Error(`${name}: ${r.status}`);
  return r.value.links;
}
const byName = (ls: Link[], name: string): Link => {
  const l = ls.find((x) => x.ifname === name);
  if (!l) throw new Error(`no ${name}`);
  return l;
};
const names = (ls: Link[]) => ls.map((l) => l.ifname);

describe('real ip link/addr outputs (fixtures/SOURCES.md)', () => {
  it('every fixture is listed in SOURCES.md and parses without losing an interface', () => {
    const sources = readFileSync(path.join(dir, '../SOURCES.md'), 'utf8');
    for (const file of readdirSync(dir)) {
      expect(sources).toContain(`ip-link/${file}`);
      const text = readFileSync(path.join(dir, file), 'utf8');
      const headers = text.match(/\d{1,10}: [^\s:/<>@]{1,64}(?:@[^\s:/<>@]{1,64})?: </g) ?? [];
      expect(links(file), file).toHaveLength(headers.length);
    }
  });

  it('OVS host: openvswitch masters and slaves, vxlan_sys_4789 without underlay', () => {
    const ls = links('insights-ovs-vxlan.txt');
    expect(names(ls)).toEqual(['lo', 'eno1', 'eno2', 'ovs-system', 'br-ex', 'vxlan_sys_4789']);
    expect(ls.filter((l) => l.kind === 'openvswitch').map((l) => l.ifname)).toEqual(['ovs-system', 'br-ex']);
    expect(ls.filter((l) => l.slaveKind === 'openvswitch').map((l) => [l.ifname, l.master])).toEqual([
      ['eno1', 'ovs-system'],
      ['eno2', 'ovs-system'],
      ['vxlan_sys_4789', 'ovs-system'],
    ]);
    const vx = byName(ls, 'vxlan_sys_4789');
    expect([vx.kind, vx.underlay, vx.mtu, vx.operstate]).toEqual(['vxlan', null, 65000, 'UNKNOWN']);
  });

  it('bond slaves, @NONE tunnels with a peer address, geneve', () => {
    const ls = links('insights-bond-tunnels.txt');
    expect(ls).toHaveLength(14);
    expect(ls.filter((l) => l.slaveKind === 'bond').map((l) => [l.ifname, l.master, l.flags.includes('SLAVE')])).toEqual([
      ['eth0_1', 'bond0', true],
      ['eth0_2', 'bond0', true],
    ]);
    const gre1 = byName(ls, 'gre1');
    expect([gre1.kind, gre1.linkType, gre1.address, gre1.linkIndex, gre1.linkName]).toEqual(['gre', 'gre', '10.211.47.217', null, null]);
    expect(byName(ls, 'gretap0').kind).toBe('gretap');
    expect(ls.filter((l) => l.kind === 'geneve').map((l) => l.ifname)).toEqual(['geneve0', 'geneve1']);
  });

  it('a team device that is a bridge port', () => {
    const ls = links('insights-team-bridge-port.txt');
    expect(names(ls)).toEqual(['enp0s3', 'lo', 'enp0s8', 'enp0s9', 'tm0']);
    const tm0 = byName(ls, 'tm0');
    expect([tm0.kind, tm0.slaveKind, tm0.master]).toEqual(['team', 'bridge', 'br0']);
  });

  it('old ip addr: junk lines reported, vlan lower by name, nsid on a bond slave, peer addresses', () => {
    const r = parseIpLinkText(readFileSync(path.join(dir, 'insights-addr-bond-vlan.txt'), 'utf8'));
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.issues.filter((i) => /Message truncated/.test(i.message))).toHaveLength(3);
    const ls = r.value.links;
    expect(names(ls)).toEqual(['lo', 'eth7', 'tunl0', 'tunl1', 'bond1.57', 'ip.tun2']);
    const eth7 = byName(ls, 'eth7');
    expect([eth7.master, eth7.linkNetnsid, eth7.linkIndex]).toEqual(['bond1', 1, null]);
    expect(byName(ls, 'bond1.57').linkName).toBe('bond1');
    expect(byName(ls, 'bond1.57').addresses.map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      '10.192.4.171/27',
      'fe80::211:3fff:fee2:f59e/64',
      '2001::211:3fff:fee2:f59e/64',
    ]);
    expect(byName(ls, 'tunl1').linkType).toBe('[65534]');
    expect(byName(ls, 'ip.tun2').addresses).toEqual([{ family: 'inet', local: '192.168.112.5', prefixlen: 32 }]);
  });

  it('-o one-line form: container veth end, vlans, @NONE tunnels', () => {
    const ls = links('cookbook-oneline.txt');
    expect(names(ls)).toEqual(['lo', 'eth2', 'eth0.222', 'dumb0.8', 'tungre0', 'vti0', 'tunipip0', 'eth0']);
    const eth0 = byName(ls, 'eth0');
    expect([eth0.ifindex, eth0.linkIndex, eth0.linkNetnsid, eth0.address]).toEqual([36, 37, 0, '02:42:ac:11:00:02']);
    expect(byName(ls, 'dumb0.8').linkName).toBe('dumb0');
    expect(ls.filter((l) => l.ifname.startsWith('tun') || l.ifname === 'vti0').every((l) => l.linkName === null && l.linkIndex === null)).toBe(true);
  });

  it('LXD host: container veths on br1 with peer indexes and nsids', () => {
    const ls = links('lxd-host-bridge-veths.txt');
    expect(ls.filter((l) => l.master === 'br1').map((l) => [l.ifname, l.ifindex, l.linkIndex, l.linkNetnsid])).toEqual([
      ['enp5s0', 3, null, null],
      ['vethW6KMHJ', 6, 5, 0],
      ['veth2RUOJ0', 8, 7, 1],
      ['veth6WG7LN', 14, 13, 3],
    ]);
  });

  it("a pod's and a container's inside views", () => {
    const pod = links('calico-pod-inside-old.txt');
    expect(pod.map((l) => [l.ifname, l.linkIndex, l.linkNetnsid, l.operstate])).toEqual([
      ['lo', null, null, null],
      ['tunl0', null, null, null],
      ['eth0', 32, null, null],
    ]);
    expect(byName(pod, 'eth0').addresses[0]).toEqual({ family: 'inet', local: '192.168.255.200', prefixlen: 32 });
    const docker = links('docker-container-inside.txt');
    expect(docker.map((l) => [l.ifindex, l.ifname, l.linkIndex, l.linkNetnsid, l.linkType])).toEqual([
      [1, 'lo', null, null, 'loopback'],
      [2, 'tunl0', null, null, 'ipip'],
      [3, 'ip6tnl0', null, null, 'tunnel6'],
      [43, 'eth0', 44, 0, 'ether'],
    ]);
  });

  it('Calico IPIP node: tunnel address, workload veth from its header alone', () => {
    const ls = links('calico-node-ipip-addr.txt');
    expect(names(ls)).toEqual(['lo', 'eth0', 'eth1', 'eth2', 'tunl0', 'calia1d5bf83389']);
    expect(byName(ls, 'tunl0').addresses).toEqual([{ family: 'inet', local: '172.27.198.192', prefixlen: 32 }]);
    const cali = byName(ls, 'calia1d5bf83389');
    expect([cali.ifindex, cali.linkIndex, cali.mtu, cali.address]).toEqual([49, 3, 1480, null]);
  });

  it('Docker host with a same-namespace veth pair named both ways', () => {
    const ls = links('docker-host-veth-pair.txt');
    expect(ls).toHaveLength(6);
    expect(byName(ls, 'veth-test1').linkName).toBe('veth-test2');
    expect(byName(ls, 'veth-test2').linkName).toBe('veth-test1');
    expect(byName(ls, 'docker0').flags).toEqual(['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP']);
  });

  it('flannel node without -d: no kinds', () => {
    const ls = links('flannel-node.txt');
    expect(names(ls)).toEqual(['lo', 'ens32', 'docker0', 'cni0', 'flannel.1']);
    expect(ls.every((l) => l.kind === null)).toBe(true);
    expect(byName(ls, 'flannel.1').mtu).toBe(1450);
  });

  it('Cilium node pasted on one line: split again at each interface', () => {
    const r = parseIpLinkText(readFileSync(path.join(dir, 'cilium-node-collapsed.txt'), 'utf8'));
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.value.links.map((l) => [l.ifindex, l.ifname, l.linkIndex, l.linkName, l.linkNetnsid])).toEqual([
      [3, 'cilium_host', null, 'cilium_net', null],
      [4, 'cilium_vxlan', null, null, null],
      [9, 'eth0', 10, null, 0],
      [15, 'lxc0ce577f8ba27', 14, null, null],
    ]);
    const eth0 = r.value.links[2]!;
    expect([eth0.address, eth0.addresses]).toEqual(['02:42:ac:13:00:03', [{ family: 'inet', local: '172.19.0.3', prefixlen: 16 }]]);
    expect(r.value.links[3]!.address).toBe('d6:8c:de:15:e1:7a');
    expect(r.issues.map((i) => i.message)).toEqual(['text before an interface on a collapsed line: # On Kubernetes Node1› ip add']);
  });

  it('vlans: lower device by name, -d kind line with its trailer, vrf slave', () => {
    expect(links('vlan-show-type-vlan.txt').map((l) => [l.ifname, l.linkName, l.kind])).toEqual([
      ['eth0.1', 'eth0', null],
      ['eth0.422', 'eth0', null],
      ['eth0.420', 'eth0', null],
      ['eth0.423', 'eth0', null],
    ]);
    const [vlan] = links('vlan-details-addr.txt');
    expect([vlan!.kind, vlan!.linkName, vlan!.addresses[0]?.local]).toEqual(['vlan', 'eth0', '192.168.111.1']);
    const [vrfPort] = links('keepalived-vlan-vrf.txt');
    expect([vrfPort!.kind, vrfPort!.slaveKind, vrfPort!.master, vrfPort!.linkName]).toEqual(['vlan', 'vrf', 'vrf2', 'bridge']);
  });

  it('macvtap on a local parent; an old veth whose peer left without an nsid', () => {
    const mv = byName(links('keepalived-macvtap.txt'), 'macvtap0');
    expect([mv.ifindex, mv.linkName, mv.linkIndex, mv.kind]).toEqual([19, 'enp0s8', null, null]);
    const [veth] = links('veth-moved-old.txt');
    expect([veth!.ifindex, veth!.linkIndex, veth!.linkNetnsid, veth!.linkNetnsName]).toEqual([85, 84, null, null]);
  });
});
