import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunOptions, Runner } from '../exec/run.js';
import { bulkCapture, chooseEnterWay, MarkerSplitter } from './bulk-capture.js';

const M = '@@nsnap-0123456789ab';
const stream = [
  `${M} start /proc/self/fd/3\n`,
  '[{"ifindex":1,"ifname":"lo"}]\n[{"ifindex":1,"ifname":"lo","addr_info":[]}]\n',
  `${M} ok\n`,
  `${M} start /proc/self/fd/4\n`,
  'nsenter: reassociate to namespace failed\n',
  `${M} fail\n`,
  `${M} start /proc/self/fd/5\n`,
  '[{"ifindex":1,"ifname":"lo","ifalias":"@@nsnap-ffffffffffff ok"}]', // no final newline, a foreign marker inside
  `${M} ok\n`,
  `${M} start /proc/self/fd/6\n`,
  '[{"ifindex":1,"ifname":"é"}]\n', // killed before its end
].join('');
// A name with bytes that are not UTF-8 (0xff, a lone 0xc3): kept as UTF-8b, byte for byte.
const invalid = Buffer.concat([Buffer.from(`${M} start /proc/self/fd/7\n[{"ifindex":2,"ifname":"n`), Buffer.of(0xff, 0x31, 0xc3), Buffer.from(`"}]\n${M} ok\n`)]);

const expected = [
  { fd: 3, stdout: '[{"ifindex":1,"ifname":"lo"}]\n[{"ifindex":1,"ifname":"lo","addr_info":[]}]\n', exact: true },
  { fd: 5, stdout: '[{"ifindex":1,"ifname":"lo","ifalias":"@@nsnap-ffffffffffff ok"}]', exact: true },
];

describe('MarkerSplitter', () => {
  it('cuts a worker stream into the captures that ended with ok: not a failed one, not one cut off', () => {
    expect(new MarkerSplitter(M).push(Buffer.from(stream))).toEqual(expected);
  });

  it('gives the same captures however the stream arrives in pieces (even inside a marker or a UTF-8 character)', () => {
    const bytes = Buffer.from(stream);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        const splitter = new MarkerSplitter(M);
        const got = [];
        let from = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          got.push(...splitter.push(bytes.subarray(from, cut)));
          from = cut;
        }
        got.push(...splitter.push(bytes.subarray(from)));
        expect(got).toEqual(expected);
      }),
    );
  });

  it('keeps a capture with bytes that are not UTF-8 byte-exact (UTF-8b), however it arrives in pieces', () => {
    const bytes = Buffer.concat([Buffer.from(`${M} start /proc/self/fd/3\n[]\n${M} ok\n`), invalid]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: bytes.length - 1 }), (cut) => {
        const splitter = new MarkerSplitter(M);
        const got = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))];
        expect(got).toEqual([
          { fd: 3, stdout: '[]\n', exact: true },
          { fd: 7, stdout: '[{"ifindex":2,"ifname":"n\udcff1\udcc3"}]\n', exact: false },
        ]);
      }),
    );
  });

  it('answers each capture as soon as its ok arrives', () => {
    const splitter = new MarkerSplitter(M);
    const end = stream.indexOf(`${M} ok\n`) + `${M} ok\n`.length;
    expect(splitter.push(Buffer.from(stream.slice(0, end - 1)))).toEqual([]);
    expect(splitter.push(Buffer.from(stream.slice(end - 1, end)))).toEqual([expected[0]]);
  });
});

