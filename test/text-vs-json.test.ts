import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpBatchJson, parseIpLinkText, parseNetnsListId, type Link } from '@nsnap/shared';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

/**
 * The same interfaces read three ways — `ip -d link show`, `ip -d -o link show`,
 * `ip -d -j link show` — in the same namespaces must give the same model. The
 * one field text cannot carry the JSON way is the nsid of a peer namespace that
 * has a /run/netns name: text prints `link-netns NAME`, checked here against
 * `ip netns list-id`.
 */
describe.skipIf(skip !== null)('ip link text and JSON give the same model', () => {
  const lab = new Lab();
  const namespaces: { label: string; args: string[] }[] = [];
  let unnamedPid = 0;

  beforeAll(async () => {
    const a = await lab.addNetns('a');
    const b = await lab.addNetns('b');
    const br = lab.ownHostLink(lab.name('br'));
    await lab.ip('link', 'add', br, 'type', 'bridge');
    await lab.ip('link', 'set', br, 'up');
    // Host veth into a named namespace, enslaved to the bridge, with an alias and an altname.
    const v0 = lab.ownHostLink(lab.name('v0'));
    await lab.ip('link', 'add', v0, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', a.name);
    await lab.ip('link', 'set', v0, 'master', br, 'up');
    await lab.ip('link', 'set', v0, 'alias', 'container a');
    await lab.ip('link', 'property', 'add', 'dev', v0, 'altname', lab.name('alt'));
    // A veth pair between two named namespaces, and one with both ends in one namespace.
    await lab.ip('-n', a.name, 'link', 'add', 'ab0', 'type', 'veth', 'peer', 'name', 'ba0', 'netns', b.name);
    await lab.ip('-n', b.name, 'link', 'add', 'loc0', 'type', 'veth', 'peer', 'name', 'loc1');
    // A macvlan on the host bridge moved into a, and one on a local parent in b.
    const mv = lab.ownHostLink(lab.name('mv'));
    await lab.ip('link', 'add', mv, 'link', br, 'type', 'macvlan', 'mode', 'bridge');
    await lab.ip('link', 'set', mv, 'netns', a.name);
    await lab.ip('-n', b.name, 'link', 'add', 'mvl0', 'link', 'loc0', 'type', 'macvlan', 'mode', 'private');
    // A vxlan with an underlay, up, with addresses.
    const vx = lab.ownHostLink(lab.name('vx'));
    // A VNI of its own: two vxlans with one VNI and port cannot coexist in a namespace.
    const vni = String(1 + (Number.parseInt(lab.prefix.slice(1), 16) % 16_000_000));
    await lab.ip('link', 'add', vx, 'type', 'vxlan', 'id', vni, 'dev', br, 'dstport', '4789');
    await lab.ip('-n', a.name, 'addr', 'add', '10.77.0.2/24', 'dev', 'eth0');
    await lab.ip('-n', a.name, 'link', 'set', 'eth0', 'up');
    // An unnamed namespace (no /run/netns entry) holding a veth peer: text prints `link-netnsid N`.
    const unnamed = await lab.sleepInNewNetns();
    unnamedPid = unnamed.pid;
    const u0 = lab.ownHostLink(lab.name('u0'));
    await lab.ip('link', 'add', u0, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', String(unnamed.pid));
    namespaces.push(
      { label: 'host', args: [] },
      { label: 'a', args: ['-n', a.name] },
      { label: 'b', args: ['-n', b.name] },
    );
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  const show = async (args: string[], ...extra: string[]) => (await execa('ip', [...args, ...extra], { reject: true })).stdout;

  it('in the host, two named namespaces and an unnamed one', async () => {
    const all = [...namespaces, { label: 'unnamed', args: [] as string[], nsenter: true }];
    let compared = 0;
    for (const ns of all) {
      const run = (...extra: string[]) =>
        'nsenter' in ns
          ? execa('nsenter', ['-t', String(unnamedPid), '-n', 'ip', ...extra]).then((r) => r.stdout)
          : show(ns.args, ...extra);
      // The JSON dump first: it assigns any missing nsid, so the text dumps print the same ones.
      const json = parseIpBatchJson(await run('-d', '-j', 'link', 'show'));
      const text = parseIpLinkText(await run('-d', 'link', 'show'));
      const oneline = parseIpLinkText(await run('-d', '-o', 'link', 'show'));
      const listId = parseNetnsListId(await run('netns', 'list-id'));
      if (json.status !== 'parsed' || text.status !== 'parsed' || oneline.status !== 'parsed') {
        throw new Error(`${ns.label}: ${json.status} ${text.status} ${oneline.status}`);
      }
      // The host is shared: another namespace's veth may carry a hostile alias, whose raw newline
      // the text form cannot tell from a line break (JSON can). Only our own devices must read cleanly.
      const ours = (i: { message: string }) => ns.label !== 'host' || i.message.includes(lab.prefix);
      expect(text.issues.filter(ours), ns.label).toEqual([]);
      expect(oneline.issues.filter(ours), ns.label).toEqual([]);
      const nsidOfName = new Map((listId.status === 'parsed' ? listId.value : []).filter((e) => e.name).map((e) => [e.name!, e.nsid]));
      const mine = (l: Link) => ns.label !== 'host' || l.ifname.startsWith(lab.prefix) || l.ifname === 'lo';
      const fromJson = json.value.links.filter(mine);
      for (const parsed of [text.value.links.filter(mine), oneline.value.links.filter(mine)]) {
        expect(parsed.map((l) => l.ifname), ns.label).toEqual(fromJson.map((l) => l.ifname));
        parsed.forEach((t, i) => {
          const j = fromJson[i]!;
          if (t.linkNetnsName !== null) {
            // Text names the peer namespace; JSON numbers it; the nsid list ties the two.
            expect(j.linkNetnsid, `${ns.label}/${t.ifname}`).toBe(nsidOfName.get(t.linkNetnsName));
            expect({ ...t, raw: '', linkNetnsName: null, linkNetnsid: j.linkNetnsid }).toEqual({ ...j, raw: '' });
          } else {
            expect({ ...t, raw: '' }, `${ns.label}/${t.ifname}`).toEqual({ ...j, raw: '' });
          }
          compared++;
        });
      }
    }
    // Host: lo, br, v0, vx, u0; a: lo, eth0, ab0, mv; b: lo, ba0, loc0, loc1, mvl0; unnamed: lo, eth1 — read twice (text, -o).
    expect(compared).toBe(2 * (5 + 4 + 5 + 2));
  });

  it('covers the fields that matter for pairing with non-trivial values', async () => {
    const host = parseIpLinkText(await show([], '-d', 'link', 'show'));
    const b = parseIpLinkText(await show(namespaces[2]!.args, '-d', 'link', 'show'));
    if (host.status !== 'parsed' || b.status !== 'parsed') throw new Error('not parsed');
    const h = (suffix: string) => host.value.links.find((l) => l.ifname === lab.name(suffix))!;
    expect([h('v0').kind, h('v0').slaveKind, h('v0').master, h('v0').linkNetnsName, h('v0').alias, h('v0').altnames]).toEqual([
      'veth',
      'bridge',
      lab.name('br'),
      `${lab.prefix}a`,
      'container a',
      [lab.name('alt')],
    ]);
    expect([h('vx').kind, h('vx').underlay]).toEqual(['vxlan', lab.name('br')]);
    expect([h('u0').linkNetnsid, h('u0').linkNetnsName]).toEqual([expect.any(Number), null]);
    const loc0 = b.value.links.find((l) => l.ifname === 'loc0')!;
    const mvl0 = b.value.links.find((l) => l.ifname === 'mvl0')!;
    expect([loc0.linkName, mvl0.kind, mvl0.linkName]).toEqual(['loc1', 'macvlan', 'loc0']);
  });
});
