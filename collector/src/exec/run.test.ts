import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from './run.js';

describe('runCommand', () => {
  it('returns stdout verbatim, the exit code and the duration', async () => {
    const r = await runCommand(['ip', '-j', 'link', 'show', 'lo'], { spec: 'ip_link_json', timeoutMs: 5000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(r.stdout)[0].ifname).toBe('lo');
    expect(r.failure).toBeNull();
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('feeds stdin to ip -batch', async () => {
    const r = await runCommand(['ip', '-j', '-force', '-batch', '-'], { spec: 'ip_batch_json', input: 'link show lo\nlink show lo\n', timeoutMs: 5000 });
    expect(r.stdin).toBe('link show lo\nlink show lo\n');
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('keeps output that is not UTF-8 byte-exact (UTF-8b) and marks the capture', async () => {
    const script = 'process.stdout.write(Buffer.of(0x6e, 0xff, 0x31, 0x0a)); process.stderr.write(Buffer.of(0x65, 0xfe))';
    const r = await runCommand([process.execPath, '-e', script], { spec: 'ip_version', timeoutMs: 5000 });
    expect(r).toMatchObject({ stdout: 'n\udcff1\n', stderr: 'e\udcfe', encoding: 'utf-8b' });
    const plain = await runCommand(['ip', '-j', 'link', 'show', 'lo'], { spec: 'ip_link_json', timeoutMs: 5000 });
    expect('encoding' in plain).toBe(false);
  });

  it('a missing command is data, not an exception', async () => {
    const r = await runCommand(['nsnap-no-such-command'], { spec: 'ip_version', timeoutMs: 5000 });
    expect(r).toMatchObject({ exitCode: null, timedOut: false, failure: { reason: 'missing-command' } });
  });

  it('a command that hangs is stopped at the timeout', async () => {
    const r = await runCommand(['sleep', '30'], { spec: 'ip_version', timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.failure?.reason).toBe('timeout');
    expect(r.durationMs).toBeLessThan(10_000);
  });

  it('classifies an unknown option and a failed exit', async () => {
    const unknown = await runCommand(['ip', '-Q', 'link'], { spec: 'ip_link_json', timeoutMs: 5000 });
    expect(unknown.failure?.reason).toBe('unsupported');
    const gone = await runCommand(['nsenter', '--net=/proc/999999999/ns/net', 'true'], { spec: 'ip_batch_json', timeoutMs: 5000 });
    expect(gone.exitCode).not.toBe(0);
    expect(gone.failure?.reason).toBe('vanished');
    expect(gone.stderr).toMatch(/nsenter/);
  });

  it('hands a worker its fds as 3, 4…, writes its stdout into a file, and kills its whole group at the timeout', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-run-'));
    try {
      const out = openSync(path.join(dir, 'out'), 'w+');
      const fds = [openSync('/dev/null', 'r'), openSync('/dev/null', 'r')];
      const r = await runCommand(['find', '/proc/self/fd/3', '/proc/self/fd/4', '-maxdepth', '0', '-printf', '%p %l\n'], { spec: 'ip_batch_json', timeoutMs: 5000, fds, stdoutFd: out, group: true });
      for (const fd of [...fds, out]) closeSync(fd);
      expect(r).toMatchObject({ exitCode: 0, stdout: '', failure: null });
      expect(readFileSync(path.join(dir, 'out'), 'utf8')).toBe('/proc/self/fd/3 /dev/null\n/proc/self/fd/4 /dev/null\n');
      // find waits for its sleep: the timeout kills both, or the run would last 30 s.
      const hung = await runCommand(['find', '/proc/self', '-maxdepth', '0', '-exec', 'sleep', '30', ';'], { spec: 'ip_batch_json', timeoutMs: 300, group: true });
      expect(hung).toMatchObject({ timedOut: true, failure: { reason: 'timeout' } });
      expect(hung.durationMs).toBeLessThan(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