describe('chooseEnterWay', () => {
  const base = ['/', '/proc', '/sys', '/sys/fs/cgroup', '/sys/fs/cgroup/memory', '/dev', '/run', '/tmp'];
  const named = (n: number) => ['/run/netns', ...Array.from({ length: n }, (_, i) => `/run/netns/ns${i}`)];

  it('enters with ip -n, unmounting the named namespaces and /sys first, where the mounts left are few', () => {
    expect(chooseEnterWay([...base, ...named(400)], '/run/netns')).toEqual({ how: 'ip-netns', unmount: ['/run/netns', '/sys'] });
  });
  it('unmounts only what is a mount point', () => {
    expect(chooseEnterWay(base, '/run/netns')).toEqual({ how: 'ip-netns', unmount: ['/sys'] });
    expect(chooseEnterWay(['/', '/proc'], '/run/netns')).toEqual({ how: 'ip-netns', unmount: [] });
  });
  it('counts /sys and everything below it as unmounted: hybrid cgroup hosts mount a dozen hierarchies there', () => {
    const cgroups = Array.from({ length: 70 }, (_, i) => `/sys/fs/cgroup/h${i}`);
    expect(chooseEnterWay([...base, ...cgroups], '/run/netns').how).toBe('ip-netns');
  });
  it('keeps nsenter where every ip -n would copy many mounts (containers\' overlays), or ip -n cannot resolve a name', () => {
    const overlays = Array.from({ length: 100 }, (_, i) => `/var/lib/docker/overlay2/${i}/merged`);
    expect(chooseEnterWay([...base, ...overlays, ...named(10)], '/run/netns')).toEqual({ how: 'nsenter', why: expect.stringMatching(/^105 mounts besides \/run\/netns and \/sys, more than the 64/) });
    expect(chooseEnterWay([...base, ...overlays], '/run/netns', true)).toEqual({ how: 'ip-netns', unmount: ['/sys'] });
    expect(chooseEnterWay(base, null)).toEqual({ how: 'nsenter', why: expect.stringMatching(/^no \/var\/run\/netns/) });
    expect(chooseEnterWay(base, '/run/net[ns]')).toMatchObject({ how: 'nsenter' });
  });
  it('does not count a mount beside the run directory that merely shares its prefix', () => {
    const lookalikes = Array.from({ length: 70 }, (_, i) => `/run/netns2/x${i}`);
    expect(chooseEnterWay([...base, ...lookalikes], '/run/netns')).toMatchObject({ how: 'nsenter' });
  });
});

describe('bulkCapture through the runner seam', () => {
  it('runs its workers only through the runner and records what the worker measured, as shares', async () => {
    const calls: { argv: string[]; options: RunOptions }[] = [];
    // A worker whose first namespace's ip succeeded and second's failed, as find reports them.
    const fake: Runner = async (argv, options) => {
      calls.push({ argv, options });
      const marker = /^(@@nsnap-[0-9a-f]{12}) start/.exec(argv[argv.indexOf('-printf') + 1] ?? '')?.[1];
      if (marker === undefined || options.stdoutFd === undefined) throw new Error('no marker or no output file');
      writeSync(options.stdoutFd, `${marker} start /proc/self/fd/3\n[{"ifindex":1,"ifname":"lo"}]\n${marker} ok\n${marker} start /proc/self/fd/4\n${marker} fail\n`);
      return { spec: options.spec, argv, stdin: null, exitCode: 0, stdout: '', stderr: 'Cannot open network namespace\n', durationMs: 30, timedOut: false, failure: null };
    };
    const subjects = [{ inode: 4026532001 }, { inode: 4026532002 }];
    const result = await bulkCapture(subjects, () => openSync('/dev/null', 'r'), 'link show\n', { run: fake, workers: 1, timeoutMs: 1000, enter: { how: 'nsenter' } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.argv[0]).toBe('find');
    expect(calls[0]!.options).toMatchObject({ spec: 'ip_batch_json', group: true });
    expect(calls[0]!.options.fds).toHaveLength(2);
    expect([...result.captures.keys()]).toEqual([4026532001]);
    expect(result.captures.get(4026532001)).toMatchObject({ exitCode: 0, stderr: '', durationMs: 30, batch: { of: 1, durationMs: 30 }, argv: ['nsenter', '--net=/proc/self/fd/3', 'ip', '-d', '-j', '-force', '-batch', expect.stringMatching(/batch$/)] });
    expect(result.stderr).toBe('Cannot open network namespace\n');
  });

  it('leaves no temp dir behind: its files removed by name, and whatever else turned up there too', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-bulk-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      for (const stray of [false, true]) {
        const fake: Runner = async (argv, options) => {
          const batch = argv[argv.indexOf('-batch') + 1] as string;
          // Something the pass did not make, beside its files: the dir still goes.
          if (stray) writeFileSync(path.join(path.dirname(batch), 'stray'), 'x');
          return { spec: options.spec, argv, stdin: null, exitCode: 0, stdout: '', stderr: '', durationMs: 1, timedOut: false, failure: null };
        };
        const subjects = [{ inode: 1 }, { inode: 2 }, { inode: 3 }];
        await bulkCapture(subjects, () => openSync('/dev/null', 'r'), 'link show\n', { run: fake, workers: 2, chunk: 1, timeoutMs: 1000, enter: { how: 'nsenter' } });
        expect(readdirSync(tmp)).toEqual([]);
      }
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
