import { gzipSync } from 'node:zlib';

/**
 * Seeded mutations of a real bundle, for the fuzz suite (test/fuzz.test.ts).
 * Each kind is one way a compromised host or a broken transfer can spoil a
 * bundle; every mutant is a file an analyst's `nsnap ingest` may meet.
 */
export const MUTATION_KINDS = [
  'byte-flip-json',
  'byte-flip-gzip',
  'truncate-json',
  'truncate-gzip',
  'huge-field',
  'huge-array',
  'duplicate-keys',
  'deep-nesting',
  'deep-nesting-raw',
  'hostile-all',
  'hostile-text',
  'type-swap',
  'drop-key',
  'absurd-valid',
  'many-namespaces',
  'raw-junk',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutant {
  kind: MutationKind;
  /** What exactly was done, for the failure message. */
  detail: string;
  /** `.json` or `.json.gz`. */
  ext: string;
  bytes: Uint8Array;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Strings a hostile host can put into any field: terminal escapes, bidi overrides, path steps, SQL, NUL, lone surrogates, format strings, prototype keys. */
export const HOSTILE_STRINGS = [
  '\u001b[2J\u001b[31mRED\u001b[0m',
  '\u001b]8;;http://evil.example/\u0007link\u001b]8;;\u0007',
  '\u001b]0;title\u0007',
  'abc\u202edcba\u2066x\u2069',
  '\u0000nul\u0000',
  '../../../etc/passwd',
  "x'); DROP TABLE snapshots; --",
  '%s%s%n%x',
  '\ud800lone',
  '__proto__',
  'constructor',
  'line1\nline2\r\n\tend',
  '\u009b31m C1 CSI',
  '𝕳𝖔𝖘𝖙𝖎𝖑𝖊 ﷽ ',
  '',
  ' ',
];

export class Mutator {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = rng(seed);
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** A time-ordered, valid-looking UUIDv7 from the generator, so mutants do not collide with the seed's id. */
  uuid(ms: number): string {
    const hex = (n: number) => Array.from({ length: n }, () => this.int(16).toString(16)).join('');
    const t = ms.toString(16).padStart(12, '0');
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  }

  /** Every path to a value of the tree, with the value. */
  paths(root: Json): Array<{ path: Path; value: Json }> {
    const out: Array<{ path: Path; value: Json }> = [];
    const walk = (v: Json, p: Path) => {
      out.push({ path: p, value: v });
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(root, []);
    return out;
  }

  /** Mutates `seed` (a parsed real bundle) the `kind` way; `host` and `id` make the mutant its own snapshot. */
  mutate(seed: Json, kind: MutationKind, host: string, takenAtMs: number): Mutant {
    const bundle = structuredClone(seed) as { [key: string]: Json };
    bundle.snapshotId = this.uuid(takenAtMs);
    bundle.takenAt = { start: new Date(takenAtMs).toISOString(), end: new Date(takenAtMs + 900).toISOString() };
    (bundle.host as { [key: string]: Json }).label = host;
    const text = () => JSON.stringify(bundle);
    const json = (s: string, detail: string): Mutant => ({ kind, detail, ext: '.json', bytes: Buffer.from(s) });
    const gz = (b: Uint8Array, detail: string): Mutant => ({ kind, detail, ext: '.json.gz', bytes: b });
    switch (kind) {
      case 'byte-flip-json':
      case 'byte-flip-gzip': {
        const bytes = kind === 'byte-flip-json' ? Buffer.from(text()) : Buffer.from(gzipSync(text()));
        const n = 1 + this.int(8);
        const at: number[] = [];
        for (let i = 0; i < n; i++) {
          const p = this.int(bytes.length);
          bytes[p] = (bytes[p] as number) ^ (1 << this.int(8));
          at.push(p);
        }
        const detail = `bits flipped at ${at.join(',')}`;
        return kind === 'byte-flip-json' ? { kind, detail, ext: '.json', bytes } : gz(bytes, detail);
      }
      case 'truncate-json':
      case 'truncate-gzip': {
        const bytes = kind === 'truncate-json' ? Buffer.from(text()) : Buffer.from(gzipSync(text()));
        const cut = this.int(bytes.length);
        const detail = `cut at ${cut} of ${bytes.length}`;
        return kind === 'truncate-json' ? { kind, detail, ext: '.json', bytes: bytes.subarray(0, cut) } : gz(bytes.subarray(0, cut), detail);
      }
      case 'huge-field': {
        const strings = this.paths(bundle).filter((x) => typeof x.value === 'string');
        const target = this.pick(strings);
        const size = this.pick([64 * 1024, 1024 * 1024, 3 * 1024 * 1024]);
        set(bundle, target.path, this.pick(['A', 'é', '\u001b', '[']).repeat(size));
        return gz(gzipSync(text()), `${target.path.join('.')} = ${size} characters`);
      }
      case 'huge-array': {
        const arrays = this.paths(bundle).filter((x) => Array.isArray(x.value) && x.value.length > 0);
        const target = this.pick(arrays);
        const items = target.value as Json[];
        // Bounded to ~16 MB of JSON: past most item limits, and within the suite's minute.
        const n = Math.min(this.pick([10_000, 50_000, 100_000]), Math.floor(16e6 / JSON.stringify(items[0]).length));
        set(bundle, target.path, Array.from({ length: n }, (_, i) => items[i % items.length] as Json));
        return gz(gzipSync(text()), `${target.path.join('.') || '(root)'} repeated to ${n} items`);
      }
      case 'duplicate-keys': {
        const objects = this.paths(bundle).filter((x) => x.value !== null && typeof x.value === 'object' && !Array.isArray(x.value) && Object.keys(x.value).length > 0);
        const target = this.pick(objects);
        const key = this.pick(Object.keys(target.value as object));
        const other = this.pick<Json>([null, 0, 'x', [], {}, true, bundle.snapshotId as string]);
        return json(serializeWithDuplicate(bundle, target.path, key, other, this.next() < 0.5), `${[...target.path, key].join('.')} twice, the other value ${JSON.stringify(other)}`);
      }
      case 'deep-nesting': {
        const targets = this.paths(bundle).filter((x) => x.path.length > 0);
        const target = this.pick(targets);
        const depth = this.pick([1_000, 10_000, 100_000]);
        const [open, close] = this.pick([['[', ']'], ['{"a":', '}']] as const);
        const marker = `"@@deep-${depth}@@"`;
        set(bundle, target.path, marker.slice(1, -1));
        return json(text().replace(marker, `${open.repeat(depth)}1${close.repeat(depth)}`), `${target.path.join('.')} nested ${depth} deep with ${open}`);
      }
      case 'deep-nesting-raw': {
        const depth = this.pick([1_000, 10_000, 100_000]);
        const p = this.capturePath(bundle);
        if (!p) return json(text(), 'no capture to nest into');
        set(bundle, [...p, 'stdout'], `${'['.repeat(depth)}${']'.repeat(depth)}`);
        return gz(gzipSync(text()), `${p.join('.')}.stdout nested ${depth} deep`);
      }
      case 'hostile-all': {
        let n = 0;
        for (const x of this.paths(bundle)) {
          if (typeof x.value === 'string') {
            set(bundle, x.path, this.pick(HOSTILE_STRINGS));
            n++;
          }
        }
        return gz(gzipSync(text()), `${n} strings replaced`);
      }
      case 'hostile-text': {
        const n = this.hostileText(bundle);
        return gz(gzipSync(text()), `${n} free-text strings (names, aliases, comm, cgroup, paths, tags, raw ip JSON) replaced`);
      }
      case 'type-swap': {
        const targets = this.paths(bundle).filter((x) => x.path.length > 0);
        const target = this.pick(targets);
        const other = this.pick<Json>([null, -1, 1e308, 2 ** 53 + 1, 'string', [], {}, true, [1, 2], { x: 1 }]);
        set(bundle, target.path, other);
        return json(text(), `${target.path.join('.')} = ${JSON.stringify(other)}`);
      }
      case 'drop-key': {
        const targets = this.paths(bundle).filter((x) => typeof x.path.at(-1) === 'string');
        const target = this.pick(targets);
        const parent = get(bundle, target.path.slice(0, -1)) as { [key: string]: Json };
        delete parent[target.path.at(-1) as string];
        return json(text(), `${target.path.join('.')} removed`);
      }
      case 'many-namespaces': {
        const n = this.pick([2_000, 4_000]);
        this.copyNamespaces(bundle, n);
        return gz(gzipSync(text()), `${n} copies of the namespaces (identical links) with fresh inodes`);
      }
      case 'absurd-valid':
        return gz(gzipSync(JSON.stringify(this.absurd(bundle))), this.lastAbsurd);
      case 'raw-junk': {
        const p = this.capturePath(bundle);
        if (!p) return json(text(), 'no capture to spoil');
        const lines = this.pick([1_000, 40_000, 200_000]);
        const stdout = get(bundle, [...p, 'stdout']) as string;
        set(bundle, [...p, 'stdout'], `${'junk line }{ not json\n'.repeat(lines)}${stdout}`);
        return gz(gzipSync(text()), `${p.join('.')}.stdout with ${lines} junk lines first`);
      }
    }
  }

  private lastAbsurd = '';

  /** Schema-valid nonsense: what a broken or lying collector could store. */
  private absurd(bundle: { [key: string]: Json }): Json {
    const namespaces = bundle.namespaces as Array<{ [key: string]: Json }>;
    const variants: Array<[string, () => void]> = [
      ['no namespaces at all', () => void (bundle.namespaces = [])],
      ['every namespace with the same inode', () => namespaces.forEach((n) => (n.inode = (namespaces[0]?.inode as number) ?? 1))],
      ['300 copies of the namespaces with fresh inodes', () => this.copyNamespaces(bundle, 300)],
      ['taken at the epoch, ending before it started', () => void (bundle.takenAt = { start: '1970-01-01T00:00:00.000Z', end: '1969-12-31T23:59:59.000Z' })],
      ['taken in 9999', () => void (bundle.takenAt = { start: '9999-12-31T23:59:58.000Z', end: '9999-12-31T23:59:59.000Z' })],
      ['every process in the host namespace, with one pid', () => (bundle.processes as Array<{ [key: string]: Json }>).forEach((p) => ((p.pid = 1), (p.netns = namespaces[0]?.inode ?? null), (p.netnsError = null)))],
      ['raw ip links pointing at themselves, at nsid 2^31-1, with ifindex 2^31-1', () => this.rewriteRawLinks(bundle, (l) => ({ ...l, link_index: l.ifindex ?? 1, link_netnsid: 2147483647, ifindex: 2147483647 }))],
      ['raw ip links all named alike and all veths', () => this.rewriteRawLinks(bundle, (l) => ({ ...l, ifname: 'eth0', linkinfo: { info_kind: 'veth' } }))],
      ['64 tags of 256 characters', () => void (bundle.tags = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v'.repeat(256)])))],
    ];
    const [name, apply] = this.pick(variants);
    apply();
    this.lastAbsurd = name;
    return bundle;
  }

  /** `n` copies of the bundle's namespaces, links and all, under fresh inodes: many namespaces whose veths all look alike. */
  private copyNamespaces(bundle: { [key: string]: Json }, n: number): void {
    const namespaces = bundle.namespaces as Json[];
    const copies: Json[] = [];
    for (let i = 0; i < n; i++) copies.push({ ...(structuredClone(namespaces[i % namespaces.length]) as object), inode: 4_100_000_000 + i, isHost: false });
    bundle.namespaces = [...namespaces, ...copies];
  }

  /** Replaces free text (not ids, times, enums or labels) with hostile strings, also inside the raw `ip -j` output. */
  private hostileText(bundle: { [key: string]: Json }): number {
    let n = 0;
    const h = () => {
      n++;
      return this.pick(HOSTILE_STRINGS.filter((s) => s !== ''));
    };
    const host = bundle.host as { [key: string]: Json };
    host.hostname = h();
    bundle.tags = { phase: h(), note: h() };
    for (const p of bundle.processes as Array<{ [key: string]: Json }>) {
      p.comm = h();
      p.cgroup = h();
    }
    for (const handle of bundle.handles as Array<{ [key: string]: Json }>) {
      if (typeof handle.path === 'string') handle.path = `/run/netns/${h()}`;
      if (typeof handle.name === 'string') handle.name = h();
    }
    n += this.rewriteRawLinks(bundle, (l) => ({ ...l, ifname: h(), ifalias: h(), operstate: h(), master: h(), address: h(), linkinfo: { info_kind: h() } }));
    return n;
  }

  /** Rewrites every link object of every `ip -j` capture (arrays of objects with an ifindex). */
  private rewriteRawLinks(bundle: { [key: string]: Json }, f: (link: { [key: string]: Json }) => Json): number {
    let n = 0;
    for (const ns of bundle.namespaces as Array<{ captures: Array<{ [key: string]: Json }> }>) {
      for (const c of ns.captures) {
        if (typeof c.stdout !== 'string' || !c.spec?.toString().includes('json')) continue;
        c.stdout = c.stdout.replace(/^\[.*\]$/gm, (line) => {
          try {
            const arr = JSON.parse(line) as Json[];
            return JSON.stringify(arr.map((l) => (l !== null && typeof l === 'object' && !Array.isArray(l) && 'ifindex' in l ? (n++, f(l)) : l)));
          } catch {
            return line;
          }
        });
      }
    }
    return n;
  }

  private capturePath(bundle: { [key: string]: Json }): Path | null {
    const found: Path[] = [];
    (bundle.namespaces as Array<{ captures: Json[] }>).forEach((ns, i) => ns.captures.forEach((_, j) => found.push(['namespaces', i, 'captures', j])));
    return found.length ? this.pick(found) : null;
  }
}

function get(root: Json, path: Path): Json {
  let v: Json = root;
  for (const k of path) v = (v as { [key: string]: Json })[k as string] as Json;
  return v;
}

function set(root: Json, path: Path, value: Json): void {
  if (path.length === 0) return;
  (get(root, path.slice(0, -1)) as { [key: string]: Json })[path.at(-1) as string] = value;
}

/** JSON text of `root` in which the object at `at` carries `key` twice: the other value first or last. */
function serializeWithDuplicate(root: Json, at: Path, key: string, other: Json, otherFirst: boolean): string {
  const write = (v: Json, p: Path): string => {
    if (Array.isArray(v)) return `[${v.map((x, i) => write(x, [...p, i])).join(',')}]`;
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    const pairs = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${write(x, [...p, k])}`);
    if (p.length === at.length && p.every((s, i) => s === at[i])) {
      const dup = `${JSON.stringify(key)}:${JSON.stringify(other)}`;
      if (otherFirst) pairs.unshift(dup);
      else pairs.push(dup);
    }
    return `{${pairs.join(',')}}`;
  };
  return write(root, []);
}
