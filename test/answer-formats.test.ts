import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWERS } from '@nsnap/analyzer';
import { ANALYZER_BIN, ROOT, runCli } from './support/cli.js';
import { writeBundle } from './support/bundle-builder.js';
import { HOSTILE_NS as NS, hostileBundle } from './support/hostile-bundle.js';

/**
 * Every answer through every frontend it has: `--json` parses with its zod schema (answer/) and holds
 * no field the schema does not document; DOT and SVG stay well-formed whatever a host names things.
 */

/** Terminal escapes, a newline, quotes, markup, an entity Graphviz would decode, a backslash escape DOT would act on. */
const EVIL = '\u001b[2J\u0007\r\u202e\n"\'<script>alert(1)</script>&#0;&amp;\\N\\"';
/** Bytes that were not UTF-8, as the bundle carries them (UTF-8b: U+DC00 + byte). */
const NOT_UTF8 = '\udcff\udcfe';

function hostile(takenAt: string, variant: string) {
  return hostileBundle({
    takenAt,
    variant,
    evil: EVIL,
    hostLinks: [
      { ifindex: 3, ifname: `br${NOT_UTF8}`, kind: 'bridge', alias: `${EVIL}alias` },
      { ifindex: 4, ifname: `veth${NOT_UTF8}`, kind: 'veth', linkIndex: 2, linkNetnsid: 0, master: `br${NOT_UTF8}`, mtu: variant === 'a' ? 1500 : 9000 },
      { ifindex: 5, ifname: 'odd0', kind: `${EVIL}kind${variant}`, operstate: EVIL, alias: EVIL },
      { ifindex: 6, ifname: `lost${NOT_UTF8}`, kind: 'veth', linkIndex: 9, linkNetnsid: 7 },
      { ifindex: 8, ifname: 'plain0', kind: `${EVIL}kind`, operstate: `${EVIL}${variant}` },
      ...(variant === 'b' ? [{ ifindex: 7, ifname: `new${NOT_UTF8}`, kind: `${EVIL}newkind` }] : []),
    ],
    nsLinks: [{ ifindex: 2, ifname: `eth0${NOT_UTF8}`, kind: 'veth', linkIndex: 4, linkNetnsid: 0 }],
  });
}

type AnswerName = keyof typeof ANSWERS;

/** The answer parses with its schema, and the parse (which drops unknown fields) loses nothing: no undocumented field. */
function expectAnswer(name: AnswerName, stdout: string): unknown {
  const value: unknown = JSON.parse(stdout);
  const parsed = ANSWERS[name].schema.safeParse(value);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
  expect(parsed.data).toStrictEqual(value);
  return value;
}

/** A DOT double-quoted string's end, from just after its opening quote; -1 when it never ends. */
function quotedEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
    else if (text[i] === '\n') return -1;
  }
  return -1;
}

/** Each DOT line with its quoted strings cut out: what a name could have injected would show here. */
function dotSkeleton(dot: string): string[] {
  return dot.split('\n').map((line) => {
    let out = '';
    for (let i = 0; i < line.length; i++) {
      if (line[i] !== '"') {
        out += line[i];
        continue;
      }
      const end = quotedEnd(line, i + 1);
      if (end < 0) throw new Error(`an unterminated DOT string: ${JSON.stringify(line)}`);
      out += '""';
      i = end;
    }
    return out;
  });
}

const XML_NAME = /^[A-Za-z_][\w:.-]*$/;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/y;
/** Characters XML 1.0 allows (a numeric reference to any other makes the document invalid). */
const xmlChar = (c: number) => c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

