import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleSchema, UNKNOWN_HOST_NETNS } from '@nsnap/shared';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

interface End {
  ifname: string;
  ifindex: number;
  owner: { host: boolean; names: string[] };
}

/**
 * `nsnap-collect import --sos DIR` on a sosreport-shaped tree made from real
 * namespaces: the commands sos's networking plugin runs, their outputs in the
 * files sos names them, in the layouts sos has used. Its `nsnap peers` must be
 * the live capture's for the same namespaces (inodes aside: a sosreport has none).
 */
describe.skipIf(skip !== null)('nsnap-collect import --sos', () => {
  const lab = new Lab();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-sos-'));
  const names: string[] = [];
  /** nsenter's option for the test's host namespace. */
  let host: string[];
  let livePeers: string[];
  /** A process whose command line holds a secret, as a real host's ps shows some. */
  let secretHolder: ChildProcess;
  const secret = `nsnap-secret-${process.pid}-${Date.now()}`;

  const sh = async (argv: string[]) => {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false });
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    return `${r.stdout}\n`;
  };

  /** A sosreport's networking directory as sos 4.3+ (`namespaces/NAME/`) or 3.7–4.2 (flat) writes it. */
  const layOut = async (root: string, layout: 'subdirs' | 'flat') => {
    const net = path.join(root, 'sos_commands', 'networking');
    mkdirSync(net, { recursive: true });
    writeFileSync(path.join(net, 'ip_-d_address'), await sh(['nsenter', ...host, 'ip', '-d', 'address']));
    writeFileSync(path.join(net, 'ip_-s_-d_link'), await sh(['nsenter', ...host, 'ip', '-s', '-d', 'link']));
    // Other tests' namespaces come and go on this host: the report keeps to this test's.
    const listed = (await sh(['ip', 'netns'])).split('\n').filter((l) => l.startsWith(lab.prefix));
    writeFileSync(path.join(net, 'ip_netns'), `${listed.join('\n')}\n`);
    for (const ns of names) {
      const dir = layout === 'subdirs' ? path.join(net, 'namespaces', ns) : net;
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `ip_netns_exec_${ns}_ip_-d_address_show`), await sh(['ip', 'netns', 'exec', ns, 'ip', '-d', 'address', 'show']));
    }
    // sos's process and cgroups plugins (process.py, cgroups.py): ps outputs, command lines included, and /proc/PID/cgroup copies.
    const proc = path.join(root, 'sos_commands', 'process');
    mkdirSync(proc, { recursive: true });
    writeFileSync(path.join(proc, 'ps_auxwwwm'), await sh(['ps', 'auxwwwm']));
    writeFileSync(path.join(proc, 'ps_axo_pid_ppid_user_group_lwp_nlwp_start_time_comm_cgroup'), await sh(['ps', 'axo', 'pid,ppid,user,group,lwp,nlwp,start_time,comm,cgroup']));
    mkdirSync(path.join(root, 'proc', String(secretHolder.pid)), { recursive: true });
    writeFileSync(path.join(root, 'proc', String(secretHolder.pid), 'cgroup'), readFileSync(`/proc/${secretHolder.pid}/cgroup`));
  };

  /** The pairs that touch this test's devices or namespaces, by owner name rather than inode. */
  const peersOf = async (bundleJson: string, label: string) => {
    const dir = mkdtempSync(path.join(tmp, `${label}-`));
    writeFileSync(path.join(dir, 'bundle.json'), bundleJson);
    const db = path.join(dir, 'nsnap.db');
    const ingested = await runCli(ANALYZER_BIN, ['ingest', dir, '--db', db]);
    expect(ingested.exitCode, String(ingested.stderr)).toBe(0);
    const r = await runCli(ANALYZER_BIN, ['peers', '--json', '--db', db]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { pairs: { a: End; b: End; method: string }[]; unpaired: (End & { reason: string })[] };
    const end = (e: End) => `${e.owner.host ? 'host' : e.owner.names.join(',')}/${e.ifname}#${e.ifindex}`;
    const ours = (e: End) => e.ifname.startsWith(lab.prefix) || e.owner.names.some((n) => n.startsWith(lab.prefix));
    return {
      pairs: out.pairs.filter((p) => ours(p.a) || ours(p.b)).map((p) => [end(p.a), end(p.b)].sort().join(' ⇄ ')).sort(),
      unpaired: out.unpaired.filter(ours).map((u) => `${end(u)}: ${u.reason}`),
    };
  };

  beforeAll(async () => {
    secretHolder = spawn('sh', ['-c', `sleep 600 # --password=${secret}`], { stdio: 'ignore' });
    // The "host" is a namespace of this test's own: the real host's links belong to every test running
    // meanwhile (some with aliases that no JSON parser takes), and both captures run inside it.
    // Unnamed, as a host's own namespace is: named, it would appear as `link-netns NAME` inside the others.
    const h = await lab.sleepInNewNetns();
    host = [`--net=/proc/${h.pid}/ns/net`];
    const br = lab.name('br');
    await sh(['nsenter', ...host, 'ip', 'link', 'add', br, 'type', 'bridge']);
    for (const s of ['a', 'b']) {
      const ns = await lab.addNetns(s);
      await sh(['nsenter', ...host, 'ip', 'link', 'add', lab.name(`h${s}`), 'master', br, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
      await lab.sleepIn(ns.name);
      names.push(ns.name);
    }
    // A veth between two namespaces, as a CNI chain or a test rig makes.
    await lab.ip('-n', names[0]!, 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'y0', 'netns', names[1]!);
    const live = await execa('nsenter', [...host, process.execPath, COLLECTOR_BIN, '--stdout', '--quiet', '--host', 'live'], { reject: false });
    expect([0, 1], String(live.stderr)).toContain(live.exitCode);
    ({ pairs: livePeers } = await peersOf(String(live.stdout), 'live'));
    expect(livePeers).toEqual([`${names[0]}/x0#3 ⇄ ${names[1]}/y0#3`, `host/${lab.name('ha')}#3 ⇄ ${names[0]}/eth0#2`, `host/${lab.name('hb')}#4 ⇄ ${names[1]}/eth0#2`].sort());
  }, 60_000);

  afterAll(async () => {
    secretHolder.kill();
    await lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const layout of ['subdirs', 'flat'] as const) {
    it(`gives the live capture's peers from a report laid out as sos does (${layout})`, async () => {
      const root = path.join(tmp, `sosreport-${layout}`);
      await layOut(root, layout);
      const r = await runCli(COLLECTOR_BIN, ['import', '--host', 'sos-host', '--taken-at', new Date().toISOString(), '--sos', root, '--stdout']);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
      expect(bundle.hostNetns.inode).toBeNull();
      // Every file used, verbatim where it is a capture, with its path in the report and its sha256.
      const prefix = layout === 'subdirs' ? (ns: string) => `namespaces/${ns}/` : () => '';
      expect(bundle.collector.sources.map((s) => [s.role, s.name])).toEqual([
        ['ip-link', 'sos_commands/networking/ip_-d_address'],
        ['ip-netns', 'sos_commands/networking/ip_netns'],
        ...names.map((ns) => [`netns:name:${ns}`, `sos_commands/networking/${prefix(ns)}ip_netns_exec_${ns}_ip_-d_address_show`]),
      ]);
      const host = bundle.namespaces.find((n) => n.isHost)!;
      expect(host.inode).toBe(UNKNOWN_HOST_NETNS);
      expect(host.captures[0]).toMatchObject({ spec: 'ip_link_text', argv: ['ip', '-d', 'address'] });
      const inside = bundle.namespaces.filter((n) => !n.isHost);
      expect(inside.map((n) => n.captures[0]?.argv)).toEqual(names.map((ns) => ['ip', 'netns', 'exec', ns, 'ip', '-d', 'address', 'show']));
      // `ip netns` verbatim, as the host's map of its named namespaces' nsids.
      const listed = readFileSync(path.join(root, 'sos_commands', 'networking', 'ip_netns'), 'utf8');
      expect(bundle.nsidMaps.map((m) => m.capture)).toEqual([expect.objectContaining({ spec: 'ip_netns_text', argv: ['ip', 'netns'], stdout: listed })]);
      const sos = await peersOf(String(r.stdout), layout);
      expect(sos.pairs).toEqual(livePeers);
      expect(sos.unpaired).toEqual([]);
    });
  }

  it('keeps ps and cgroup files out of the bundle: they name no namespace, and ps holds command lines', async () => {
    const root = path.join(tmp, 'sosreport-ps');
    await layOut(root, 'subdirs');
    expect(readFileSync(path.join(root, 'sos_commands', 'process', 'ps_auxwwwm'), 'utf8')).toContain(secret);
    const r = await runCli(COLLECTOR_BIN, ['import', '--host', 'sos-host', '--taken-at', new Date().toISOString(), '--sos', root, '--stdout']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).not.toContain(secret);
    expect(String(r.stdout)).not.toContain('--password');
    const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
    expect(bundle.collector.sources.filter((s) => !s.name.startsWith('sos_commands/networking/'))).toEqual([]);
    // Nothing in the report says which namespace a process is in, nor any namespace's inode: said, not guessed.
    expect(bundle.processes).toEqual([]);
    expect(bundle.gaps.filter((g) => g.subject === 'processes' || g.subject === 'netns inodes').map((g) => g.subject).sort()).toEqual(['netns inodes', 'processes']);
    expect(bundle.namespaces.filter((n) => !n.isHost).every((n) => n.inode > UNKNOWN_HOST_NETNS)).toBe(true);
  });

  it('records each expected file that is missing as a gap, and the namespace as not captured', async () => {
    const root = path.join(tmp, 'sosreport-partial');
    await layOut(root, 'subdirs');
    rmSync(path.join(root, 'sos_commands', 'networking', 'namespaces', names[1]!), { recursive: true });
    const r = await runCli(COLLECTOR_BIN, ['import', '--host', 'sos-host', '--taken-at', new Date().toISOString(), '--sos', root, '--stdout']);
    expect(r.exitCode, String(r.stderr)).toBe(1);
    const bundle = BundleSchema.parse(JSON.parse(String(r.stdout)));
    expect(bundle.gaps.map((g) => g.subject)).toContain(`sos_commands/networking/namespaces/${names[1]}/ip_netns_exec_${names[1]}_ip_-d_address_show`);
    const missing = bundle.namespaces.find((n) => n.failure !== null)!;
    expect(bundle.handles.find((h) => h.inode === missing.inode)?.name).toBe(names[1]);

    rmSync(path.join(root, 'sos_commands', 'networking', 'ip_netns'));
    const noList = await runCli(COLLECTOR_BIN, ['import', '--host', 'sos-host', '--taken-at', new Date().toISOString(), '--sos', root, '--stdout']);
    expect(noList.exitCode, String(noList.stderr)).toBe(0);
    expect(BundleSchema.parse(JSON.parse(String(noList.stdout))).gaps.map((g) => g.subject)).toContain('sos_commands/networking/ip_netns');
  });

  it('refuses a directory that is not a sosreport, naming it (exit 2)', async () => {
    const r = await runCli(COLLECTOR_BIN, ['import', '--host', 'sos-host', '--taken-at', new Date().toISOString(), '--sos', tmp, '--stdout']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/--sos ".*": no sos_commands\/networking\/ directory/);
  });
});
