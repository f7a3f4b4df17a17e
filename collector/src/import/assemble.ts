import {
  escapeControl,
  failureReasonOfText,
  hasInvalidBytes,
  parseCapture,
  parseLsnsTable,
  parseNetnsListId,
  parseNetnsListIdJson,
  parseProcNsListing,
  rejectToolFailure,
  sanitizeHostLabel,
  SCHEMA_VERSION,
  SPECS,
  UNKNOWN_HOST_NETNS,
  type Bundle,
  type Capture,
  type Gap,
  type Handle,
  type LsnsNamespace,
  type NamespaceCapture,
  type ParseIssue,
  type ParseResult,
  type ProcNsEntry,
  type SpecName,
} from '@nsnap/shared/core';
import { UsageError } from '../exit-codes.js';
import { unreadableGaps } from '../probes/proc-scan.js';
import { COLLECTOR_VERSION } from '../version.js';
import { describeTarget, type NetnsTarget } from './netns-target.js';
import type { SourceFile } from './read-source.js';
import { importSnapshotId } from './snapshot-id.js';

export interface ImportInput {
  /** `--host`, as given; sanitized into the label. */
  host: string;
  /** `--taken-at`, normalized to an ISO time in UTC. */
  takenAt: string;
  tags: Record<string, string>;
  bootId: string | null;
  /** `--host-netns`: the host namespace's inode, stated by the person. */
  hostNetns: number | null;
  ipLink: SourceFile;
  procNs: SourceFile | null;
  lsns: SourceFile | null;
  netnsListId: SourceFile | null;
  netns: Array<{ target: NetnsTarget; file: SourceFile }>;
  /** Named namespaces known by name only (a sosreport's `ip netns`), each under a key that is not an inode. */
  named?: Handle[];
  /** What the source should have held and did not (a sosreport's missing files). */
  gaps?: Gap[];
  /** `ip netns` run on the host (a sosreport's): the named namespaces' nsids, kept as the host's map (spec ip_netns_text). */
  netnsList?: SourceFile | null;
}

export interface Assembled {
  bundle: Bundle;
  /** What a person should know about the files (lines not understood, failures captured in them), one line each. */
  notes: string[];
}

/**
 * The command an imported file stands for: the spec table's first import
 * binding. A file cannot say how it was made, so argv records the documented
 * command (docs/import.md), and the file itself is named with its sha256 in
 * `collector.sources`.
 */
function importArgv(spec: SpecName): string[] {
  const binding = SPECS[spec].imports[0];
  if (!binding) throw new Error(`spec ${spec} has no import binding`);
  return [...binding.argv];
}
export const NOT_IMPORTED = 'not in the imported files';

/**
 * Builds the bundle a live run would have written from files a person
 * captured by hand: each file verbatim as a capture under its spec name,
 * processes from the /proc listing, named namespaces from lsns, and every
 * namespace those mention but no file covers as a gap. Inconsistent or
 * unreadable inputs are usage errors naming the flag; nothing is invented
 * (no inode is guessed, unknown facts stay null).
 */
