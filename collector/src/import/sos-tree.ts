import { promises as fs } from 'node:fs';
import path from 'node:path';
import { escapeControl, parseNetnsList, UNKNOWN_HOST_NETNS, type Gap, type Handle } from '@nsnap/shared/core';
import { UsageError } from '../exit-codes.js';
import type { NetnsTarget } from './netns-target.js';
import { readSource, type SourceFile } from './read-source.js';
import { SOS_HOST_LINKS, SOS_NETNS_LIST, SOS_NETWORKING_DIR, sosNamespaceFiles } from './sos-names.js';

/**
 * What no sosreport records (sos runs no `lsns` and copies no /proc/PID/ns/;
 * docs/import.md): the bundle keeps these unknown and says so.
 */
const SOS_UNRECORDED = [
  { subject: 'netns inodes', detail: 'a sosreport records no namespace inode (sos runs no lsns and copies no /proc/PID/ns/net): the host and the named namespaces are keyed above any 32-bit inode' },
  { subject: 'processes', detail: 'a sosreport records no process-to-namespace map: its ps outputs and /proc/PID/cgroup copies name no namespace, so processes[] is empty' },
];

/** What an unpacked sosreport gives an import: the parts of `ImportInput` it fills. */
export interface SosFiles {
  ipLink: SourceFile;
  netns: Array<{ target: NetnsTarget; file: SourceFile }>;
  named: Handle[];
  /** `ip netns`, kept as the host's nsid map (spec ip_netns_text). */
  netnsList: SourceFile | null;
  gaps: Gap[];
  notes: string[];
}

// As `ip netns` accepts them; anything else in the listing is not looked up on disk.
const NETNS_NAME = /^[A-Za-z0-9_.:@+-]{1,255}$/;

/** The entries of a directory that really is one (not a symlink), or null. */
async function entriesOf(dir: string): Promise<Set<string> | null> {
  const st = await fs.lstat(dir).catch(() => null);
  if (!st?.isDirectory()) return null;
  return new Set(await fs.readdir(dir));
}

/**
 * The file `parts` names below `root`, found by listing each directory on the way
 * and comparing names (so text from the report never becomes a path by itself),
 * and only when every step is a real directory and the last a regular file.
 */
async function findFile(root: string, parts: readonly string[]): Promise<string | null> {
  let dir = root;
  for (const [i, part] of parts.entries()) {
    const entries = await entriesOf(dir);
    if (!entries?.has(part)) return null;
    dir = path.join(dir, part);
    if (i === parts.length - 1) return (await fs.lstat(dir)).isFile() ? dir : null;
  }
  return null;
}

async function read(root: string, parts: readonly string[], role: string, command: string[]): Promise<SourceFile | null> {
  const found = await findFile(root, parts);
  if (found === null) return null;
  // Recorded under its path in the report, which says which sos layout it came from.
  return { ...(await readSource(found, role, '--sos')), name: parts.join('/'), command };
}

/**
 * Reads an unpacked sosreport's networking outputs: the host's links, `ip netns`,
 * and each named namespace's `ip netns exec NAME ip -d address show` in any of
 * the layouts sos has used. A report without the host's links is a usage error;
 * every other expected file that is missing is a gap.
 */
export async function readSosTree(root: string): Promise<SosFiles> {
  const shown = `--sos ${JSON.stringify(root.slice(0, 300))}`;
  if (!(await entriesOf(root))) throw new UsageError(`${shown}: not a directory (give the unpacked sosreport, e.g. sosreport-web-1-2026-11-29-abcdef/)`);
  const net = path.join(root, ...SOS_NETWORKING_DIR);
  if (!(await entriesOf(net))) throw new UsageError(`${shown}: no ${SOS_NETWORKING_DIR.join('/')}/ directory: not an unpacked sosreport, or one taken without the networking plugin`);
  const gaps: Gap[] = [];
  const notes: string[] = [];
  const missing = (file: string, why: string) => gaps.push({ probe: 'import', subject: `${SOS_NETWORKING_DIR.join('/')}/${file}`, reason: 'failed', detail: `missing from the sosreport: ${why}` });

  let ipLink: SourceFile | null = null;
  for (const host of SOS_HOST_LINKS) {
    ipLink = await read(net, [host.file], 'ip-link', host.command);
    if (ipLink) break;
  }
  if (!ipLink) throw new UsageError(`${shown}: none of ${SOS_HOST_LINKS.map((h) => `${SOS_NETWORKING_DIR.join('/')}/${h.file}`).join(', ')}: the host's links are not in this report`);
  ipLink = { ...ipLink, name: `${SOS_NETWORKING_DIR.join('/')}/${ipLink.name}` };

  let netnsList: SourceFile | null = null;
  const names: string[] = [];
  const list = await read(net, [SOS_NETNS_LIST.file], 'ip-netns', [...SOS_NETNS_LIST.command]);
  if (!list) missing(SOS_NETNS_LIST.file, 'which named namespaces the host had is unknown');
  else {
    netnsList = { ...list, name: `${SOS_NETWORKING_DIR.join('/')}/${list.name}` };
    const parsed = parseNetnsList(list.text);
    if (parsed.status === 'unusable') notes.push(`--sos ${SOS_NETNS_LIST.file}: not an \`ip netns\` listing (${escapeControl(parsed.reason)}); no named namespace read`);
    if (parsed.status === 'parsed') {
      for (const { name } of parsed.value) {
        if (NETNS_NAME.test(name) && name !== '.' && name !== '..') names.push(name);
        else notes.push(`--sos ${SOS_NETNS_LIST.file}: namespace name ${JSON.stringify(escapeControl(name.slice(0, 80)))} skipped: not a name ip netns accepts`);
      }
    }
  }

  const netns: SosFiles['netns'] = [];
  const named: Handle[] = [];
  for (const [i, name] of [...new Set(names)].sort().entries()) {
    // A sosreport records no inode: each named namespace gets a key above any 32-bit inode.
    named.push({ kind: 'named', path: `/run/netns/${name}`, name, inode: UNKNOWN_HOST_NETNS + 1 + i, error: null });
    const candidates = sosNamespaceFiles(name);
    let file: SourceFile | null = null;
    for (const c of candidates) {
      file = await read(net, [...c.dir, c.file], `netns:name:${name}`, c.command);
      if (file) {
        file = { ...file, name: `${SOS_NETWORKING_DIR.join('/')}/${file.name}` };
        break;
      }
    }
    if (file) netns.push({ target: { by: 'name', name }, file });
    else missing([...candidates[0]!.dir, candidates[0]!.file].join('/'), `namespace ${name} is listed by ip netns but its links were not collected`);
  }
  gaps.push(...SOS_UNRECORDED.map((u) => ({ probe: 'import', subject: u.subject, reason: 'failed' as const, detail: u.detail })));
  return { ipLink, netns, named, netnsList, gaps, notes };
}
