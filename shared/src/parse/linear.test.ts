import { describe, expect, it } from 'vitest';
import { containerFromCgroup } from './cgroup.js';
import { parseIpBatchJson } from './ip-batch-json.js';
import { parseIpLinkText } from './ip-link-text.js';
import { splitJsonValues } from './json-values.js';
import { parseLsnsJson } from './lsns-json.js';
import { parseLsnsTable } from './lsns-table.js';
import { parseNetnsListIdJson } from './netns-list-id-json.js';
import { parseNetnsList, parseNetnsListId } from './netns-list.js';
import { parseProcNsListing } from './proc-ns-listing.js';
import { routingFromDump } from './routing-json.js';

const BATCH = 'link show\naddr show\nroute show table all\nrule show\nneigh show\n';
/** A batch dump's routes, rules and neighbours, validated. */
function parseRoutingJson(text: string): unknown {
  const dump = parseIpBatchJson(text, { commands: BATCH });
  return dump.status === 'parsed' ? routingFromDump(dump.value) : dump;
}

/**
 * Every parser reads untrusted text in linear time: 16× the input may cost
 * ~16× the time. The bound (100×) is generous for a loaded host and for the
 * garbage collector (a larger heap costs more per object: up to ~70× seen
 * here under load); a quadratic parser gives 256× (scanValues' old line
 * recount took 15 s for 40k junk lines). Best of three runs, so a pause of
 * the host does not count.
 */
function timeOf(fn: () => void, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const GROWTH = 16;
const RATIO = 100;
/** Below this a time is mostly noise: the base is grown past it, or taken as this. */
const FLOOR_MS = 10;

function expectLinear(parse: (text: string) => unknown, input: (n: number) => string): void {
  // Grow n until one parse takes a measurable time (a parser that refuses early is trivially linear).
  let n = 500;
  let small = input(n);
  parse(small); // warm up the JIT
  let base = timeOf(() => parse(small));
  while (base < FLOOR_MS && small.length < 250_000) {
    n *= 4;
    small = input(n);
    base = timeOf(() => parse(small));
  }
  const large = input(GROWTH * n);
  const ratio = timeOf(() => parse(large)) / Math.max(base, FLOOR_MS);
  expect(ratio, `n=${n}: time(${GROWTH}n)/time(n) = ${ratio.toFixed(1)}`).toBeLessThan(RATIO);
}

const repeat = (line: string, n: number) => Array.from({ length: n }, (_, i) => line.replaceAll('$i', String(i))).join('\n');

/** Hostile shapes every parser gets. */
const shapes: Record<string, (n: number) => string> = {
  'junk lines': (n) => repeat('junk $i junk', n),
  'junk between values': (n) => repeat('junk $i\n[]', n),
  'one huge line': (n) => 'x'.repeat(40 * n),
  'one huge line of words': (n) => 'link/ether '.repeat(4 * n),
  'unclosed nesting': (n) => '['.repeat(4 * n),
  'unclosed string': (n) => `["${'a'.repeat(40 * n)}`,
  'raw controls in strings': (n) => `[${repeat('{"ifindex":$i,"ifname":"v$i","ifalias":"\x1b[31m\x07\n"}', n).replaceAll('}\n{', '},{')}]`,
};

const parsers: Record<string, (text: string) => unknown> = {
  splitJsonValues,
  parseIpBatchJson,
  parseRoutingJson,
  parseLsnsJson,
  parseNetnsListIdJson,
  parseIpLinkText,
  parseLsnsTable,
  parseNetnsListId,
  parseNetnsList,
  parseProcNsListing,
  containerFromCgroup,
};
const JSON_ONLY = new Set(['unclosed nesting', 'unclosed string', 'raw controls in strings']);
const isJsonParser = (name: string) => /Json|splitJsonValues/.test(name);

/** Valid-looking input of each format, many times over. */
const realistic: Record<string, (n: number) => string> = {
  parseIpBatchJson: (n) => `[${repeat('{"ifindex":$i,"ifname":"v$i","link_index":2,"link_netnsid":0}', n).replaceAll('\n', ',')}]\n[${repeat('{"nsid":$i}', n).replaceAll('\n', ',')}]\n`,
  parseRoutingJson: (n) =>
    `[{"ifindex":1,"ifname":"lo"}]\n[{"ifindex":1,"ifname":"lo","addr_info":[]}]\n[${repeat('{"type":"unicast","dst":"10.$i.0.0/16","gateway":"10.9.0.2","dev":"v0","table":"main","metric":$i,"flags":[]}', n).replaceAll('\n', ',')}]\n` +
    `[${repeat('{"priority":$i,"src":"10.9.0.0","srclen":24,"table":"100"}', n).replaceAll('\n', ',')}]\n[${repeat('{"dst":"10.9.$i.2","dev":"v0","lladdr":"02:00:00:00:00:02","state":["REACHABLE"]}', n).replaceAll('\n', ',')}]\n`,
  parseIpLinkText: (n) => repeat('$i: v$i@if2: <BROADCAST,UP> mtu 1500 state UP\n    link/ether aa:bb:cc:dd:ee:ff brd ff:ff:ff:ff:ff:ff link-netnsid 0\nnsid $i', n),
  parseNetnsListId: (n) => repeat('nsid $i (iproute2 netns name: n$i)', n),
  parseProcNsListing: (n) => repeat('lrwxrwxrwx 1 root root 0 Jan  1 00:00 /proc/$i/ns/net -> net:[4026531840]', n),
  containerFromCgroup: (n) => repeat('0::/system.slice/docker-$i.scope', n),
};

describe('parsers are linear', () => {
  for (const [name, parse] of Object.entries(parsers)) {
    for (const [shape, input] of Object.entries(shapes)) {
      if (JSON_ONLY.has(shape) && !isJsonParser(name)) continue;
      it(`${name}: ${shape}`, () => expectLinear(parse, input));
    }
    const real = realistic[name];
    if (real) it(`${name}: valid input`, () => expectLinear(parse, real));
  }
});