export function assembleImport(input: ImportInput): Assembled {
  const notes: string[] = [];
  const gaps: Gap[] = [...(input.gaps ?? [])];
  const procNs = input.procNs ? structure(input.procNs, parseProcNsListing(input.procNs.text), 'an `ls -l /proc/*/ns/net` listing', notes) : null;
  const processEntries = (procNs ?? []).filter((e) => e.tid === null);
  const lsns = input.lsns ? structure(input.lsns, parseLsnsTable(input.lsns.text), 'an `lsns -t net` listing', notes).namespaces : null;
  const handles = [...handlesFromLsns(lsns ?? []), ...(input.named ?? [])];
  const hostKnown = hostInode(input, processEntries, lsns);
  // Nothing but link listings: the host's inode is unknown, and its capture gets a key no kernel inode can have.
  const host = hostKnown ?? UNKNOWN_HOST_NETNS;
  if (hostKnown === null) {
    notes.push(`the host namespace's inode is unknown (no --host-netns, --proc-ns or --lsns): recorded as unknown; ${shownFile(input.ipLink)} is its capture`);
    gaps.push({ probe: 'import', subject: 'host netns', reason: 'failed', detail: 'inode unknown: no file given shows it (--host-netns, --proc-ns, --lsns)' });
  }

  const files = new Map<number, { file: SourceFile; target: NetnsTarget | null }>([[host, { file: input.ipLink, target: null }]]);
  for (const { target, file } of input.netns) {
    const inode = resolveTarget(target, processEntries, input.procNs, input.lsns, lsns, handles);
    const seen = files.get(inode);
    if (seen) throw new UsageError(`${file.flag} and ${seen.file.flag} are both for namespace ${inode}${inode === host ? ' (the host, whose links --ip-link gives)' : ''}: give one file per namespace`);
    files.set(inode, { file, target });
  }

  const known = new Set<number>([host, ...files.keys(), ...handles.flatMap((h) => (h.inode === null ? [] : [h.inode])), ...(lsns ?? []).map((n) => n.inode)]);
  for (const p of processEntries) if (p.inode !== null) known.add(p.inode);
  const namespaces: NamespaceCapture[] = [];
  for (const inode of [host, ...[...known].filter((i) => i !== host).sort((a, b) => a - b)]) {
    const given = files.get(inode);
    const ns = given ? namespaceFromFile(inode, inode === host, given.file, given.target, notes) : notImported(inode);
    if (ns.failure) gaps.push({ probe: 'import', subject: `netns ${inode}`, reason: ns.failure.reason, detail: ns.failure.detail });
    namespaces.push(ns);
  }

  const processes: Bundle['processes'] = processEntries.map((e) => ({ pid: e.pid, netns: e.inode, netnsError: e.inode === null ? e.error ?? 'failed' : null, comm: null, cgroup: null, startTime: null }));
  gaps.push(...unreadableGaps(processes, 'import', '/proc/PID/ns/net unreadable in the listing'));

  const nsidMaps: Bundle['nsidMaps'] = [];
  if (input.lsns) {
    const spec = input.lsns.text.trimStart().startsWith('{') ? 'lsns_net_json' : 'lsns_net_text';
    nsidMaps.push({ observer: host, why: 'host map (imported)', capture: fileCapture(spec, importArgv(spec), input.lsns) });
  }
  if (input.netnsListId) {
    const json = input.netnsListId.text.trimStart().startsWith('[');
    const parsed = json ? parseNetnsListIdJson(input.netnsListId.text) : parseNetnsListId(input.netnsListId.text);
    // An empty list is a real answer: the host has assigned no nsid yet.
    if (parsed.status === 'unusable') throw new UsageError(`${shownFile(input.netnsListId)}: not an \`ip netns list-id\` output: ${escapeControl(parsed.reason)}`);
    noteIssues(input.netnsListId, parsed.issues, notes);
    const spec = json ? 'ip_netns_list_id_json' : 'ip_netns_list_id_text';
    nsidMaps.push({ observer: host, why: 'host nsid names (imported)', capture: fileCapture(spec, importArgv(spec), input.netnsListId) });
  }
  if (input.netnsList) nsidMaps.push({ observer: host, why: 'host named namespaces (imported)', capture: fileCapture('ip_netns_text', importArgv('ip_netns_text'), input.netnsList) });

  const sources = [input.ipLink, input.procNs, input.lsns, input.netnsListId, input.netnsList ?? null, ...input.netns.map((n) => n.file)].filter((f): f is SourceFile => f !== null);
  const takenAtMs = Date.parse(input.takenAt);
  const fingerprint = { host: input.host, takenAt: input.takenAt, tags: input.tags, bootId: input.bootId, hostNetns: input.hostNetns, sources: sources.map((s) => [s.role, s.sha256]) };
  const bundle: Bundle = {
    schemaVersion: SCHEMA_VERSION,
    snapshotId: importSnapshotId(takenAtMs, fingerprint),
    takenAt: { start: input.takenAt, end: input.takenAt },
    collector: { name: 'nsnap-collect', version: COLLECTOR_VERSION, mode: 'import', sources: sources.map(({ role, name, sha256, bytes }) => ({ role, name, sha256, bytes })) },
    tags: input.tags,
    host: {
      label: sanitizeHostLabel(input.host),
      hostname: input.host.slice(0, 256),
      machineId: null,
      bootId: input.bootId,
      kernelRelease: null,
      iproute2Version: null,
      // The documented commands (nsenter, lsns) need root; a listing taken without it shows denied entries anyway.
      root: true,
      uid: 0,
    },
    hostNetns: { inode: hostKnown, error: null },
    processes,
    handles,
    namespaces,
    nsidMaps,
    probes: [],
    gaps,
  };
  return { bundle, notes };
}

