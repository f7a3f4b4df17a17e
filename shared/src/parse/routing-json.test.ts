import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFamily, IP6_BATCH_ARGV, IP_BATCH_ARGV, NAMESPACE_BATCH, RULES6_BATCH } from '../specs/catalogue.js';
import { parseIpBatchJson } from './ip-batch-json.js';
import { routingFromDump } from './routing-json.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../../../fixtures/ip-batch', name), 'utf8');

function routing(stdout: string, commands: string | null = NAMESPACE_BATCH) {
  const dump = parseIpBatchJson(stdout, { commands });
  if (dump.status !== 'parsed') throw new Error(`${dump.status}`);
  return { ...routingFromDump(dump.value), dumpIssues: dump.issues, dump: dump.value };
}

const LINKS = '[{"ifindex":1,"ifname":"lo"}]\n[{"ifindex":1,"ifname":"lo","addr_info":[]}]\n';

describe('routes, rules and neighbours of a batch dump', () => {
  it('reads a namespace with a gateway route, a blackhole, a multipath route, IPv6 routes, rules and neighbours', () => {
    const r = routing(fixture('namespace-routes-rules-neigh.json'));
    expect(r.issues).toEqual([]);
    expect(r.dump.links.map((l) => l.ifname).sort()).toEqual(['lo', 'v0', 'v1']);
    const routes = r.facts.routes!.map((e) => e.text);
    expect(routes).toContain('10.10.0.0/16 via 10.9.0.2 dev v0 proto boot scope global');
    expect(routes).toContain('10.11.0.0/16 via 10.9.0.2 dev v0 table 100 proto boot scope global');
    expect(routes).toContain('blackhole 10.12.0.0/16 proto boot scope global');
    expect(routes).toContain('10.13.0.0/16 proto boot scope global nexthop via 10.9.0.2 dev v0 weight 1 nexthop via 10.9.0.3 dev v0 weight 2');
    expect(routes).toContain('fd01::/64 via fd00::2 dev v0 proto boot scope global metric 1024');
    expect(r.facts.rules!.map((e) => e.text)).toEqual([
      '0: from all lookup local proto kernel',
      '100: from 10.9.0.0/24 lookup 100 proto unspec',
      '200: from all fwmark 0x10 lookup 100 proto unspec',
      '32766: from all lookup main proto kernel',
      '32767: from all lookup default proto kernel',
    ]);
    expect(r.facts.neighbours!.map((e) => e.text)).toEqual(['10.9.0.7 dev v0 FAILED', '10.9.0.2 dev v0 lladdr 02:00:00:00:00:02 PERMANENT', 'fd00::2 dev v0 lladdr 02:00:00:00:00:03 PERMANENT']);
    // Keys: one route per (table, type, destination, tos, metric); a neighbour per (address, device).
    const keys = r.facts.routes!.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(r.facts.neighbours![1]!.key).toBe('10.9.0.2 v0 ');
  });

  it('an empty list is its command\'s when every command printed one: no neighbours is an answer', () => {
    const r = routing(`${LINKS}[]\n[{"priority":0,"src":"all","table":"local"}]\n[]\n`);
    expect(r.facts).toMatchObject({ routes: [], neighbours: [] });
    expect(r.facts.rules).toHaveLength(1);
    expect(r.dump.nsids).toBeNull();
  });

  it('an empty list when a command printed none is left unattributed, never taken for another list', () => {
    const r = routing(`${LINKS}[]\n[{"priority":0,"src":"all","table":"local"}]\n`);
    expect(r.facts.routes).toBeNull();
    expect(r.facts.neighbours).toBeNull();
    expect(r.facts.rules).toHaveLength(1);
    expect(r.dumpIssues.map((i) => i.message).join('\n')).toMatch(/empty list.*unknown/);
    // A non-empty list is known by its entries, wherever it stands.
    const n = routing(`${LINKS}[{"dst":"10.0.0.1","dev":"e","state":["STALE"]}]\n`);
    expect(n.facts.neighbours).toHaveLength(1);
    expect(n.facts.routes).toBeNull();
  });

  it('an old bundle (link and addr show only, or no batch known) has no routing lists', () => {
    expect(routing(LINKS, 'link show\naddr show\n').facts).toEqual({ routes: null, rules: null, neighbours: null });
    expect(routing(`${LINKS}[]\n`, null).dump.nsids).toEqual([]);
  });

  it('skips, with an issue, entries with huge or negative numbers, overlong strings, wrong types; keeps the rest', () => {
    const routes = [
      '{"dst":"10.0.0.0/8","dev":"a","metric":1e309}',
      '{"dst":"10.0.0.0/8","dev":"a","metric":-1}',
      '{"dst":"10.0.0.0/8","dev":"a","metric":4294967296}',
      `{"dst":"${'1'.repeat(100_000)}","dev":"a"}`,
      '{"dst":42}',
      '"not an object"',
      '{"dst":"10.1.0.0/16","dev":"ok","metric":4294967295}',
    ];
    const rules = ['{"priority":-5}', '{"priority":1.5,"src":"all"}', '{"priority":7,"src":"all","table":"main"}'];
    const r = routing(`${LINKS}[${routes.join(',')}]\n[${rules.join(',')}]\n[{"dst":"x","state":"not-an-array"}]\n`);
    expect(r.facts.routes!.map((e) => e.text)).toEqual(['10.1.0.0/16 dev ok metric 4294967295']);
    expect(r.facts.rules!.map((e) => e.text)).toEqual(['7: from all lookup main']);
    expect(r.facts.neighbours).toEqual([]);
    expect(r.issues).toHaveLength(routes.length - 1 + rules.length - 1 + 1);
    expect(Math.max(...r.issues.map((i) => i.message.length))).toBeLessThan(400);
  });

  it('writes the states the kernel moves a learned neighbour through as one word: REACHABLE to STALE is no change', () => {
    const at = (state: string) => routing(`${LINKS}[]\n[]\n[{"dst":"10.0.0.1","dev":"e","lladdr":"aa","state":["${state}"]}]\n`).facts.neighbours![0]!.text;
    expect(at('REACHABLE')).toBe('10.0.0.1 dev e lladdr aa dynamic');
    expect(at('STALE')).toBe(at('REACHABLE'));
    expect(at('PERMANENT')).toBe('10.0.0.1 dev e lladdr aa PERMANENT');
    expect(at('FAILED')).toBe('10.0.0.1 dev e lladdr aa FAILED');
  });

  it('keeps control bytes of a device name as they are (iproute2 prints them raw): escaping is the output\'s job', () => {
    const r = routing(`${LINKS}[{"dst":"10.0.0.0/8","dev":"e\x1b[31m\x07"}]\n[]\n[{"dst":"10.0.0.1","dev":"e\x1b[31m\x07","lladdr":"aa","state":["STALE"]}]\n`);
    expect(r.facts.routes![0]!.text).toBe('10.0.0.0/8 dev e\x1b[31m\x07');
    expect(r.facts.neighbours![0]!.key).toBe('10.0.0.1 e\x1b[31m\x07 ');
  });

  it('never throws, whatever the lists hold', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.array(fc.jsonValue(), { maxLength: 5 }), fc.array(fc.jsonValue(), { maxLength: 5 }), (routes, rules, neighbours) => {
        const out = routingFromDump({ routing: { routes, rules, neighbours } });
        expect(out.facts.routes!.length + out.issues.length).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  describe('IPv6 policy rules (`ip -6 -d -j -batch` fed `rule show`: a capture of its own)', () => {
    const rules6 = (stdout: string) => {
      const dump = parseIpBatchJson(stdout, { commands: RULES6_BATCH });
      return { dump, ...(dump.status === 'parsed' ? routingFromDump(dump.value, batchFamily(IP6_BATCH_ARGV)) : { facts: null, issues: [] }) };
    };

    it('refuses what is no rule dump: tool failure text, invalid JSON, a truncated array; never a throw', () => {
      expect(rules6('RTNETLINK answers: Address family not supported by protocol\n').dump.status).not.toBe('parsed');
      expect(rules6('[{"priority":0,"src":"all",').dump.status).not.toBe('parsed');
      expect(rules6('{not json}\n').dump.status).not.toBe('parsed');
      expect(rules6('').dump.status).toBe('empty');
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => void rules6(text)));
    });

    it('skips, with an issue, rules with control-byte keys, absurd numbers or overlong strings; keeps the rest, bytes as printed', () => {
      const entries = [
        '{"priority":1e309,"src":"all"}',
        '{"priority":4294967296,"src":"all"}',
        `{"priority":5,"src":"${'f'.repeat(100_000)}"}`,
        '{"priority":6,"srclen":129,"src":"2001:db8::"}',
        '{"priority":7,"src":"all","iif":"e\x1b[31m\x07","table":"main"}',
        '{"priority":8,"src":"2001:db8::","srclen":32,"table":"7"}',
      ];
      const r = rules6(`[${entries.join(',')}]\n`);
      expect(r.facts!.rules!.map((e) => e.text)).toEqual(['inet6 7: from all iif e\x1b[31m\x07 lookup main', 'inet6 8: from 2001:db8::/32 lookup 7']);
      expect(r.issues).toHaveLength(4);
      expect(Math.max(...r.issues.map((i) => i.message.length))).toBeLessThan(400);
    });

    it('reads a real dump: every rule marked inet6 in key and text, so a changed IPv6 rule is a change of the rules list', () => {
      const r = rules6('[{"priority":0,"src":"all","table":"local","protocol":"kernel"},{"priority":32765,"src":"2001:db8::","srclen":32,"table":"7","protocol":"unspec"},{"priority":32766,"src":"all","table":"main","protocol":"kernel"}]\n');
      expect(r.dump.status).toBe('parsed');
      expect(r.facts!.rules!.map((e) => e.text)).toEqual(['inet6 0: from all lookup local proto kernel', 'inet6 32765: from 2001:db8::/32 lookup 7 proto unspec', 'inet6 32766: from all lookup main proto kernel']);
      expect(r.facts!.rules!.every((e) => e.key.startsWith('inet6 '))).toBe(true);
      // The lists it did not ask for are not captured, not empty.
      expect(r.facts).toMatchObject({ routes: null, neighbours: null });
      // The family is the command's: the main batch's rules stay unmarked.
      expect(batchFamily(IP_BATCH_ARGV)).toBeNull();
      expect(batchFamily(['nsenter', '--net=/proc/self/fd/3', ...IP6_BATCH_ARGV])).toBe('inet6');
      expect(batchFamily(['ip', '-n', '../../proc/self/fd/4', '-6', '-d', '-j', '-force', '-batch', '/tmp/x/batch'])).toBe('inet6');
    });
  });
});
