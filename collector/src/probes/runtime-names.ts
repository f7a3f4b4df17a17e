import path from 'node:path';
import { decodeUtf8b, type Gap, type RuntimeContainer, type RuntimeNames, type RuntimePod } from '@nsnap/shared/core';
import type { Probe } from './probe.js';
import { joinRaw, listDir, lookupFixed, readBounded, type Entry, type Failure } from './read-in-root.js';
import { CONTAINERD_ID, HEX_ID, fromContainersJson, fromDockerConfig, fromOciConfig, podFromLogDir, type Extracted } from './runtime-files.js';

/** Where each runtime keeps the files read, under `--root`. */
export const RUNTIME_PATHS = {
  podLogs: 'var/log/pods',
  containerd: 'run/containerd/io.containerd.runtime.v2.task',
  crio: 'run/containers/storage/overlay-containers',
  docker: 'var/lib/docker/containers',
  podman: 'var/lib/containers/storage/overlay-containers/containers.json',
} as const;

export interface RuntimeLimits {
  /** Most entries read per directory (pods, containers, containerd namespaces × tasks). */
  entries: number;
  /** Largest config.json / config.v2.json read (real ones are 5–50 KB; a seccomp profile makes most of it). */
  configBytes: number;
  /** Largest containers.json read (~1 KB per container). */
  storeBytes: number;
  /** Most gaps recorded per source; the rest are counted in one more. */
  gapsPerSource: number;
}

export const RUNTIME_LIMITS: RuntimeLimits = { entries: 10_000, configBytes: 1024 * 1024, storeBytes: 32 * 1024 * 1024, gapsPerSource: 20 };

/** Files read between two yields to the event loop: the link dumps' output is handled meanwhile. */
const READS_PER_TURN = 32;

const PROBE = 'runtime-names';

/** Gaps of one source, capped: a tree of 10,000 broken files is one finding, not 10,000. */
class GapSink {
  private readonly counts = new Map<string, number>();
  constructor(readonly gaps: Gap[], private readonly cap: number) {}
  add(source: string, subject: string, f: Failure): void {
    const n = (this.counts.get(source) ?? 0) + 1;
    this.counts.set(source, n);
    if (n <= this.cap) this.gaps.push({ probe: PROBE, subject: subject.slice(0, 1000), reason: f.reason, detail: f.detail.slice(0, 1000) });
  }
  finish(): void {
    for (const [source, n] of this.counts) {
      if (n > this.cap) this.gaps.push({ probe: PROBE, subject: source, reason: 'failed', detail: `${n - this.cap} more problems like the ones above, not listed` });
    }
  }
}

/** Shown in a gap: the name's bytes, decoded (a byte that is not UTF-8 shows as a lone surrogate the renderers escape). */
const shown = (raw: Buffer) => decodeUtf8b(raw.subarray(0, 300)).text;

/** `work` on each item, synchronous reads in short turns (see readBounded). */
async function inTurns<T>(items: T[], work: (item: T) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % READS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    work(items[i] as T);
  }
}

function parseJson(bytes: Buffer): { ok: true; doc: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, doc: JSON.parse(bytes.toString('utf8')) };
  } catch (e) {
    // The message may quote the file's text: say only that it is not JSON.
    return { ok: false, detail: `not JSON (${(e as Error).name})` };
  }
}

/** Directory entries whose names match `re` (ids); others are skipped, symlinks reported. */
function idEntries(listing: { entries: Entry[] }, re: RegExp, source: string, dir: string, sink: GapSink): { id: string; raw: Buffer }[] {
  const out: { id: string; raw: Buffer }[] = [];
  for (const e of listing.entries) {
    const { text, exact } = decodeUtf8b(e.raw);
    if (!exact || !re.test(text)) continue;
    if (e.type === 'symlink') {
      sink.add(source, `${dir}/${text}`, { reason: 'failed', detail: 'a symlink: not followed' });
      continue;
    }
    if (e.type === 'dir') out.push({ id: text, raw: e.raw });
  }
  return out;
}

/** Reads one file and extracts from it; a missing file (a container being created or removed) is no gap. */
function readConfig(file: Buffer, subject: string, source: string, maxBytes: number, sink: GapSink, extract: (doc: unknown) => Extracted<RuntimeContainer>): RuntimeContainer | null {
  const read = readBounded(file, maxBytes);
  if (read.kind === 'missing') return null;
  if (read.kind === 'failed') {
    sink.add(source, subject, read);
    return null;
  }
  const parsed = parseJson(read.bytes);
  if (!parsed.ok) {
    sink.add(source, subject, { reason: 'failed', detail: parsed.detail });
    return null;
  }
  const { value, invalid } = extract(parsed.doc);
  if (invalid.length > 0) sink.add(source, subject, { reason: 'failed', detail: `not a valid name, left out: ${invalid.slice(0, 8).join(', ')}` });
  return value;
}

/**
 * Everything the runtimes' files under `root` say about names, with a gap for
 * each directory or file that exists but could not be read. Never throws for
 * what it finds on disk.
 */
