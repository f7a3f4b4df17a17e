import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpLinkText } from './ip-link-text.js';
import { parseLsnsTable } from './lsns-table.js';
import { parseNetnsList, parseNetnsListId } from './netns-list.js';
import { parseProcNsListing } from './proc-ns-listing.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../../../fixtures/ip-link', name), 'utf8');

const PARSERS: [string, (text: string) => { status: string; issues: unknown[] }, string][] = [
  ['ip link text', parseIpLinkText, fixture('insights-bond-tunnels.txt')],
  ['ip link -o', parseIpLinkText, fixture('cookbook-oneline.txt')],
  ['ip addr collapsed', parseIpLinkText, fixture('cilium-node-collapsed.txt')],
  [
    'ls -l /proc/*/ns/net',
    parseProcNsListing,
    "ls: cannot read symbolic link '/proc/1/ns/net': Permission denied\nlrwxrwxrwx 1 root root 0 Nov 29 03:38 /proc/1/ns/net\nlrwxrwxrwx 1 root root 0 Nov 29 03:41 /proc/10/ns/net -> net:[4026531833]\n",
  ],
  [
    'lsns table',
    parseLsnsTable,
    '        NS TYPE NPROCS PID USER    NETNSID NSFS           COMMAND\n4026531833 net      74   2 root unassigned                kthreadd\n4026532701 net       1 812 root          0 /run/netns/zq1a sleep 100000\n',
  ],
  ['lsns -J', parseLsnsTable, '{"namespaces": [{"ns": 4026531833, "pid": 2, "netnsid": "unassigned", "nsfs": null}]}'],
  ['ip netns list-id', parseNetnsListId, 'nsid 0 (iproute2 netns name: zq1a)\nnsid 1\n'],
  ['ip netns list', parseNetnsList, 'zq1b\nzq1a (id: 0)\n'],
];

// Inputs shaped to make a careless regex backtrack or a careless loop go quadratic.
const HUGE = [
  'a'.repeat(1 << 20),
  '1'.repeat(1 << 20),
  '1: '.repeat(1 << 18),
  '1: x: <UP> '.repeat(1 << 17),
  `1: x: <UP>${' x'.repeat(1 << 19)}`,
  `1: x: <UP>\n    link/ether${' link/ether'.repeat(1 << 16)}`,
  '\\ '.repeat(1 << 19),
  'lrwxrwxrwx 1 root root 0 /proc/1'.repeat(1 << 15),
  `NS${' NS'.repeat(1 << 18)}\n${'4026531833 '.repeat(1 << 16)}`,
  `        NS PID\n${'4 '.repeat(1 << 19)}`,
  `nsid 1 (iproute2 netns name: ${'('.repeat(1 << 20)}`,
  '\n'.repeat(1 << 20),
];

describe.each(PARSERS)('%s parser', (_name, parse, sample) => {
  const outcome = (text: string) => {
    const r = parse(text);
    expect(['parsed', 'empty', 'unusable']).toContain(r.status);
    expect(r.issues.length).toBeLessThanOrEqual(201);
  };

  it('reads the sample', () => {
    expect(parse(sample).status).toBe('parsed');
  });

  it('survives truncation and inserted noise at any point', () => {
    fc.assert(
      fc.property(fc.nat(sample.length), fc.string({ maxLength: 300 }), (cut, noise) => {
        outcome(sample.slice(0, cut));
        outcome(sample.slice(cut));
        outcome(sample.slice(0, cut) + noise + sample.slice(cut));
      }),
      { numRuns: 200 },
    );
  });

  it('survives dropped and shuffled lines', () => {
    const lines = sample.split('\n');
    fc.assert(fc.property(fc.shuffledSubarray(lines), (picked) => outcome(picked.join('\n'))), { numRuns: 200 });
  });

  it('survives random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) => outcome(Buffer.from(bytes).toString('latin1'))), {
      numRuns: 200,
    });
  });

  it('takes linear time on megabyte lines', () => {
    for (const text of HUGE) {
      const started = performance.now();
      outcome(text);
      expect(performance.now() - started, text.slice(0, 40)).toBeLessThan(2000);
    }
  });
});
