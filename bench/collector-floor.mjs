// The floor of a collector written in Node (bench/collector.mjs bundles this file like the
// collector and times it): Node's start, then the collector's own bulk capture — its find
// workers, entering the way the collector would (`--enter`), with its concurrency — over the
// network namespaces of the pids given on stdin. Nothing else: no /proc scan, no walk for hidden
// namespaces, no parsing, no pairing, no bundle. What the collector costs above this is its own
// work; what this costs above baseline 2 is Node and the way in.
// It imports the collector's TypeScript sources: run it bundled (esbuild), as bench/collector.mjs does.
// Usage: node FLOOR.mjs [--enter auto|ip-netns|nsenter] [--concurrency N] < pids
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { NAMESPACE_BATCH } from '../shared/src/specs/catalogue.js';
import { runCommand } from '../collector/src/exec/run.js';
import { bulkCapture } from '../collector/src/probes/bulk-capture.js';
import { parseNsLink } from '../collector/src/probes/errno.js';
import { enterWayFor, openNamespace } from '../collector/src/probes/namespace-links.js';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const subjects = readFileSync(0, 'utf8')
  .split('\n')
  .filter((line) => /^\d+$/.test(line))
  .map((pid) => ({ pid, inode: 0 }));
for (const s of subjects) s.inode = parseNsLink(readlinkOr(`/proc/${s.pid}/ns/net`)) ?? -1;
const open = (s) => {
  const r = openNamespace(`/proc/${s.pid}/ns/net`, s.inode);
  return 'fd' in r ? r.fd : null;
};
const { captures } = await bulkCapture(subjects, open, NAMESPACE_BATCH, {
  run: runCommand,
  // The collector's default (DEFAULT_CONCURRENCY, collect.ts), not imported: that module brings every probe.
  workers: Number(opt('--concurrency') ?? os.availableParallelism()),
  timeoutMs: 10_000,
  enter: enterWayFor(opt('--enter') ?? 'auto', (m) => process.stderr.write(`${m}\n`)),
});
if (captures.size !== subjects.length) {
  process.stderr.write(`floor: captured ${captures.size} of ${subjects.length} namespaces\n`);
  process.exit(1);
}

function readlinkOr(file) {
  try {
    return readlinkSync(file);
  } catch {
    return '';
  }
}
