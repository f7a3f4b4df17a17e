import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NamespaceRouting } from '../query/routing.js';
import { diffRouting } from './routing-diff.js';

const e = (key: string, text = key) => ({ key, text });
const ns = (routes: NamespaceRouting['routes'], neighbours: NamespaceRouting['neighbours'] = [], rules: NamespaceRouting['rules'] = []): NamespaceRouting => ({ routes, rules, neighbours });

describe('diffRouting', () => {
  it('reports a route whose gateway changed, one added, one removed; a namespace compared with itself has none', () => {
    const before = new Map([[10, ns([e('main 10.1.0.0/16', '10.1.0.0/16 via 10.0.0.1'), e('main 10.2.0.0/16')])]]);
    const after = new Map([[20, ns([e('main 10.1.0.0/16', '10.1.0.0/16 via 10.0.0.9'), e('main 10.3.0.0/16')])]]);
    const d = diffRouting([{ from: 10, to: 20 }], before, after);
    expect(d.changed).toEqual([{ netns: 20, fromNetns: 10, kind: 'routes', added: ['main 10.3.0.0/16'], removed: ['main 10.2.0.0/16'], changed: [{ key: 'main 10.1.0.0/16', from: '10.1.0.0/16 via 10.0.0.1', to: '10.1.0.0/16 via 10.0.0.9' }] }]);
    expect(diffRouting([{ from: 10, to: 10 }], before, before)).toEqual({ changed: [], uncaptured: [] });
  });

  it('a list captured on one side only is not compared, and says which side lacks it; an uncertain match says so', () => {
    const d = diffRouting([{ from: 1, to: 2, uncertain: 'no evidence' }], new Map([[1, ns(null, [e('a')])]]), new Map([[2, ns([e('r')], [e('b')])]]));
    expect(d.uncaptured).toEqual([{ netns: 1, kind: 'routes', side: 'from' }]);
    expect(d.changed).toEqual([{ netns: 2, fromNetns: 1, kind: 'neighbours', added: ['b'], removed: ['a'], changed: [], uncertain: 'no evidence' }]);
  });

  it('entries sharing a key (an odd dump) are compared as sets, never paired at random', () => {
    const d = diffRouting([{ from: 1, to: 1 }], new Map([[1, ns([e('k', 'x'), e('k', 'y')])]]), new Map([[1, ns([e('k', 'y'), e('k', 'z')])]]));
    expect(d.changed[0]).toMatchObject({ added: ['z'], removed: ['x'], changed: [] });
  });

  it('a changed IPv6 rule is a change; IPv6 rules taken on one side only are not compared (not "added"), IPv4 rules still are', () => {
    const v4 = e('0: from all lookup local');
    const v6 = (t: string) => e(`inet6 ${t}`);
    const d = diffRouting([{ from: 1, to: 2 }], new Map([[1, ns([], [], [v4, v6('0: from all lookup local'), v6('100: from 2001:db8::/32 lookup 7')])]]), new Map([[2, ns([], [], [v4, v6('0: from all lookup local'), v6('100: from 2001:db8::/32 lookup 8')])]]));
    expect(d).toEqual({ changed: [{ netns: 2, fromNetns: 1, kind: 'rules', added: ['inet6 100: from 2001:db8::/32 lookup 8'], removed: ['inet6 100: from 2001:db8::/32 lookup 7'], changed: [] }], uncaptured: [] });
    const once = diffRouting([{ from: 1, to: 2 }], new Map([[1, ns([], [], [v4])]]), new Map([[2, ns([], [], [v4, v6('0: from all lookup local'), e('5: from all lookup 5')])]]));
    expect(once.uncaptured).toEqual([{ netns: 1, kind: 'rules', side: 'from' }]);
    expect(once.changed).toEqual([{ netns: 2, fromNetns: 1, kind: 'rules', added: ['5: from all lookup 5'], removed: [], changed: [] }]);
  });

  it('diff(a, a) is empty for any lists', () => {
    const entry = fc.record({ key: fc.string({ maxLength: 4 }), text: fc.string({ maxLength: 4 }) });
    const list = fc.option(fc.array(entry, { maxLength: 6 }), { nil: null });
    fc.assert(
      fc.property(list, list, list, (routes, rules, neighbours) => {
        const m = new Map([[7, { routes, rules, neighbours }]]);
        expect(diffRouting([{ from: 7, to: 7 }], m, m)).toEqual({ changed: [], uncaptured: [] });
      }),
    );
  });
});
