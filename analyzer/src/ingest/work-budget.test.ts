import type { Capture } from '@nsnap/shared';
import { describe, expect, it } from 'vitest';
import { meteredParser, WorkBudgetError } from './work-budget.js';

const capture = (stdout: string, stdin: string | null = 'link show\naddr show\n'): Capture => ({
  spec: 'ip_batch_json', argv: ['ip', '-d', '-j', '-batch', '-'], stdin, exitCode: 0, stdout, stderr: '', durationMs: 1, timedOut: false, failure: null,
});
const LINKS = `${JSON.stringify([{ ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback' }])}\n`;

describe('metered parser, each distinct dump parsed once', () => {
  it('still counts the issues of a dump it parsed before: a bundle of one junk dump repeated fails by its budget', () => {
    const junk = capture('not json\n'.repeat(40));
    // One issue per dump (its junk is one run of lines): six dumps are over a budget of five.
    const parse = meteredParser({ parseIssues: 5, dumpChars: 1 << 20 });
    expect(parse(junk).issues).toHaveLength(1);
    expect(() => {
      for (let i = 0; i < 10; i++) parse(junk);
    }).toThrow(WorkBudgetError);
    // A fresh bundle has a budget of its own, whatever an earlier one parsed.
    expect(meteredParser({ parseIssues: 5, dumpChars: 1 << 20 })(junk).issues).toHaveLength(1);
  });

  it('counts the characters of a dump it parsed before', () => {
    const parse = meteredParser({ parseIssues: 100, dumpChars: LINKS.length * 3 });
    for (let i = 0; i < 3; i++) parse(capture(LINKS));
    expect(() => parse(capture(LINKS))).toThrow(WorkBudgetError);
  });

  it('gives the same answer for the same text, and tells the commands apart (none, or other ones)', () => {
    const parse = meteredParser();
    const a = parse(capture(LINKS));
    expect(parse(capture(LINKS))).toEqual(a);
    expect(a.status).toBe('parsed');
    // Shared between bundles: nothing downstream may change it.
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      if (a.status === 'parsed') (a.value.links as unknown[]).push(null);
    }).toThrow(TypeError);
    expect(parse(capture(LINKS, null))).toEqual(meteredParser()(capture(LINKS, null)));
    expect(parse(capture(LINKS, 'addr show\n'))).not.toBe(a);
  });
});
