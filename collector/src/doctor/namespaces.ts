import type { Runner } from '../exec/run.js';
import { bulkCapture } from '../probes/bulk-capture.js';
import { NAMESPACE_BATCH } from '@nsnap/shared/core';
import { enterWayFor, NSENTER, openFirst, openNamespace } from '../probes/namespace-links.js';
import { namespaceCandidates } from '../probes/namespace-set.js';
import { MAX_SCAN_ENTRIES } from '../collect.js';
import { netnsHandles } from '../probes/netns-handles.js';
import { netnsHolders } from '../probes/netns-holders.js';
import { addPart, dumpCache, nothingFound, type ProbeContext } from '../probes/probe.js';
import { procScan } from '../probes/proc-scan.js';
import type { Check } from './check.js';

export interface NamespaceCheckOptions {
  procRoot: string;
  namedDirs: string[];
  bindDirs: string[];
  run: Runner;
  timeoutMs: number;
}

/** `denied: 3 (pid 1, 7, 9)` — counts per reason with the first few subjects. */
function byReason(items: ReadonlyArray<{ reason: string; subject: string }>): string {
  const groups = new Map<string, string[]>();
  for (const { reason, subject } of items) groups.set(reason, [...(groups.get(reason) ?? []), subject]);
  return [...groups]
    .map(([reason, subjects]) => `${reason}: ${subjects.length} (${subjects.slice(0, 5).join(', ')}${subjects.length > 5 ? ', …' : ''})`)
    .join('; ');
}

/**
 * What the collector would find and enter here, found the way it finds it:
 * the proc-scan and netns-handles probes, then every namespace's handle
 * opened (as the capture does), then one real nsenter into a namespace, and
 * one bulk capture of it the way `--enter auto` enters here.
 */
export async function namespaceChecks(options: NamespaceCheckOptions): Promise<Check[]> {
  // Only the scan probes run here; capture settings do not matter.
  const ctx: ProbeContext = { ...options, root: '/', hostLabel: null, concurrency: 1, bulk: false, enter: 'nsenter', maxScan: MAX_SCAN_ENTRIES, ipv6Rules: false, parse: dumpCache(), log: () => {} };
  const draft = nothingFound();
  for (const probe of [procScan, netnsHandles, netnsHolders]) {
    try {
      addPart(draft, await probe.run(ctx, draft));
    } catch (error) {
      return [{ name: 'namespaces', status: 'fail', detail: `the ${probe.name} probe failed: ${(error as Error).message}` }];
    }
  }
  const host = draft.hostNetns.inode;
  if (host === null) return [{ name: 'namespaces', status: 'fail', detail: `cannot read ${options.procRoot}/self/ns/net (${draft.hostNetns.error}): the host namespace is unknown` }];

  const candidates = namespaceCandidates(draft, options.procRoot);
  candidates.delete(host);
  const unreadable = draft.processes.filter((p) => p.netnsError !== null).map((p) => ({ reason: p.netnsError as string, subject: `pid ${p.pid}` }));
  const badHandles = draft.handles.filter((h) => h.error !== null).map((h) => ({ reason: h.error as string, subject: h.path }));
  const viaFile = new Set(draft.handles.filter((h) => h.inode !== null && h.inode !== host).map((h) => h.inode));
  // A pid that exited during the scan is ordinary churn; a denied one hides its namespace.
  const hiding = [...unreadable, ...badHandles].filter((x) => x.reason !== 'vanished');
  const visible: Check = {
    name: 'namespaces',
    status: hiding.length > 0 ? 'warn' : 'ok',
    detail:
      `host namespace ${host} and ${candidates.size} other${candidates.size === 1 ? '' : 's'} found ` +
      `(${draft.processes.length} processes, ${viaFile.size} reachable through /run/netns, runtime or nsfs mounts, ` +
      `${new Set(draft.holders.map((h) => h.inode)).size} only through an fd, a thread or another mount namespace)` +
      (unreadable.length > 0 ? `; ${unreadable.length} process${unreadable.length === 1 ? "'s" : "es'"} /proc/PID/ns/net unreadable, a namespace only they lead to is invisible: ${byReason(unreadable)}` : '') +
      (badHandles.length > 0 ? `; ${badHandles.length} namespace files unusable: ${byReason(badHandles)}` : ''),
  };

  const held: Array<{ fd: number; inode: number; path: string; close: () => void }> = [];
  const refused: Array<{ reason: string; subject: string }> = [];
  try {
    for (const [inode, list] of [...candidates].sort((a, b) => a[0] - b[0])) {
      const { opened, candidate, attempts } = openFirst(inode, list);
      if (opened && candidate) {
        // One held handle is enough for the nsenter trial; the others are only counted.
        if (held.length === 0) held.push({ ...opened, inode, path: candidate.path });
        else opened.close();
        continue;
      }
      const last = attempts.at(-1);
      if (last) refused.push({ reason: last.reason, subject: `${inode} via ${last.path}` });
    }
    const opened = candidates.size - refused.length;
    const handles: Check = {
      name: 'namespace-handles',
      status: candidates.size > 0 && opened === 0 ? 'fail' : refused.some((r) => r.reason !== 'vanished') ? 'warn' : 'ok',
      detail:
        candidates.size === 0
          ? 'no namespace besides the host\'s to open'
          : `opened ${opened} of ${candidates.size} namespaces` + (refused.length > 0 ? `; cannot open ${refused.length}: ${byReason(refused)}` : ''),
    };
    const one = held[0] ?? null;
    return [visible, handles, await enterCheck(options, one, candidates.size), await bulkEnterCheck(options, one)];
  } finally {
    for (const h of held) h.close();
  }
}

