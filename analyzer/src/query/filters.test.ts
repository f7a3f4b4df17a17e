import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerFilter, globMatcher } from './filters.js';

describe('globMatcher', () => {
  it('matches whole names with * ? and [...], everything else literally', () => {
    const m = (glob: string, name: string) => globMatcher(glob)(name);
    expect(m('veth*', 'veth4a67fcf')).toBe(true);
    expect(m('veth*', 'xveth')).toBe(false);
    expect(m('eth?', 'eth0')).toBe(true);
    expect(m('eth[01]', 'eth1')).toBe(true);
    expect(m('eth[!01]', 'eth1')).toBe(false);
    expect(m('eth[!01]', 'eth2')).toBe(true);
    expect(m('br-a.b', 'br-a.b')).toBe(true);
    expect(m('br-a.b', 'br-axb')).toBe(false);
    expect(m('(x)+', '(x)+')).toBe(true);
    expect(m('*', '')).toBe(true);
    expect(m('a*b*c', 'aXbYbZc')).toBe(true);
    expect(m('a*b*c', 'aXbYbZ')).toBe(false);
  });

  it('never throws anything but a usage error, and stays fast on hostile globs and names', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (glob, name) => {
        try {
          globMatcher(glob)(name);
        } catch (error) {
          expect((error as Error).name).toBe('UsageError');
        }
      }),
    );
    const started = performance.now();
    expect(globMatcher(`${'*a'.repeat(100)}*b`)('a'.repeat(100_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('answerFilter', () => {
  it('is null without filters, and names a bad value', () => {
    expect(answerFilter({})).toBeNull();
    expect(() => answerFilter({ netns: '../x' })).toThrow(/--netns "\.\.\/x"/);
    expect(answerFilter({ pod: 'default/web' })).toMatchObject({ pod: 'default/web' });
    expect(() => answerFilter({ pod: 'default/we b' })).toThrow(/--pod "default\/we b": expected a pod UID \(or a prefix of one\) or NAMESPACE\/NAME/);
    expect(() => answerFilter({ interface: 'eth[0' })).toThrow(/"\[" without a closing "\]"/);
    expect(answerFilter({ container: 'D0B3' })).toMatchObject({ container: 'd0b3' });
  });
});
