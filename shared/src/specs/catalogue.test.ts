import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecNameSchema } from '../schema/bundle.js';
import { BATCH_COMMANDS } from '../parse/ip-batch-json.js';
import { HOST_BATCH, IP6_BATCH_ARGV, liveBinding, NAMESPACE_BATCH, RULES6_BATCH, SPECS } from './catalogue.js';

const fixtures = path.join(import.meta.dirname, '../../../fixtures');
/** One real sample per spec, read by the spec's own parser. */
const SAMPLES: Record<string, { file?: string; text?: string; yields: string }> = {
  ip_batch_json: { file: 'ip-batch/namespace-routes-rules-neigh.json', yields: 'namespace-dump' },
  ip_link_json: { text: '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536}]\n', yields: 'namespace-dump' },
  ip_link_text: { file: 'ip-link/docker-container-inside.txt', yields: 'namespace-dump' },
  lsns_net_json: { text: '{"namespaces": [{"ns": 4026531833, "pid": 2, "netnsid": "unassigned", "nsfs": null}]}\n', yields: 'nsid-map-by-inode' },
  lsns_net_text: { text: '        NS TYPE NPROCS   PID USER     NETNSID NSFS COMMAND\n4026531840 net     140     1 root  unassigned      /sbin/init\n', yields: 'nsid-map-by-inode' },
  ip_netns_list_id_json: { text: '[{"nsid":0,"name":"xa2"},{"nsid":1}]\n', yields: 'nsid-map-by-name' },
  ip_netns_list_id_text: { text: 'nsid 0 (iproute2 netns name: zq1a)\nnsid 1\n', yields: 'nsid-map-by-name' },
  ip_netns_text: { text: 'zq1b\nzq1a (id: 0)\n', yields: 'named-netns' },
  ip_version: { text: 'ip utility, iproute2-6.1.0, libbpf 1.1.2\n', yields: 'version' },
  tool_version: { text: 'nsenter from util-linux 2.38.1\n', yields: 'version' },
};

describe('the spec table', () => {
  it('has one entry per spec name, and its parser reads a real sample of it', () => {
    expect(Object.keys(SPECS).sort()).toEqual([...SpecNameSchema.options].sort());
    for (const [spec, def] of Object.entries(SPECS)) {
      const sample = SAMPLES[spec];
      expect(sample, spec).toBeDefined();
      expect(def.parser.yields, spec).toBe(sample!.yields);
      const text = sample!.text ?? readFileSync(path.join(fixtures, sample!.file!), 'utf8');
      expect(def.parser.parse(text).status, spec).toBe('parsed');
      // Three outcomes, never a throw: a tool's failure text is unusable, not parsed.
      expect(def.parser.parse('bash: ip: command not found\n').status, spec).not.toBe('parsed');
    }
  });

  it('binds every source it takes live or imports to a command', () => {
    for (const [spec, def] of Object.entries(SPECS)) {
      expect(def.live.length + def.imports.length, spec).toBeGreaterThan(0);
      for (const b of [...def.live, ...def.imports]) expect(b.argv.length, spec).toBeGreaterThan(0);
    }
  });

  it('feeds the batch only commands its parser knows, the host one with its nsid names', () => {
    for (const batch of [NAMESPACE_BATCH, HOST_BATCH, RULES6_BATCH]) for (const line of batch.trim().split('\n')) expect(BATCH_COMMANDS[line], line).toBeDefined();
    expect(liveBinding('ip_batch_json', 'namespace').stdin).toBe(NAMESPACE_BATCH);
    expect(liveBinding('ip_batch_json', 'host').stdin).toBe(HOST_BATCH);
    expect(HOST_BATCH).toContain('netns list-id');
    expect(NAMESPACE_BATCH).not.toContain('netns list-id');
    // IPv6 rules: a capture of the same spec whose argv carries -6, in the host and (with --ipv6-rules) in each namespace.
    for (const where of ['host', 'namespace'] as const) expect(SPECS.ip_batch_json.live).toContainEqual({ where, argv: IP6_BATCH_ARGV, stdin: RULES6_BATCH });
  });
});
