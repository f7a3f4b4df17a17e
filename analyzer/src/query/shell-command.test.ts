import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellWord } from './shell-command.js';

/** The words a real shell makes of a line, by giving them to printf as arguments: nothing else runs. */
function wordsOf(shell: string, line: string): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellWord', () => {
  it('prints safe words bare and quotes the rest so that sh and bash read exactly the word', () => {
    const hostile = ["a'b", 'x;id', '$(touch /tmp/nsnap-pwned)', '`id`', 'a b', '*', '~root', 'a"b\\c', "'", "''", '-i', '!x', '{a,b}', 'tab\u00e9', '${IFS}', '#x', 'a&b|c>d'];
    for (const w of hostile) {
      const q = shellWord(w);
      expect('text' in q, w).toBe(true);
      const text = (q as { text: string }).text;
      for (const sh of ['sh', 'bash', 'dash']) expect(wordsOf(sh, text), `${sh}: ${w}`).toEqual([w]);
    }
    expect(shellWord('eth0')).toEqual({ text: 'eth0' });
    expect(shellWord('--net=/proc/1/ns/net')).toEqual({ text: '--net=/proc/1/ns/net' });
  });

  it('refuses, with the reason, a word that cannot be shown as exactly itself', () => {
    expect(shellWord('a\nb')).toEqual({ refused: expect.stringContaining('control characters') });
    expect(shellWord('a\u001b[2Jb')).toEqual({ refused: expect.stringContaining('control characters') });
    expect(shellWord('e\udcff')).toEqual({ refused: expect.stringContaining('not UTF-8') });
    expect(shellWord('a\u202eb')).toEqual({ refused: expect.stringContaining('invisible') });
    expect(shellWord('a\u200bb')).toEqual({ refused: expect.stringContaining('invisible') });
    expect(shellWord('a\u2028b')).toEqual({ refused: expect.stringContaining('invisible') });
    expect(shellWord('')).toEqual({ refused: 'it is empty' });
  });

  it('round-trips any printable word through bash', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme-ascii' }), { minLength: 1, maxLength: 4 }), (words) => {
        const c = shellCommand(words);
        if ('refused' in c) return;
        expect(wordsOf('bash', c.text)).toEqual(words);
      }),
      { numRuns: 60 },
    );
  });

  it('names the word that was refused', () => {
    expect(shellCommand(['tcpdump', '-i', 'a\nb'], { 2: 'the device name' })).toEqual({ refused: 'the device name: it holds control characters (a newline, an escape…), which a pasted command cannot carry safely' });
  });
});