/** Checks what a browser's XML parser would refuse: unbalanced tags, raw `<` or `&` in text or attributes, unquoted attributes, invalid characters. */
function expectWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const checkText = (text: string, where: number) => {
    for (let i = 0; i < text.length; i++) {
      const c = text.codePointAt(i) as number;
      if (!xmlChar(c)) throw new Error(`character U+${c.toString(16)} at ${where + i}`);
      if (c > 0xffff) i++;
      if (text[i] === '<') throw new Error(`raw < at ${where + i}`);
      if (text[i] === '&') {
        ENTITY.lastIndex = i;
        const m = ENTITY.exec(text);
        if (!m) throw new Error(`raw & at ${where + i}: ${JSON.stringify(text.slice(i, i + 12))}`);
        const code = m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? Number.parseInt(m[2], 16) : 0x20;
        if (!xmlChar(code)) throw new Error(`a reference to U+${code.toString(16)} at ${where + i}`);
      }
    }
  };
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    checkText(lt < 0 ? xml.slice(i) : xml.slice(i, lt), i);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) i = xml.indexOf('-->', lt) + 3;
    else if (xml.startsWith('<?', lt)) i = xml.indexOf('?>', lt) + 2;
    else if (xml.startsWith('<!DOCTYPE', lt)) i = xml.indexOf('>', lt) + 1;
    else {
      // A tag: its name, then name="value" attributes, values without a raw < or & that is not an entity.
      const tag = /<(\/?)([^\s/>]+)((?:\s+[^\s=/>]+="[^"]*")*)\s*(\/?)>/y;
      tag.lastIndex = lt;
      const m = tag.exec(xml);
      if (!m) throw new Error(`a malformed tag at ${lt}: ${JSON.stringify(xml.slice(lt, lt + 80))}`);
      const [whole, closing, name = '', attrs = '', selfClosing] = m;
      if (!XML_NAME.test(name)) throw new Error(`a bad tag name ${JSON.stringify(name)}`);
      for (const a of attrs.matchAll(/\s+([^\s=]+)="([^"]*)"/g)) {
        if (!XML_NAME.test(a[1] as string)) throw new Error(`a bad attribute name ${JSON.stringify(a[1])}`);
        checkText(a[2] as string, lt);
      }
      if (closing) {
        if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open`);
      } else if (!selfClosing) stack.push(name);
      i = lt + whole.length;
    }
    if (i <= lt) throw new Error(`an unterminated comment or declaration at ${lt}`);
  }
  expect(stack).toEqual([]);
}

describe('the well-formedness checks of this file', () => {
  it('reject what they are there to catch', () => {
    expect(() => dotSkeleton('a [label="x\\"];')).toThrow(/unterminated/);
    expect(dotSkeleton('a [label="x\\\\", tooltip="\\"y"] -- b;')).toEqual(['a [label="", tooltip=""] -- b;']);
    expect(() => expectWellFormedXml('<a>&#0;</a>')).toThrow(/reference to U\+0/);
    expect(() => expectWellFormedXml('<a>x & y</a>')).toThrow(/raw &/);
    expect(() => expectWellFormedXml('<a title="<b>">x</a>')).toThrow(/malformed tag|raw </);
    expect(() => expectWellFormedXml('<a><b></a></b>')).toThrow(/closes nothing/);
    expect(() => expectWellFormedXml('<a>\u0001</a>')).toThrow(/U\+1/);
    expect(() => expectWellFormedXml('<a><b></b>')).toThrow();
    expectWellFormedXml('<?xml version="1.0"?><!-- c --><a x="&lt;&#60;">t &amp; <b/></a>');
  });
});

describe('answers and their frontends', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-answers-'));
  const db = path.join(dir, 'hostile.db');
  const real = path.join(dir, 'real.db');
  const a = hostile('2026-11-29T10:00:00.000Z', 'a');
  const b = hostile('2026-11-29T11:00:00.000Z', 'b');
  const nsnap = (database: string, ...args: string[]) => runCli(ANALYZER_BIN, ['--db', database, ...args]);

  beforeAll(async () => {
    const ingest = await runCli(ANALYZER_BIN, ['ingest', '-q', writeBundle(dir, a), writeBundle(dir, b), '--db', db]);
    expect(ingest.exitCode, String(ingest.stderr)).toBe(0);
    // Bundles a collector took of real namespaces (fixtures/bundles: the fuzz lab and a VM).
    const fixtures = await runCli(ANALYZER_BIN, ['ingest', '-q', path.join(ROOT, 'fixtures/bundles'), '--db', real]);
    expect(fixtures.exitCode, String(fixtures.stderr)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const COMMANDS: [AnswerName, string[], number[]][] = [
    ['snapshots', ['snapshots'], [0]],
    ['show', ['show'], [0]],
    ['peers', ['peers'], [0]],
    ['check', ['check'], [1]],
    ['diff', ['diff', 'latest~1', 'latest'], [0]],
    ['history', ['history', '-v'], [0]],
    ['history', ['history'], [0]],
    ['whois', ['whois', 'plain0', '--at', '2026-11-29T12:00Z'], [0]],
    ['whois', ['whois', '100', '--at', '2026-11-29T12:00Z'], [0]],
    ['whois', ['whois', `netns:${NS}`, '--at', '2026-11-29T12:00Z'], [0]],
    ['whois', ['whois', 'nothing0', '--at', '2026-11-29T12:00Z'], [1]],
    ['whoisAll', ['whois', '--all', 'plain0'], [0]],
    ['forget', ['forget', 'latest', '--dry-run'], [0]],
    ['forget', ['prune', '--keep', '1', '--dry-run'], [0]],
  ];

  it.each(COMMANDS.map(([name, args, codes]) => [args.join(' '), name, args, codes] as const))('%s --json: the %s answer, exactly as its schema says', async (_label, name, args, codes) => {
    const r = await nsnap(db, ...args, '--json');
    expect(codes, String(r.stderr)).toContain(r.exitCode);
    const answer = expectAnswer(name, String(r.stdout)) as { answerVersion: number };
    expect(answer.answerVersion).toBe(1);
    // --format json is the same frontend.
    const same = await nsnap(db, ...args, '--format', 'json');
    expect(String(same.stdout)).toBe(String(r.stdout));
  });

  it('ingest --json of files and of a store: the ingest answer, exactly as its schema says', async () => {
    const files = await runCli(ANALYZER_BIN, ['ingest', '--json', path.join(ROOT, 'fixtures/bundles'), '--db', path.join(dir, 'ingest-files.db')]);
    expect(files.exitCode, String(files.stderr)).toBe(0);
    expect((expectAnswer('ingest', String(files.stdout)) as { ingested: number }).ingested).toBe(3);
    const store = await runCli(ANALYZER_BIN, ['ingest', '--json', `file://${dir}`, '--db', path.join(dir, 'ingest-store.db')]);
    expect(store.exitCode, String(store.stderr)).toBe(0);
    expect((expectAnswer('ingest', String(store.stdout)) as { stores: unknown[] }).stores).toHaveLength(1);
  });

  it('report --json over a hostile range: the report answer, exactly as its schema says', async () => {
    const r = await nsnap(db, 'report', '--since', '2000-01-01', '--out', path.join(dir, 'hostile-report.html'), '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const answer = expectAnswer('report', String(r.stdout)) as { kind: string; timeline: { bars: { device: number }; omitted: { refusedNames: unknown } } };
    expect(answer.kind).toBe('range');
    // Every device but lo is followed with whois --all, names that are not UTF-8 too: one period each.
    expect(answer.timeline.bars.device).toBe(7);
    expect(answer.timeline.omitted.refusedNames).toBeNull();
  });

  it.each(['fixture-vm', 'fuzz-lab'])('the answers of real bundles (%s) parse with their schemas', async (host) => {
    const runs: [AnswerName, string[]][] = [
      ['snapshots', ['snapshots']],
      ['show', ['show', '--host', host]],
      ['peers', ['peers', '--host', host]],
      ['check', ['check', '--host', host]],
      ['diff', ['diff', 'latest~1', 'latest', '--host', host]],
      ['history', ['history', '-v', '--host', host]],
      ['whois', ['whois', 'lo', '--host', host]],
      ['whois', ['whois', '1', '--host', host]],
      ['whoisAll', ['whois', 'lo', '--all', '--host', host]],
      ['show', ['show', '--routes', '--host', host]],
      ['whois', ['whois', '127.0.0.1', '--host', host]],
      ['whoisAll', ['whois', '127.0.0.1', '--all', '--host', host]],
      ['capture', ['capture', 'lo', '--netns', 'host', '--host', host]],
    ];
    for (const [name, args] of runs) {
      if (host === 'fixture-vm' && name === 'diff') continue; // one snapshot of that host
      const r = await nsnap(real, ...args, '--json');
      expect(r.exitCode === 0 || r.exitCode === 1, `${args.join(' ')}: ${String(r.stderr)}`).toBe(true);
      expectAnswer(name, String(r.stdout));
    }
  });

  it('refuses --json with another --format, and a format a command does not have (exit 2)', async () => {
    const both = await nsnap(db, 'show', '--json', '--format', 'text');
    expect(both.exitCode).toBe(2);
    expect(String(both.stderr)).toContain('--json and --format text ask for two formats');
    expect((await nsnap(db, 'show', '--format', 'svg')).exitCode).toBe(2);
    expect((await nsnap(db, 'graph', '--format', 'text')).exitCode).toBe(2);
    const text = await nsnap(db, 'peers', '--format', 'text');
    expect(String(text.stdout)).toBe(String((await nsnap(db, 'peers')).stdout));
  });

  it('graph --format dot: every name stays inside its quoted string, with no raw control byte', async () => {
    const r = await nsnap(db, 'graph', '--format', 'dot');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const dot = String(r.stdout);
    expect(dot).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/);
    const skeleton = dotSkeleton(dot.trimEnd());
    // Outside quoted strings only what nsnap itself writes: keywords, attribute names, numbers, punctuation.
    for (const line of skeleton) expect(line, line).toMatch(/^[\w\s{}[\]=,;"#.-]*$/);
    expect(skeleton.join('\n')).not.toMatch(/script|alert/);
    // The names are there, escaped: the invalid bytes as \xNN, the quote and backslash for DOT, & as an entity.
    expect(dot).toContain('veth\\\\xff\\\\xfe');
    expect(dot).toContain('\\"\'<script>alert(1)</script>&amp;#0;&amp;amp;\\\\\\\\N');
  });

  it('graph --format svg: drawn without a dot binary, well-formed XML with every name as text, no markup from a host', async () => {
    const r = await nsnap(db, 'graph', '--format', 'svg', '--netns', 'host');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const svg = String(r.stdout);
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg');
    expect(svg).not.toMatch(/<script/i);
    expectWellFormedXml(svg);
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Shown as text output shows them: a byte that was not UTF-8 as \xNN.
    expect(svg).toContain('veth\\xff\\xfe');
    const whole = await nsnap(db, 'graph', '--format', 'svg');
    expect(whole.exitCode, String(whole.stderr)).toBe(0);
    expectWellFormedXml(String(whole.stdout));
  });
});