function shownFile(file: SourceFile): string {
  return `${file.flag} ${JSON.stringify(file.name)}`;
}

function noteIssues(file: SourceFile, issues: ParseIssue[], notes: string[]): void {
  const first = issues[0];
  if (!first) return;
  const where = first.line === null ? '' : `line ${first.line}: `;
  // Parsers keep a bounded list whose last entry may count the issues they dropped.
  const dropped = Number(/^(\d+) more issues not kept$/.exec(issues.at(-1)?.message ?? '')?.[1] ?? 0);
  const count = dropped > 0 ? issues.length - 1 + dropped : issues.length;
  notes.push(`${shownFile(file)}: ${count} line${count === 1 ? '' : 's'} not understood and skipped (first: ${where}${escapeControl(first.message)})`);
}

/** A file the import derives structure from must parse: anything else means the wrong file was given. */
function structure<T>(file: SourceFile, parsed: ParseResult<T>, what: string, notes: string[]): T {
  if (parsed.status !== 'parsed') throw new UsageError(`${shownFile(file)}: not ${what}: ${parsed.status === 'empty' ? 'the file is empty' : escapeControl(parsed.reason)}`);
  noteIssues(file, parsed.issues, notes);
  return parsed.value;
}

/** Named and bind-mounted namespaces as lsns's NSFS column shows them. */
function handlesFromLsns(rows: LsnsNamespace[]): Handle[] {
  const handles: Handle[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (row.nsfs === null || seen.has(row.nsfs)) continue;
    seen.add(row.nsfs);
    const named = /^\/run\/netns\/([^/]{1,255})$/.exec(row.nsfs);
    const kind = named ? 'named' : row.nsfs.startsWith('/run/docker/netns/') ? 'bind' : 'mount';
    handles.push({ kind, path: row.nsfs, name: named?.[1] ?? null, inode: row.inode, error: null });
  }
  return handles;
}

/**
 * The host namespace: `--host-netns`, else pid 1's in the /proc listing, else
 * pid 2's (kthreadd: kernel threads always live in the initial namespace, and
 * sandboxes deny pid 1's link), else the lsns row of pid 1 or 2 (lsns names a
 * namespace by its lowest readable pid). Any other pid could be a container.
 * Null when no listing was given at all: unknown, never guessed.
 */
function hostInode(input: ImportInput, processes: ProcNsEntry[], lsns: LsnsNamespace[] | null): number | null {
  if (input.hostNetns !== null) return input.hostNetns;
  for (const pid of [1, 2]) {
    const inode = processes.find((p) => p.pid === pid)?.inode ?? lsns?.find((n) => n.pid === pid)?.inode ?? null;
    if (inode !== null) return inode;
  }
  // With listings that name namespaces, one of them is the host's: keying it apart would count it twice.
  if (!input.procNs && !input.lsns) return null;
  const looked = [input.procNs ? `--proc-ns ${JSON.stringify(input.procNs.name)}` : null, input.lsns ? `--lsns ${JSON.stringify(input.lsns.name)}` : null].filter((s) => s !== null);
  throw new UsageError(
    `cannot tell the host's namespace inode: neither pid 1 nor pid 2 is readable in ${looked.join(' or ')}. ` +
      'State it with --host-netns INODE (on the host: readlink /proc/self/ns/net), or give --proc-ns / --lsns files taken as root',
  );
}

