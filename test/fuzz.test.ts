import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ANALYZER_BIN, ROOT, runCli } from './support/cli.js';
import { MUTATION_KINDS, Mutator, type Mutant, type MutationKind } from './fuzz/mutate.js';

/**
 * The fuzz suite: mutations of real bundles (fixtures/bundles/fuzz-lab-*, taken
 * by nsnap-collect from a small real topology) fed to `nsnap ingest` and to
 * every query. A crash (exit 70, death by a signal, a stack trace on stderr)
 * or a hang (no answer within HANG_MS) fails it, and so does a refused file
 * that stderr does not name. Seeded: NSNAP_FUZZ_SEED and NSNAP_FUZZ_PER_KIND
 * replay or widen a run; the figures are printed.
 */
const SEED = Number(process.env.NSNAP_FUZZ_SEED ?? 20261203);
const PER_KIND = Number(process.env.NSNAP_FUZZ_PER_KIND ?? 12);
/**
 * Mutants per ingest run (even: both snapshots of a host go in one run). A run's HANG_MS is a hang
 * detector, not a speed target. Measured alone on an idle machine: a raw-junk mutant takes ~3 s to
 * reach the work budget, a 2,000–4,000-namespace one ~2–2.7 s with the interval storage; 64 of them
 * in one run took ~29 s before that storage and ~35 s after. Runs of 16 keep every mutant under the
 * same limit with room (bench/ holds the ingest speed figures).
 */
const BATCH = 16;
const HANG_MS = 30_000;

/** NSNAP_FUZZ_KINDS=a,b: only these kinds (to replay one). */
const KINDS = (process.env.NSNAP_FUZZ_KINDS ? MUTATION_KINDS.filter((k) => process.env.NSNAP_FUZZ_KINDS!.split(',').includes(k)) : MUTATION_KINDS);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  what: string;
  exitCode: number | undefined;
  timedOut: boolean;
  signal: string | undefined;
  stderr: string;
  stdout: string;
}

const STACK = /^\s+at .+(\(.*:\d+:\d+\)|:\d+:\d+)$/m;

/** Why a run counts as a crash or a hang, or null. */
function crashOf(r: Run): string | null {
  if (r.timedOut) return `hang: no answer in ${HANG_MS / 1000} s`;
  if (r.signal) return `killed by ${r.signal}`;
  if (r.exitCode === 70) return `exit 70: ${r.stderr.slice(0, 300)}`;
  if (r.exitCode === undefined) return 'no exit code';
  if (STACK.test(r.stderr)) return `stack trace on stderr: ${r.stderr.slice(0, 300)}`;
  return null;
}

async function nsnap(what: string, args: string[]): Promise<Run> {
  const r = await runCli(ANALYZER_BIN, args, { timeout: HANG_MS, maxBuffer: 512 * 1024 * 1024 });
  return { what, exitCode: r.exitCode, timedOut: Boolean(r.timedOut), signal: r.signal ?? undefined, stderr: String(r.stderr ?? ''), stdout: String(r.stdout ?? '') };
}

interface FileOutcome {
  path: string;
  outcome: 'ingested' | 'skipped' | 'failed';
  host: string | null;
}

