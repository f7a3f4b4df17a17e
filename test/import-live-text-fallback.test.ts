import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlateBundle, type Bundle, type Capture } from '@nsnap/shared';
import { collect, runCommand, type Runner } from '@nsnap/collector';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

/** What iproute2 before 4.13 prints for `-j` (it has no JSON output); exit status 255. */
const NO_JSON = 'Option "-j" is unknown, try "ip -help".\n';

/**
 * An old iproute2, at the exec-runner seam: the kernel here cannot show one.
 * Any `ip … -j …` (also behind nsenter) fails as the old tool does; every
 * other command really runs.
 */
function oldIproute2(asked: string[][]): Runner {
  return async (argv, options) => {
    const ip = argv.indexOf('ip');
    if (ip >= 0 && argv.slice(ip + 1).includes('-j')) {
      asked.push(argv);
      const capture: Capture = {
        spec: options.spec,
        argv,
        stdin: options.input ?? null,
        exitCode: 255,
        stdout: '',
        stderr: NO_JSON,
        durationMs: 0.5,
        timedOut: false,
        failure: { reason: 'unsupported', detail: NO_JSON.trim() },
      };
      return capture;
    }
    return runCommand(argv, options);
  };
}

/**
 * The live collector on a host whose `ip` has no `-j`: link dumps fall back to
 * `ip -d -o link show` text (spec ip_link_text, the spec `nsnap-collect import`
 * writes for hand-captured text), the bundle says it fell back, and the
 * shared pairing still pairs the veths from the text.
 */
describe.skipIf(skip)('live capture without ip -j', () => {
  const lab = new Lab();
  const asked: string[][] = [];
  const logged: string[] = [];
  let ns: { name: string; inode: number };
  let hostEnd: string;
  let bundle: Bundle;

  beforeAll(async () => {
    ns = await lab.addNetns('t');
    hostEnd = lab.ownHostLink(lab.name('h'));
    await lab.ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name);
    await lab.sleepIn(ns.name);
    bundle = await collect({ run: oldIproute2(asked), log: (m) => logged.push(m), timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('asks for JSON once, in the host, then dumps every namespace as text', () => {
    expect(asked[0]).toEqual(['ip', '-d', '-j', '-force', '-batch', '-']);
    // The bulk pass starts beside the host's dump (it goes through the runner too, so the old ip
    // refuses its workers' -j as well) and is dropped; no namespace is asked for JSON on its own.
    // So does the host's IPv6 rule dump (ip -6 -j), refused too and not kept: text mode has no rules.
    expect(asked.slice(1).filter((argv) => argv[0] !== 'find' && argv[0] !== 'unshare')).toEqual([['ip', '-6', '-d', '-j', '-force', '-batch', '-']]);
    const host = bundle.namespaces.find((n) => n.isHost)!;
    expect(host.captures).toHaveLength(1);
    expect(host.captures[0]).toMatchObject({ spec: 'ip_link_text', argv: ['ip', '-d', '-o', 'link', 'show'], exitCode: 0, failure: null });
    const ours = bundle.namespaces.find((n) => n.inode === ns.inode)!;
    expect(ours.captures[0]).toMatchObject({ spec: 'ip_link_text', argv: ['nsenter', '--net=/proc/self/fd/3', 'ip', '-d', '-o', 'link', 'show'], failure: null });
    expect(ours.captures[0]!.stdout).toMatch(/^\d+: eth0@if\d+: /m);
    expect(bundle.namespaces.filter((n) => n.captures.some((c) => c.spec !== 'ip_link_text'))).toEqual([]);
  });

  it('records that it fell back, and why', () => {
    expect(bundle.gaps).toContainEqual({
      probe: 'namespace-links',
      subject: 'ip -j',
      reason: 'unsupported',
      detail: expect.stringMatching(/^fell back to text dumps \(ip -d -o link show\): Option "-j" is unknown/),
    });
    expect(logged.join('\n')).toMatch(/ip -j is not supported here: capturing link dumps as text/);
  });

  it('pairs the veth from the text dumps', () => {
    const pair = correlateBundle(bundle).correlation.pairs.find((p) => p.a.netns === ns.inode || p.b.netns === ns.inode);
    const ends = [pair?.a, pair?.b].map((e) => `${e?.netns}/${e?.ifname}`).sort();
    expect(ends).toEqual([`${bundle.hostNetns.inode}/${hostEnd}`, `${ns.inode}/eth0`].sort());
  });
});
