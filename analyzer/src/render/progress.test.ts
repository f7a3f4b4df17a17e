import { describe, expect, it } from 'vitest';
import { fitLine, LIVE_EVERY_MS, LOG_EVERY_MS, progressStyle, startProgress, type ProgressStream } from './progress.js';

/** A stream with what a terminal tells (isTTY, columns), keeping what is written: the seam the display writes through. */
function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { text: string } {
  const s = { text: '', isTTY, columns, write: (t: string) => (s.text += t) };
  return s;
}

/** The rows a terminal would end with: each `\r` returns to the row start, `\x1b[K` erases the rest, `\n` ends a row. */
function screenRows(text: string): { drawn: string[]; rows: string[] } {
  const drawn: string[] = [];
  const rows: string[] = [];
  let row = '';
  for (const part of text.split(/(\r\x1b\[K|\n)/)) {
    if (part === '\r\x1b[K') row = '';
    else if (part === '\n') {
      rows.push(row);
      row = '';
    } else if (part !== '') {
      row += part;
      drawn.push(row);
    }
  }
  if (row !== '') rows.push(row);
  return { drawn, rows };
}

const env = (vars: Record<string, string> = {}) => vars;
const auto = { mode: 'auto' as const, quiet: false, stdoutIsPipe: false };

describe('progressStyle', () => {
  it('draws live only on a terminal whose stdout is not a pipe, without CI or TERM=dumb, and never with --quiet or never', () => {
    expect(progressStyle(fakeStream(true, 100), { ...auto, env: env() })).toEqual({ kind: 'live', width: 100 });
    expect(progressStyle(fakeStream(true, 100), { ...auto, stdoutIsPipe: true, env: env() })).toEqual({ kind: 'log' });
    expect(progressStyle(fakeStream(true, 100), { ...auto, env: env({ CI: 'true' }) })).toEqual({ kind: 'log' });
    expect(progressStyle(fakeStream(true, 100), { ...auto, env: env({ TERM: 'dumb' }) })).toEqual({ kind: 'log' });
    expect(progressStyle(fakeStream(false), { ...auto, env: env() })).toEqual({ kind: 'log' });
    expect(progressStyle(fakeStream(true, 0), { ...auto, env: env() })).toEqual({ kind: 'off' });
    expect(progressStyle(fakeStream(true, 100), { ...auto, quiet: true, env: env() })).toEqual({ kind: 'off' });
    expect(progressStyle(fakeStream(true, 100), { ...auto, mode: 'never', env: env() })).toEqual({ kind: 'off' });
    expect(progressStyle(fakeStream(false), { ...auto, mode: 'always', quiet: true, env: env() })).toEqual({ kind: 'off' });
  });

  it('always: live wherever stderr goes, as wide as the terminal, else $COLUMNS, else 80; nothing on a terminal of 0 columns', () => {
    expect(progressStyle(fakeStream(false), { ...auto, mode: 'always', stdoutIsPipe: true, env: env({ CI: '1', TERM: 'dumb' }) })).toEqual({ kind: 'live', width: 80 });
    expect(progressStyle(fakeStream(false), { ...auto, mode: 'always', env: env({ COLUMNS: '40' }) })).toEqual({ kind: 'live', width: 40 });
    expect(progressStyle(fakeStream(true, 60), { ...auto, mode: 'always', env: env({ COLUMNS: '40' }) })).toEqual({ kind: 'live', width: 60 });
    expect(progressStyle(fakeStream(true, 0), { ...auto, mode: 'always', env: env() })).toEqual({ kind: 'off' });
    expect(progressStyle(fakeStream(false), { ...auto, mode: 'always', env: env({ COLUMNS: '0' }) })).toEqual({ kind: 'off' });
  });
});

describe('fitLine', () => {
  it('cuts to one column less than the width, escaped first, so that the line never wraps', () => {
    expect(fitLine('a'.repeat(200), 80)).toBe(`${'a'.repeat(78)}…`);
    expect(fitLine('short', 80)).toBe('short');
    expect(fitLine('x'.repeat(79), 80)).toBe('x'.repeat(79));
    expect(fitLine('\u001b[2J\n', 80)).toBe('\\x1b[2J\\x0a');
    expect([...fitLine(`${'\u001b'.repeat(50)}`, 40)]).toHaveLength(39);
  });
});

describe('startProgress', () => {
  it('live: redraws in place at most every 100 ms, every row within the width, erased before the summary', () => {
    const stream = fakeStream(true, 40);
    let t = 0;
    const p = startProgress(stream, { kind: 'live', width: 40 }, 'x', { now: () => t });
    let calls = 0;
    for (let i = 0; i < 100; i++) {
      t += 7;
      p.update((live) => {
        calls++;
        expect(live).toBe(true);
        return `${i}/100 read · ${'a long store URL and counts '.repeat(4)}`;
      });
    }
    // 700 ms of updates every 7 ms: a draw at once, then one per 100 ms.
    expect(calls).toBe(Math.floor((700 - 7) / LIVE_EVERY_MS) + 1);
    p.message('nsnap: failed: b.json: not JSON');
    p.end();
    stream.write('nsnap: 99 ingested\n');
    const { drawn, rows } = screenRows(stream.text);
    for (const line of drawn) expect([...line].length).toBeLessThan(40);
    expect(rows).toEqual(['nsnap: failed: b.json: not JSON', 'nsnap: 99 ingested']);
    // The summary follows an erase of the progress line.
    expect(stream.text.endsWith('\r\x1b[Knsnap: 99 ingested\n')).toBe(true);
  });

  it('log: a plain line every 2 s, the first after 2 s (or at once with logAtOnce), escaped, never redrawn', () => {
    const stream = fakeStream(false);
    let t = 0;
    const p = startProgress(stream, { kind: 'log' }, 'history', { now: () => t });
    for (let i = 0; i < 50; i++) {
      t += 100;
      p.update((live) => `${i} compared${live ? ' LIVE' : ''}\u001b`);
    }
    p.end();
    expect(stream.text.split('\n').filter(Boolean)).toEqual(['nsnap: history: 19 compared\\x1b', 'nsnap: history: 39 compared\\x1b']);
    expect(stream.text).not.toContain('\r');
    const once = fakeStream(false);
    startProgress(once, { kind: 'log' }, null, { logAtOnce: true, now: () => 0 }).update(() => 'first');
    expect(once.text).toBe('nsnap: first\n');
    expect(LOG_EVERY_MS).toBe(2000);
  });

  it('off: nothing but the messages', () => {
    const stream = fakeStream(true, 80);
    const p = startProgress(stream, { kind: 'off' }, 'x', { now: () => 0 });
    p.update(() => 'progress');
    p.message('nsnap: failed: x');
    p.end();
    expect(stream.text).toBe('nsnap: failed: x\n');
  });
});
