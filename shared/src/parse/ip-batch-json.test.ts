import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpBatchJson } from './ip-batch-json.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../../../fixtures/ip-batch', name), 'utf8');

describe('parseIpBatchJson', () => {
  it('reads a container namespace: veth peer index, macvlan lower, addresses, nsid map', () => {
    const r = parseIpBatchJson(fixture('container-veth-macvlan.json'));
    expect(r.status).toBe('parsed');
    if (r.status !== 'parsed') return;
    expect(r.value.links.map((l) => [l.ifindex, l.ifname, l.kind, l.linkIndex, l.linkNetnsid])).toEqual([
      [1, 'lo', null, null, null],
      [2, 'eth0', 'veth', 7, 0],
      [8, 'fxmv0', 'macvlan', 6, 0],
    ]);
    const eth0 = r.value.links[1]!;
    expect(eth0.addresses).toContainEqual({ family: 'inet', local: '10.99.0.2', prefixlen: 24 });
    expect(eth0.operstate).toBe('UP');
    expect(JSON.parse(eth0.raw).ifname).toBe('eth0');
    expect(r.value.nsids).toEqual([{ nsid: 0, inode: null, name: null }]);
  });

  it('reads the host side: bridge, master and slave kind, named nsid', () => {
    const r = parseIpBatchJson(fixture('host-bridge-veth.json'));
    if (r.status !== 'parsed') throw new Error(r.status);
    const veth = r.value.links.find((l) => l.ifname === 'fxveth0')!;
    expect([veth.ifindex, veth.linkIndex, veth.linkNetnsid, veth.master, veth.slaveKind]).toEqual([7, 2, 0, 'fxbr0', 'bridge']);
    expect(r.value.links.find((l) => l.ifname === 'fxbr0')?.kind).toBe('bridge');
    expect(r.value.nsids).toEqual([{ nsid: 0, inode: null, name: 'fxc' }]);
  });

  it('for pairing, keeps every link field the pairing code reads, without addresses or raw text', () => {
    for (const name of ['container-veth-macvlan.json', 'host-bridge-veth.json']) {
      const full = parseIpBatchJson(fixture(name));
      const lean = parseIpBatchJson(fixture(name), { forPairing: true });
      if (full.status !== 'parsed' || lean.status !== 'parsed') throw new Error(`${name}: ${full.status}/${lean.status}`);
      expect(lean.value.links).toEqual(full.value.links.map((l) => ({ ...l, addresses: [], raw: '' })));
      expect(lean.value.nsids).toEqual(full.value.nsids);
    }
    // Without a link show array, addr show is what there is.
    const addrOnly = fixture('container-veth-macvlan.json').split('\n').filter((line) => line.includes('addr_info')).join('\n');
    const r = parseIpBatchJson(addrOnly, { forPairing: true });
    expect(r.status === 'parsed' ? r.value.links.map((l) => l.ifname) : r.status).toEqual(['lo', 'eth0', 'fxmv0']);
  });

  it('without raw text (ingest), everything else as the full parse: addresses, nsids, routing lists, issues', () => {
    for (const name of ['container-veth-macvlan.json', 'host-bridge-veth.json']) {
      const full = parseIpBatchJson(fixture(name));
      const noRaw = parseIpBatchJson(fixture(name), { raw: false });
      if (full.status !== 'parsed' || noRaw.status !== 'parsed') throw new Error(`${name}: ${full.status}/${noRaw.status}`);
      expect(full.value.links.every((l) => l.raw !== '')).toBe(true);
      expect(noRaw).toEqual({ ...full, value: { ...full.value, links: full.value.links.map((l) => ({ ...l, raw: '' })) } });
    }
  });

  it('tells the three outcomes apart', () => {
    expect(parseIpBatchJson('').status).toBe('empty');
    const failed = parseIpBatchJson('nsenter: cannot open /proc/42/ns/net: No such file or directory\n');
    expect(failed.status).toBe('unusable');
    expect(parseIpBatchJson('[{"nsid":0}]\n').status).toBe('unusable');
  });

  it('keeps what it can read from a truncated dump and says what it lost', () => {
    const text = fixture('container-veth-macvlan.json');
    const lines = text.split('\n');
    const r = parseIpBatchJson(`${lines[0]}\n${lines[1]!.slice(0, 200)}`);
    expect(r.status).toBe('parsed');
    if (r.status !== 'parsed') return;
    expect(r.value.links).toHaveLength(3);
    expect(r.issues.some((i) => /truncated/.test(i.message))).toBe(true);
  });

  it('never throws, whatever the bytes', () => {
    const real = fixture('container-veth-macvlan.json');
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.nat(real.length), (noise, cut) => {
        parseIpBatchJson(noise);
        parseIpBatchJson(real.slice(0, cut) + noise);
        parseIpBatchJson(noise + real.slice(cut));
      }),
      { numRuns: 300 },
    );
  });
  it('one ifindex twice in a dump: the first kept, the second left out with an issue, nothing merged over it', () => {
    const links = '[{"ifindex":2,"ifname":"eth0","mtu":1500},{"ifindex":2,"ifname":"forged0","mtu":9000}]';
    const addrs = '[{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"10.0.0.2","prefixlen":24}]},{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"6.6.6.6","prefixlen":32}]}]';
    const r = parseIpBatchJson(`${links}\n${addrs}\n`);
    if (r.status !== 'parsed') throw new Error(r.status);
    expect(r.value.links.map((l) => [l.ifname, l.mtu, l.addresses.map((a) => a.local)])).toEqual([['eth0', 1500, ['10.0.0.2']]]);
    expect(r.issues.map((i) => i.message)).toEqual([
      'ifindex 2 listed twice in one dump, as "eth0" and "forged0": the first is kept, the second left out',
      'ifindex 2 listed twice in one dump, as "eth0" and "eth0": the first is kept, the second left out',
    ]);
  });
});