/** setns is the one privileged step (CAP_SYS_ADMIN): only a real nsenter shows it is allowed. */
async function enterCheck(options: NamespaceCheckOptions, handle: { fd: number; inode: number; path: string } | null, others: number): Promise<Check> {
  if (handle === null) {
    return others === 0
      ? { name: 'nsenter-enter', status: 'warn', detail: 'no namespace besides the host\'s: entering one (setns, CAP_SYS_ADMIN) is not verified' }
      : { name: 'nsenter-enter', status: 'fail', detail: 'no namespace could be opened, so none can be entered' };
  }
  // Text, not -j: this check is about setns, and must not fail on an ip without JSON output.
  const argv = [...NSENTER, 'ip', '-o', 'link', 'show'];
  const capture = await options.run(argv, { spec: 'ip_link_text', timeoutMs: options.timeoutMs, fd3: handle.fd });
  if (capture.failure) {
    return { name: 'nsenter-enter', status: 'fail', detail: `${argv.join(' ')} in namespace ${handle.inode} (${handle.path}): ${capture.failure.reason}: ${capture.failure.detail}` };
  }
  const links = capture.stdout.split('\n').filter((line) => /^\d+: /.test(line)).length;
  if (links === 0) return { name: 'nsenter-enter', status: 'fail', detail: `${argv.join(' ')} in namespace ${handle.inode} listed no links (not even lo)` };
  return { name: 'nsenter-enter', status: 'ok', detail: `entered namespace ${handle.inode} (${handle.path}) and listed its ${links} link${links === 1 ? '' : 's'}` };
}

/**
 * How `--enter auto` enters many namespaces here, tried for real on one: a
 * bulk pass over it exactly as a run makes one (`ip -n` from a private mount
 * namespace where the mount table allows, else nsenter). A failed `ip -n` is a
 * warning: runs then fall back to nsenter, after a wasted first try.
 */
async function bulkEnterCheck(options: NamespaceCheckOptions, handle: { inode: number; path: string } | null): Promise<Check> {
  const name = 'bulk-enter';
  const way = enterWayFor('auto', () => {});
  if (way.how === 'nsenter') return { name, status: 'ok', detail: `--enter auto enters with nsenter here (two execs per namespace): ${way.why ?? 'chosen'}` };
  if (handle === null) return { name, status: 'warn', detail: 'no namespace could be opened: entering with ip -n is not verified' };
  const trial = await bulkCapture(
    [handle],
    (h) => {
      const opened = openNamespace(h.path, h.inode);
      return 'fd' in opened ? opened.fd : null;
    },
    NAMESPACE_BATCH,
    { run: options.run, workers: 1, timeoutMs: options.timeoutMs, enter: way },
  );
  const unmounted = way.unmount.length > 0 ? `, unmounting ${way.unmount.join(' and ')} there` : '';
  if (trial.fellBack !== null) {
    return { name, status: 'warn', detail: `ip -n could not enter namespace ${handle.inode} (${trial.fellBack.split('\n')[0]}): runs fall back to nsenter after a failed first try; --enter nsenter skips it` };
  }
  if (!trial.captures.has(handle.inode)) return { name, status: 'warn', detail: `a bulk capture of namespace ${handle.inode} (${handle.path}) printed nothing usable: runs capture such namespaces one by one` };
  return { name, status: 'ok', detail: `entered namespace ${handle.inode} with one ip -n exec from a private mount namespace${unmounted}: what --enter auto does here` };
}