export async function readRuntimeNames(root: string, limits: RuntimeLimits = RUNTIME_LIMITS): Promise<{ names: RuntimeNames; gaps: Gap[] }> {
  const sink = new GapSink([], limits.gapsPerSource);
  const pods: RuntimePod[] = [];
  const containers: RuntimeContainer[] = [];
  const show = (rel: string) => path.join('/', rel);

  /** A fixed directory's entries, or null (missing: nothing to say; unreadable: a gap). */
  const list = async (source: string, rel: string) => {
    const found = await lookupFixed(root, rel, 'dir');
    if (found.kind === 'missing') return null;
    if (found.kind === 'failed') {
      sink.add(source, show(rel), found);
      return null;
    }
    const listing = await listDir(found.path, limits.entries);
    if ('kind' in listing) {
      sink.add(source, show(rel), listing);
      return null;
    }
    if (listing.truncated) sink.add(source, show(rel), { reason: 'failed', detail: `more than ${limits.entries} entries: the rest not read` });
    return { dir: found.path, listing };
  };

  const podLogs = await list('pod-logs', RUNTIME_PATHS.podLogs);
  for (const e of podLogs?.listing.entries ?? []) {
    if (e.type !== 'dir') continue;
    const { text, exact } = decodeUtf8b(e.raw);
    const pod = exact ? podFromLogDir(text) : null;
    if (pod) pods.push(pod);
    else sink.add('pod-logs', `${show(RUNTIME_PATHS.podLogs)}/${shown(e.raw)}`, { reason: 'failed', detail: 'not a <namespace>_<pod>_<uid> or <uid> name: left out' });
  }

  const containerd = await list('containerd', RUNTIME_PATHS.containerd);
  if (containerd) {
    let budget = limits.entries;
    for (const ns of idEntries(containerd.listing, CONTAINERD_ID, 'containerd', show(RUNTIME_PATHS.containerd), sink)) {
      const nsRel = `${RUNTIME_PATHS.containerd}/${ns.id}`;
      const tasks = await listDir(path.join(containerd.dir, ns.id), budget);
      if ('kind' in tasks) {
        sink.add('containerd', show(nsRel), tasks);
        continue;
      }
      budget -= tasks.entries.length;
      if (tasks.truncated) sink.add('containerd', show(nsRel), { reason: 'failed', detail: `more than ${limits.entries} tasks in all: the rest not read` });
      const ids = idEntries(tasks, CONTAINERD_ID, 'containerd', show(nsRel), sink);
      await inTurns(ids, ({ id }) => {
        const c = readConfig(joinRaw(containerd.dir, ns.id, id, 'config.json'), `${show(nsRel)}/${id}/config.json`, 'containerd', limits.configBytes, sink, (doc) => fromOciConfig(doc, 'containerd', id));
        if (c) containers.push(c);
      });
      if (budget <= 0) break;
    }
  }

  const crio = await list('cri-o', RUNTIME_PATHS.crio);
  if (crio) {
    await inTurns(idEntries(crio.listing, HEX_ID, 'cri-o', show(RUNTIME_PATHS.crio), sink), ({ id }) => {
      const c = readConfig(joinRaw(crio.dir, id, 'userdata', 'config.json'), `${show(RUNTIME_PATHS.crio)}/${id}/userdata/config.json`, 'cri-o', limits.configBytes, sink, (doc) => fromOciConfig(doc, 'cri-o', id));
      if (c) containers.push(c);
    });
  }

  const docker = await list('docker', RUNTIME_PATHS.docker);
  if (docker) {
    await inTurns(idEntries(docker.listing, HEX_ID, 'docker', show(RUNTIME_PATHS.docker), sink), ({ id }) => {
      const c = readConfig(joinRaw(docker.dir, id, 'config.v2.json'), `${show(RUNTIME_PATHS.docker)}/${id}/config.v2.json`, 'docker', limits.configBytes, sink, (doc) => fromDockerConfig(doc, id));
      if (c) containers.push(c);
    });
  }

  const store = await lookupFixed(root, RUNTIME_PATHS.podman, 'file');
  if (store.kind === 'failed') sink.add('podman', show(RUNTIME_PATHS.podman), store);
  if (store.kind === 'found') {
    const read = readBounded(store.path, limits.storeBytes);
    const parsed = read.kind === 'read' ? parseJson(read.bytes) : null;
    if (read.kind === 'failed') sink.add('podman', show(RUNTIME_PATHS.podman), read);
    else if (parsed && !parsed.ok) sink.add('podman', show(RUNTIME_PATHS.podman), { reason: 'failed', detail: parsed.detail });
    else if (parsed?.ok) {
      const { values, invalid, truncated } = fromContainersJson(parsed.doc, limits.entries);
      containers.push(...values);
      if (invalid.length > 0) sink.add('podman', show(RUNTIME_PATHS.podman), { reason: 'failed', detail: `not a valid id or name, left out: ${invalid.slice(0, 8).join(', ')}${invalid.length > 8 ? ', …' : ''}` });
      if (truncated) sink.add('podman', show(RUNTIME_PATHS.podman), { reason: 'failed', detail: `more than ${limits.entries} containers: the rest not read` });
    }
  }

  sink.finish();
  // Reads finish in any order: sort so that one tree always gives one bundle.
  containers.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  pods.sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  return { names: { pods, containers }, gaps: sink.gaps };
}

/** Pod and container names from the runtimes' files under `--root`: cheap reads, taken while the link dumps run. */
export const runtimeNames: Probe = {
  name: PROBE,
  during: 'namespace-links',
  async run(ctx) {
    const { names, gaps } = await readRuntimeNames(ctx.root);
    return { runtimeNames: names, gaps };
  },
};
