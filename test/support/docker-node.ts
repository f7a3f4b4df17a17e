import { BundleBuilder } from './bundle-builder.js';

/** Namespace inodes of the hand-built node. */
export const NS = {
  host: 4026531840,
  web: 4026532701, // docker container
  pod: 4026532702, // Kubernetes pod (containerd), also bind-mounted
  denied: 4026532799, // a namespace the collector could not enter
  m1: 4026532801,
  m2: 4026532802,
  n1: 4026532803,
  n2: 4026532804,
} as const;

export const WEB_CONTAINER = 'd0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98';
export const POD_CONTAINER = 'b508e2673897c4f521d858f56dab18e31ddbfc1f83300fb9793c8a4052af8f05';
export const POD_UID = '7d4424e6-bb13-42f4-a47a-45a4828bf54d';

/**
 * A container node as the collector would see it: docker0 with two
 * containers whose ends are both eth0 #2 (ifindex collision), a macvlan in
 * the docker container on the host's eth0, a veth pair with both ends in the
 * host, a host veth whose peer namespace was denied (dangling), and two
 * isolated named-netns pairs with identical ifindexes and no nsid map of
 * their own (ambiguous). The host's lsns map names the container
 * namespaces; an alias carries a terminal escape.
 */
export function dockerNode(options: { host?: string; takenAt?: string; tags?: Record<string, string> } = {}): BundleBuilder {
  return new BundleBuilder(options)
    .namespace({
      inode: NS.host,
      host: true,
      links: [
        { ifindex: 2, ifname: 'eth0', addrs: [{ family: 'inet', local: '10.0.0.5', prefixlen: 24 }] },
        { ifindex: 3, ifname: 'docker0', kind: 'bridge', addrs: [{ family: 'inet', local: '172.17.0.1', prefixlen: 16 }] },
        { ifindex: 21, ifname: 'veth4a67fcf', kind: 'veth', linkIndex: 2, linkNetnsid: 0, master: 'docker0' },
        { ifindex: 22, ifname: 'vethpod1', kind: 'veth', linkIndex: 2, linkNetnsid: 1, master: 'docker0', alias: 'evil\u001b[31mred' },
        { ifindex: 30, ifname: 'vp0', kind: 'veth', link: 'vp1' },
        { ifindex: 31, ifname: 'vp1', kind: 'veth', link: 'vp0' },
        { ifindex: 40, ifname: 'vethdead', kind: 'veth', linkIndex: 2, linkNetnsid: 5 },
      ],
    })
    .namespace({
      inode: NS.web,
      links: [
        { ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 21, linkNetnsid: 0, addrs: [{ family: 'inet', local: '172.17.0.2', prefixlen: 16 }] },
        { ifindex: 3, ifname: 'mv0', kind: 'macvlan', linkIndex: 2, linkNetnsid: 0 },
      ],
    })
    .namespace({
      inode: NS.pod,
      binds: ['/run/netns/cni-4f9c0b1e-5d1a-2b3c-8e7f-0a1b2c3d4e5f'],
      links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 22, linkNetnsid: 0, addrs: [{ family: 'inet', local: '172.17.0.3', prefixlen: 16 }] }],
    })
    .namespace({ inode: NS.denied, failure: { reason: 'denied', detail: 'nsenter: reassociate to namespace \'ns/net\' failed: Operation not permitted' } })
    .namespace({ inode: NS.m1, names: ['m1'], links: [{ ifindex: 2, ifname: 'va', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
    .namespace({ inode: NS.m2, names: ['m2'], links: [{ ifindex: 2, ifname: 'vb', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
    .namespace({ inode: NS.n1, names: ['n1'], links: [{ ifindex: 2, ifname: 'va', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
    .namespace({ inode: NS.n2, names: ['n2'], links: [{ ifindex: 2, ifname: 'vb', kind: 'veth', linkIndex: 2, linkNetnsid: 0 }] })
    .process({ pid: 2, netns: NS.host, comm: 'kthreadd' })
    .process({ pid: 812, netns: NS.host, comm: 'dockerd', cgroup: '0::/system.slice/docker.service\n' })
    .process({ pid: 1557, netns: NS.web, comm: 'sleep', cgroup: `0::/system.slice/docker-${WEB_CONTAINER}.scope\n` })
    .process({ pid: 1558, netns: NS.web, comm: 'sh', cgroup: `0::/system.slice/docker-${WEB_CONTAINER}.scope\n` })
    .process({
      pid: 2001,
      netns: NS.pod,
      comm: 'pause',
      cgroup: `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID.replace(/-/g, '_')}.slice/cri-containerd-${POD_CONTAINER}.scope\n`,
    })
    .process({ pid: 2400, netns: NS.denied, comm: 'secret' })
    .process({ pid: 1, netns: null, comm: 'systemd', netnsError: 'denied' })
    .lsns(NS.host, [
      { inode: NS.host, nsid: null, pid: 2 },
      { inode: NS.web, nsid: 0, pid: 1557 },
      { inode: NS.pod, nsid: 1, pid: 2001 },
      { inode: NS.denied, nsid: 5, pid: 2400 },
      { inode: NS.m1, nsid: null },
      { inode: NS.m2, nsid: null },
      { inode: NS.n1, nsid: null },
      { inode: NS.n2, nsid: null },
    ])
    .gap({ probe: 'proc-scan', subject: 'pid 1', reason: 'denied', detail: '/proc/1/ns/net: permission denied' });
}
