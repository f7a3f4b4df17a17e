import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

/** Every C0 byte iproute2 6.1 writes raw into `-j` strings, and DEL. */
const EVERY_CONTROL = Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)).join('') + '\x7f';
const ESCAPES = '\x1b]0;owned\x07\x1b[2J\x1b[31mred\x1b[0m\x07';

interface End {
  netns: number;
  ifname: string;
  ifindex: number;
  master: string | null;
}
interface Peers {
  pairs: { a: End; b: End; method: string }[];
  unpaired: (End & { reason: string; detail: string })[];
  lowers: { end: End; target: End | null }[];
}
interface Show {
  namespaces: { netns: number; captured: boolean; interfaces: { ifname: string; alias: string | null; master: string | null }[] }[];
}

/** Runs `ip [-n NS] -batch -` with raw bytes: argv cannot carry bytes that are not UTF-8, stdin can. */
async function ipBatch(lines: Buffer[], netns?: string): Promise<void> {
  const r = await execa('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: Buffer.concat(lines.map((l) => Buffer.concat([l, Buffer.from('\n')]))), reject: false });
  if (r.exitCode !== 0) throw new Error(`ip -batch failed: ${r.stderr}`);
}
const bytes = (...parts: (string | number)[]) => Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : Buffer.from(p))));
/** How nsnap's JSON output and bundles spell a byte that is not UTF-8 (UTF-8b). */
const b8 = (byte: number) => String.fromCharCode(0xdc00 + byte);

/**
 * Hostile bytes on a real kernel, through the real collector and analyzer:
 * aliases holding every control byte and terminal escapes (iproute2 then
 * prints invalid JSON) on the host and in a namespace, and names that are not
 * UTF-8 and differ only in such bytes. Nothing may be lost and nothing raw may
 * reach the terminal.
 */