function resolveTarget(target: NetnsTarget, processes: ProcNsEntry[], procNs: SourceFile | null, lsnsFile: SourceFile | null, lsns: LsnsNamespace[] | null, handles: Handle[]): number {
  const flag = `--netns ${describeTarget(target)}`;
  if (target.by === 'inode') return target.inode;
  if (target.by === 'name') {
    const handle = handles.find((h) => h.kind === 'named' && h.name === target.name);
    if (handle?.inode) return handle.inode;
    throw new UsageError(
      `${flag}: ${lsns && lsnsFile ? `no /run/netns/${target.name} in --lsns ${JSON.stringify(lsnsFile.name)}` : 'namespace names are resolved through the lsns listing, and no --lsns file was given'}; give the namespace as inode:N instead`,
    );
  }
  const entry = processes.find((p) => p.pid === target.pid);
  if (entry?.inode) return entry.inode;
  if (entry) throw new UsageError(`${flag}: the --proc-ns listing has pid ${target.pid} but not its namespace (${entry.error ?? 'unreadable'}); give the namespace as inode:N instead`);
  const row = lsns?.find((n) => n.pid === target.pid);
  if (row) return row.inode;
  const where = [procNs ? `the --proc-ns listing ${JSON.stringify(procNs.name)}` : null, lsns ? 'the --lsns listing' : null].filter((s) => s !== null);
  throw new UsageError(
    where.length > 0
      ? `${flag}: pid ${target.pid} is not in ${where.join(' nor in ')}; give the namespace as inode:N instead`
      : `${flag}: a pid needs --proc-ns FILE (ls -l /proc/*/ns/net) to find its namespace; or give the namespace as inode:N`,
  );
}

function fileCapture(spec: SpecName, argv: string[], file: SourceFile): Capture {
  // Exit code and timing are unknown for a file: null and 0, never made up.
  return { spec, argv: file.command ?? argv, stdin: null, exitCode: null, stdout: file.text, stderr: '', durationMs: 0, timedOut: false, failure: null, ...(hasInvalidBytes(file.text) ? { encoding: 'utf-8b' as const } : {}) };
}

function namespaceFromFile(inode: number, isHost: boolean, file: SourceFile, target: NetnsTarget | null, notes: string[]): NamespaceCapture {
  const spec = file.text.trimStart().startsWith('[') ? 'ip_link_json' : 'ip_link_text';
  const inside = importArgv(spec);
  const how = entryOf(target);
  const capture = fileCapture(spec, how?.argvPrefix ? [...how.argvPrefix, ...inside] : inside, file);
  const parsed = parseCapture(capture);
  let failure: NamespaceCapture['failure'] = null;
  if (parsed.status === 'parsed') {
    noteIssues(file, parsed.issues, notes);
  } else {
    // A pasted error message ("Cannot open network namespace") is a captured failure; anything else is the wrong file.
    const toolFailure = rejectToolFailure(file.text);
    if (!toolFailure) throw new UsageError(`${shownFile(file)}: not an \`ip link show\` output: ${parsed.status === 'empty' ? 'the file is empty' : escapeControl(parsed.reason)}`);
    failure = { reason: failureReasonOfText(file.text.slice(0, 400)), detail: `${file.name}: ${toolFailure.reason}`.slice(0, 1000) };
    notes.push(`${shownFile(file)}: holds an error message, not links; namespace ${inode} is recorded as not captured`);
  }
  return { inode, isHost, entered: isHost ? { via: 'self', path: '/proc/self/ns/net', pid: null } : (how?.entry ?? null), attempts: [], captures: [capture], failure };
}

/** How the documented command enters the namespace of a `--netns` file; unknown for a bare inode. */
function entryOf(target: NetnsTarget | null): { entry: NamespaceCapture['entered']; argvPrefix: string[] } | null {
  if (target?.by === 'pid') {
    const path = `/proc/${target.pid}/ns/net`;
    return { entry: { via: 'pid', path, pid: target.pid }, argvPrefix: ['nsenter', `--net=${path}`] };
  }
  if (target?.by === 'name') return { entry: { via: 'file', path: `/run/netns/${target.name}`, pid: null }, argvPrefix: ['ip', 'netns', 'exec', target.name] };
  return null;
}

function notImported(inode: number): NamespaceCapture {
  return { inode, isHost: false, entered: null, attempts: [], captures: [], failure: { reason: 'failed', detail: NOT_IMPORTED } };
}

