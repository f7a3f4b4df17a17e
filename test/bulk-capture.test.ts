import { openSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCapture } from '@nsnap/shared';
import { runCommand } from '../collector/src/exec/run.js';
import { bulkCapture, NETNS_RUN_DIR, type EnterWay } from '../collector/src/probes/bulk-capture.js';
import { mountPoints } from '../collector/src/probes/netns-handles.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();

/** Namespaces this process holds a descriptor of, by inode (nsfs files, whatever path they were opened by). */
function heldNamespaces(): Set<number> {
  const nsfs = statSync('/proc/self/ns/net').dev;
  const held = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const st = statSync(`/proc/self/fd/${fd}`);
      if (st.dev === nsfs) held.add(st.ino);
    } catch {
      // the descriptor of the readdir itself is gone by now
    }
  }
  return held;
}

describe.skipIf(skip)('bulk capture over real namespaces', () => {
  const lab = new Lab();
  afterAll(() => lab.cleanup());

  /** Five namespaces, each with a veth pair inside, and their expected interfaces. */
  async function fiveNamespaces(tag: string): Promise<{ inode: number; name: string; links: string[] }[]> {
    const out = [];
    for (const s of ['a', 'b', 'c', 'd', 'e']) {
      const ns = await lab.addNetns(`${tag}${s}`);
      await lab.ip('-n', ns.name, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', `vb${s}`);
      out.push({ inode: ns.inode, name: ns.name, links: ['lo', 'va', `vb${s}`] });
    }
    return out;
  }
  const linksOf = (capture: Parameters<typeof parseCapture>[0]) => {
    const parsed = parseCapture(capture);
    if (parsed.status !== 'parsed') throw new Error(parsed.status);
    return parsed.value.links.map((l) => l.ifname).sort();
  };
  /** This process's mount points at `dir` and below. */
  const mountsUnder = (dir: string) => mountPoints(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m === dir || m.startsWith(`${dir}/`)).sort();
  const runDir = realpathSync(NETNS_RUN_DIR);

  it('opens each chunk as a worker takes it, keeps none of the handles, and captures every namespace', async () => {
    const subjects = await fiveNamespaces('');
    const opened: string[] = [];
    const result = await bulkCapture(
      subjects,
      (s) => {
        opened.push(s.name);
        // One of them cannot be opened: it is skipped, the others are captured.
        return s.name.endsWith('c') ? null : openSync(`/run/netns/${s.name}`, 'r');
      },
      'link show\naddr show\n',
      { run: runCommand, workers: 2, timeoutMs: 10_000, chunk: 2 },
    );
    expect(opened.sort()).toEqual(subjects.map((s) => s.name).sort());
    const mine = new Set(subjects.map((s) => s.inode));
    expect([...heldNamespaces()].filter((i) => mine.has(i))).toEqual([]);
    expect(result.stderr).toBe('');
    expect([...result.captures.keys()].sort()).toEqual(subjects.filter((s) => !s.name.endsWith('c')).map((s) => s.inode).sort());
    for (const s of subjects.filter((x) => !x.name.endsWith('c'))) {
      const capture = result.captures.get(s.inode)!;
      expect(linksOf(capture), s.name).toEqual(s.links);
      // Chunks of two (one with the namespace that did not open): a duration is a share of its worker's, and says so.
      expect([1, 2], s.name).toContain(capture.batch?.of);
      expect(capture.durationMs).toBeCloseTo(capture.batch!.durationMs / capture.batch!.of, 2);
    }
  });

  it('enters with one ip -n per namespace from a private mount namespace, and the host keeps its named namespaces', async () => {
    const subjects = await fiveNamespaces('i');
    const before = mountsUnder(runDir);
    const sysBefore = mountsUnder('/sys');
    const enter: EnterWay = { how: 'ip-netns', unmount: [runDir, '/sys'] };
    const result = await bulkCapture(subjects, (s) => openSync(`/run/netns/${s.name}`, 'r'), 'link show\naddr show\n', { run: runCommand, workers: 2, timeoutMs: 10_000, chunk: 3, enter });
    expect(result.fellBack).toBeNull();
    expect(result.stderr).toBe('');
    for (const s of subjects) {
      const capture = result.captures.get(s.inode)!;
      expect(capture.argv.slice(0, 2), s.name).toEqual(['ip', '-n']);
      expect(capture.argv[2]).toMatch(/^(\.\.\/)+proc\/self\/fd\/\d+$/);
      expect(linksOf(capture), s.name).toEqual(s.links);
    }
    // The worker unmounted the run directory in its own mount namespace only.
    expect(mountsUnder(runDir)).toEqual(before);
    expect(mountsUnder('/sys')).toEqual(sysBefore);
    expect(sysBefore).toContain('/sys');
    expect(before).toEqual(expect.arrayContaining(subjects.map((s) => `${runDir}/${s.name}`)));
    expect(await lab.ip('netns', 'list')).toContain(subjects[0]!.name);
  });

  it('falls back to nsenter for the whole pass when not one namespace could be entered with ip -n', async () => {
    const subjects = await fiveNamespaces('f');
    let opens = 0;
    // Unmounting /proc in the worker's mount namespace leaves ip -n (and find) no /proc/self/fd to reach.
    const enter: EnterWay = { how: 'ip-netns', unmount: ['/proc'] };
    const result = await bulkCapture(
      subjects,
      (s) => {
        opens++;
        return openSync(`/run/netns/${s.name}`, 'r');
      },
      'link show\naddr show\n',
      { run: runCommand, workers: 1, timeoutMs: 10_000, chunk: 5, enter },
    );
    expect(result.fellBack).toMatch(/No such file or directory/);
    expect(opens).toBe(10);
    for (const s of subjects) {
      const capture = result.captures.get(s.inode)!;
      expect(capture.argv[0], s.name).toBe('nsenter');
      expect(linksOf(capture), s.name).toEqual(s.links);
    }
  });
});