describe.skipIf(skip)('hostile bytes in names and aliases, end to end', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-hostile-'));
  const db = path.join(dir, 'nsnap.db');
  const host = `hb-${lab.prefix}`;
  const br = lab.name('br');
  let a: { name: string; inode: number; pid: number; hostEnd: string };
  let b: { name: string; inode: number };
  let hostInode: number;
  let peers: Peers;
  let show: Show;
  let peersText: string;
  let showText: string;
  let ingestText: string;

  beforeAll(async () => {
    hostInode = statSync('/proc/self/ns/net').ino;
    await lab.ip('link', 'add', lab.ownHostLink(br), 'type', 'bridge');
    a = await lab.addContainer('a', br);
    // Host side: every control byte; inside: escape sequences; a macvlan whose lower is the host bridge.
    await lab.ip('link', 'set', 'dev', a.hostEnd, 'alias', `h${EVERY_CONTROL}`);
    await lab.ip('-n', a.name, 'link', 'set', 'dev', 'eth0', 'alias', `i${ESCAPES}${EVERY_CONTROL}`);
    const mv = lab.name('mv');
    await lab.ip('link', 'add', mv, 'link', br, 'type', 'macvlan', 'mode', 'bridge');
    await lab.ip('link', 'set', mv, 'netns', a.name);
    await lab.ip('-n', a.name, 'link', 'set', 'dev', mv, 'alias', ESCAPES);
    // Names that are not UTF-8 and differ only in such bytes: a same-namespace pair, two bridges as masters, two cross-namespace pairs.
    b = await lab.addNetns('b');
    await ipBatch(
      [
        bytes('link add name n', 0xff, '1 type veth peer name n', 0xfe, '1'),
        bytes('link add name b', 0xff, ' type bridge'),
        bytes('link add name b', 0xfe, ' type bridge'),
        bytes('link set n', 0xff, '1 master b', 0xff),
        bytes('link set n', 0xfe, '1 master b', 0xfe),
      ],
      b.name,
    );
    // Host ends go away with namespace b (deleting an end deletes its peer).
    await ipBatch([
      bytes(`link add name ${lab.prefix}x`, 0xff, ' type veth peer name e', 0xff, ` netns ${b.name}`),
      bytes(`link add name ${lab.prefix}x`, 0xfe, ' type veth peer name e', 0xfe, ` netns ${b.name}`),
      bytes(`link set ${lab.prefix}x`, 0xff, ` alias ${ESCAPES}`),
    ]);

    const collected = await runCli(COLLECTOR_BIN, ['--out', path.join(dir, 'bundles'), '--host', host, '--quiet']);
    expect([0, 1], String(collected.stderr)).toContain(collected.exitCode);
    const ingested = await runCli(ANALYZER_BIN, ['ingest', path.join(dir, 'bundles'), '--db', db]);
    expect(ingested.exitCode, String(ingested.stderr)).toBe(0);
    ingestText = String(ingested.stdout) + String(ingested.stderr);
    const nsnap = async (...args: string[]) => {
      const r = await runCli(ANALYZER_BIN, [...args, '--host', host, '--db', db], { encoding: 'buffer' });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      // Text output must be valid UTF-8: a byte that is not shows as \xNN.
      return new TextDecoder('utf-8', { fatal: true }).decode(r.stdout as Uint8Array);
    };
    peers = JSON.parse(await nsnap('peers', '--json'));
    show = JSON.parse(await nsnap('show', '--json'));
    peersText = await nsnap('peers');
    showText = await nsnap('show');
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const ns = (inode: number) => show.namespaces.find((n) => n.netns === inode)!;
  const pairOf = (netns: number, ifname: string) => peers.pairs.find((p) => (p.a.netns === netns && p.a.ifname === ifname) || (p.b.netns === netns && p.b.ifname === ifname));
  const other = (p: { a: End; b: End }, netns: number, ifname: string) => (p.a.netns === netns && p.a.ifname === ifname ? p.b : p.a);

  it('captures the host and the namespace whose aliases make ip -j print invalid JSON', () => {
    expect(ns(hostInode).captured).toBe(true);
    expect(ns(a.inode).captured).toBe(true);
    expect(ns(a.inode).interfaces.map((i) => i.ifname).sort()).toEqual(['eth0', 'lo', lab.name('mv')].sort());
    expect(ns(hostInode).interfaces.find((i) => i.ifname === a.hostEnd)?.alias).toBe(`h${EVERY_CONTROL}`);
    expect(ns(a.inode).interfaces.find((i) => i.ifname === 'eth0')?.alias).toBe(`i${ESCAPES}${EVERY_CONTROL}`);
    expect(ingestText).not.toMatch(/parse issue/);
  });

  it('loses no pair, no lower, no master through hostile aliases', () => {
    const p = pairOf(a.inode, 'eth0');
    expect(p, 'the container pair').toBeDefined();
    expect(other(p!, a.inode, 'eth0')).toMatchObject({ netns: hostInode, ifname: a.hostEnd, master: br });
    const lower = peers.lowers.find((l) => l.end.netns === a.inode && l.end.ifname === lab.name('mv'));
    expect(lower?.target).toMatchObject({ netns: hostInode, ifname: br });
    const touched = (e: End) => e.netns === a.inode || e.netns === b.inode || e.ifname.startsWith(lab.prefix);
    expect(peers.unpaired.filter(touched)).toEqual([]);
  });

  it('keeps names that differ only in bytes that are not UTF-8 apart: interfaces, pairs and masters all there', () => {
    const inB = ns(b.inode).interfaces;
    expect(inB.map((i) => i.ifname).sort()).toEqual(['lo', `n${b8(0xff)}1`, `n${b8(0xfe)}1`, `b${b8(0xff)}`, `b${b8(0xfe)}`, `e${b8(0xff)}`, `e${b8(0xfe)}`].sort());
    expect(inB.find((i) => i.ifname === `n${b8(0xff)}1`)?.master).toBe(`b${b8(0xff)}`);
    expect(inB.find((i) => i.ifname === `n${b8(0xfe)}1`)?.master).toBe(`b${b8(0xfe)}`);
    const same = pairOf(b.inode, `n${b8(0xff)}1`);
    expect(same && other(same, b.inode, `n${b8(0xff)}1`)).toMatchObject({ netns: b.inode, ifname: `n${b8(0xfe)}1` });
    expect(same?.method).toBe('same-netns');
    for (const byte of [0xff, 0xfe]) {
      const p = pairOf(b.inode, `e${b8(byte)}`);
      expect(p, `pair of e\\x${byte.toString(16)}`).toBeDefined();
      expect(other(p!, b.inode, `e${b8(byte)}`)).toMatchObject({ netns: hostInode, ifname: `${lab.prefix}x${b8(byte)}` });
    }
    expect(ns(hostInode).interfaces.find((i) => i.ifname === `${lab.prefix}x${b8(0xff)}`)?.alias).toBe(ESCAPES);
  });

  it('prints no raw control byte, and shows each such byte as \\xNN', () => {
    for (const text of [peersText, showText]) {
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(text).toContain(`${lab.prefix}x\\xff`);
      expect(text).toContain(`${lab.prefix}x\\xfe`);
    }
    expect(showText).toContain('n\\xff1');
    expect(showText).toContain('n\\xfe1');
    expect(showText).not.toContain('\ufffd');
  });

  it('finds a name that is not UTF-8 by its escaped spelling (whois)', async () => {
    const r = await runCli(ANALYZER_BIN, ['whois', 'n\\xff1', '--host', host, '--db', db, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const w = JSON.parse(String(r.stdout)) as { matches: { netns: number; ifname: string; master: string | null }[] };
    expect(w.matches).toEqual([expect.objectContaining({ netns: b.inode, ifname: `n${b8(0xff)}1`, master: `b${b8(0xff)}` })]);
  });
});
