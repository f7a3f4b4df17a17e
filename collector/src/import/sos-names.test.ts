import { describe, expect, it } from 'vitest';
import { SOS_HOST_LINKS, SOS_NETNS_LIST, sosFileName, sosNamespaceFiles } from './sos-names.js';

// File names as published by tools that read sosreports (fixtures/SOURCES.md, "sosreport file names").
describe('sosFileName', () => {
  it('names files as sos does', () => {
    expect(sosFileName('ip -d address')).toBe('ip_-d_address');
    expect(sosFileName('ip -s -d link')).toBe('ip_-s_-d_link');
    expect(sosFileName('ip -o addr')).toBe('ip_-o_addr');
    expect(sosFileName('ip netns')).toBe('ip_netns');
    expect(sosFileName('ip netns exec qrouter-1  ip -d address show')).toBe('ip_netns_exec_qrouter-1_ip_-d_address_show');
    expect(sosFileName('/usr/sbin/ip netns exec cni-4f9c0b1e ip address show')).toBe('ip_netns_exec_cni-4f9c0b1e_ip_address_show');
    expect(sosFileName('ip netns exec a/b ip route')).toBe('ip_netns_exec_a.b_ip_route');
    expect(sosFileName(`ip netns exec ${'n'.repeat(300)} ip`)).toHaveLength(255);
  });

  it('looks for a namespace in the three layouts sos has used, newest first', () => {
    expect(sosNamespaceFiles('qdhcp-7c1e').map((c) => [...c.dir, c.file].join('/'))).toEqual([
      'namespaces/qdhcp-7c1e/ip_netns_exec_qdhcp-7c1e_ip_-d_address_show',
      'ip_netns_exec_qdhcp-7c1e_ip_-d_address_show',
      'ip_netns_exec_qdhcp-7c1e_ip_address_show',
    ]);
  });
});

describe("the host's sosreport files, from the spec table", () => {
  it('are the ip -d address, ip -s -d link and ip netns files, each named as sos names its command', () => {
    expect(SOS_HOST_LINKS.map((f) => f.file)).toEqual(['ip_-d_address', 'ip_-s_-d_link']);
    expect(SOS_NETNS_LIST).toEqual({ file: 'ip_netns', command: ['ip', 'netns'] });
    for (const f of [...SOS_HOST_LINKS, SOS_NETNS_LIST]) expect(sosFileName(f.command.join(' '))).toBe(f.file);
  });
});