describe('fuzz: mutated real bundles through ingest and every query', () => {
  it(`seed ${SEED}, ${PER_KIND} mutants per kind: no crash, no hang, every refusal named`, async () => {
    const t0 = performance.now();
    const seeds = ['fuzz-lab-1.json.gz', 'fuzz-lab-2.json.gz'].map((f) => JSON.parse(gunzipSync(readFileSync(path.join(ROOT, 'fixtures/bundles', f))).toString('utf8')));
    const m = new Mutator(SEED);
    const mutants: Array<Mutant & { file: string; host: string }> = [];
    const base = Date.parse('2026-06-01T00:00:00Z');
    let i = 0;
    for (const kind of KINDS) {
      for (let k = 0; k < PER_KIND; k++, i++) {
        // Two snapshots per host, so diff and history have something to compare.
        const host = `fz-${kind}-${Math.floor(k / 2)}`;
        const mutant = m.mutate(seeds[k % 2], kind, host, base + i * 1000);
        const dir = path.join(tmp, 'in', `batch-${Math.floor(i / BATCH)}`);
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `${String(i).padStart(4, '0')}-${kind}${mutant.ext}`);
        writeFileSync(file, mutant.bytes);
        mutants.push({ ...mutant, file, host });
      }
    }
    // The seeds themselves: the queries' baseline.
    const seedDir = path.join(tmp, 'in', 'seeds');
    mkdirSync(seedDir, { recursive: true });
    for (const f of ['fuzz-lab-1.json.gz', 'fuzz-lab-2.json.gz']) writeFileSync(path.join(seedDir, f), readFileSync(path.join(ROOT, 'fixtures/bundles', f)));

    const db = path.join(tmp, 'fuzz.db');
    const crashes: Array<{ kind: MutationKind | 'query' | 'batch'; what: string; why: string }> = [];
    const unnamed: string[] = [];
    const outcomes = new Map<string, FileOutcome>();
    const batches = [seedDir, ...new Set(mutants.map((x) => path.dirname(x.file)))];
    for (const dir of batches) {
      const r = await nsnap(`ingest ${dir}`, ['--db', db, 'ingest', dir, '--json', '-q']);
      const why = crashOf(r);
      if (why) {
        // Name the culprits: the batch's files one by one.
        for (const x of mutants.filter((y) => path.dirname(y.file) === dir)) {
          const one = await nsnap(`ingest ${x.file}`, ['--db', db, 'ingest', x.file, '-q']);
          const w = crashOf(one);
          if (w) crashes.push({ kind: x.kind, what: `${path.basename(x.file)} (${x.detail})`, why: w });
        }
        if (!crashes.some((c) => mutants.some((x) => path.dirname(x.file) === dir && c.what.startsWith(path.basename(x.file))))) crashes.push({ kind: 'batch', what: dir, why });
        continue;
      }
      const summary = JSON.parse(r.stdout) as { files: FileOutcome[] };
      for (const f of summary.files) {
        outcomes.set(f.path, f);
        if (f.outcome === 'failed' && !r.stderr.includes(path.basename(f.path))) unnamed.push(f.path);
      }
    }
    const ingestRuns = batches.length;

    // Every query, on every host some mutant of each kind reached, as text and as JSON.
    const hosts = ['fuzz-lab', ...new Set([...outcomes.values()].filter((o) => o.outcome === 'ingested' && o.host !== null).map((o) => o.host as string))].filter((h, j, all) => all.indexOf(h) === j);
    const perKind = new Map<string, string>();
    for (const h of hosts) perKind.set(h.replace(/-\d+$/, ''), perKind.get(h.replace(/-\d+$/, '')) ?? h);
    const queries = (h: string, json: boolean): string[][] => {
      const j = json ? ['--json'] : [];
      return [
        ['show', '--host', h, ...j],
        ['peers', '--host', h, ...j],
        ['graph', '--host', h],
        ['check', '--host', h, ...j],
        ['history', '--host', h, '-v', ...j],
        ['diff', '--host', h, 'latest~1', 'latest', ...j],
        ['whois', 'eth0', '--host', h, '--all', ...j],
        ['whois', '10.0.0.1', '--host', h, '--all', ...j],
        ['capture', 'eth0', '--netns', 'host', '--host', h, ...j],
      ];
    };
    const queryRuns: string[][] = [['snapshots'], ['snapshots', '--json']];
    [...perKind.values()].forEach((h, j) => queryRuns.push(...queries(h, j % 2 === 1)));
    let queryCount = 0;
    const pending = [...queryRuns];
    const worker = async () => {
      for (let q = pending.shift(); q; q = pending.shift()) {
        const r = await nsnap(`nsnap ${q.join(' ')}`, ['--db', db, ...q]);
        queryCount++;
        const why = crashOf(r);
        if (why) crashes.push({ kind: 'query', what: r.what, why });
        // `check` exits 1 with its findings on stdout; any other non-zero exit must say why on stderr.
        else if (r.exitCode !== 0 && r.stderr.trim() === '' && r.stdout.trim() === '') unnamed.push(`${r.what}: exit ${r.exitCode} with no message`);
      }
    };
    await Promise.all([worker(), worker()]);

    const byKind = new Map<string, { tried: number; ingested: number; refused: number }>();
    for (const x of mutants) {
      const k = byKind.get(x.kind) ?? { tried: 0, ingested: 0, refused: 0 };
      k.tried++;
      const o = outcomes.get(x.file);
      if (o?.outcome === 'ingested') k.ingested++;
      if (o?.outcome === 'failed') k.refused++;
      byKind.set(x.kind, k);
    }
    const hangs = crashes.filter((c) => c.why.startsWith('hang'));
    const lines = [
      `fuzz: seed ${SEED}: ${mutants.length} mutants of 2 real bundles (${KINDS.length} kinds × ${PER_KIND}) in ${ingestRuns} ingest runs, ${queryCount} query runs over ${perKind.size} hosts, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      `fuzz: ${crashes.length - hangs.length} crashes, ${hangs.length} hangs, ${unnamed.length} unnamed failures`,
      ...[...byKind].map(([k, v]) => `fuzz:   ${k.padEnd(18)} ${v.tried} tried, ${v.ingested} ingested, ${v.refused} refused with a named reason`),
      ...crashes.map((c) => `fuzz: ${c.kind}: ${c.what}: ${c.why}`),
      ...unnamed.map((u) => `fuzz: UNNAMED ${u}`),
    ];
    console.log(lines.join('\n'));
    expect(crashes, lines.join('\n')).toEqual([]);
    expect(unnamed).toEqual([]);
    // The suite must reach the queries: mutants that keep the shape are ingested.
    expect([...outcomes.values()].filter((o) => o.outcome === 'ingested').length).toBeGreaterThan(mutants.length / 4);
  }, 240_000);
});
