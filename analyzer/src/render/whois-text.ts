import { counted } from '@nsnap/shared/text';
import type { Owners } from '../answer/common.js';
import type { InterfaceBrief, NamedLookup, PeerView, WhoisAllAnswer, WhoisAnswer, WhoisMatch } from '../answer/whois.js';
import { describeOwner, formatDuration, snapshotLine } from './describe.js';
import { terminalLines } from './terminal.js';

const ownerOf = (m: Pick<WhoisMatch, 'netns' | 'host' | 'names' | 'pids' | 'processes' | 'containers'> & { captured?: boolean; mounts?: string[] }): Owners => ({
  netns: m.netns,
  host: m.host,
  captured: m.captured ?? true,
  problem: null,
  names: m.names,
  mounts: m.mounts ?? [],
  pids: m.pids,
  processes: m.processes.map((p) => ({ ...p, startTime: null })),
  containers: m.containers,
});

const peerText = (p: PeerView) => `${p.ifname} #${p.ifindex} (${describeOwner(ownerOf(p))})`;

function ifaceText(i: Pick<InterfaceBrief, 'ifname' | 'ifindex' | 'kind' | 'master' | 'peer' | 'unpaired' | 'lower'>): string {
  const parts = [i.kind, i.master ? `master ${i.master}` : null].filter((x) => x !== null);
  let text = `${i.ifname} #${i.ifindex}${parts.length > 0 ? ` ${parts.join(', ')}` : ''}`;
  if (i.peer) text += ` ⇄ ${peerText(i.peer)}`;
  else if (i.unpaired) text += ` ⇄ ? ${i.unpaired.reason}${i.unpaired.detail ? `: ${i.unpaired.detail}` : ''}`;
  if (i.lower?.device) text += ` → lower ${peerText(i.lower.device)}`;
  else if (i.lower) text += ` → lower ? ${i.lower.detail ?? 'unresolved'}`;
  return text;
}

function matchLines(m: WhoisMatch): string[] {
  if (m.ifname !== null && m.ifindex !== null) return [`${m.address !== undefined ? `${m.address} on ` : ''}${ifaceText({ ...m, ifname: m.ifname, ifindex: m.ifindex })}`, `  in ${describeOwner(ownerOf(m))}`];
  const lines = [`${m.matchedBy} → ${describeOwner(ownerOf(m))}`];
  for (const i of m.interfaces ?? []) if (i.ifname !== 'lo') lines.push(`  ${ifaceText(i)}`);
  return lines;
}

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * One word of a command to paste into a shell, meaning exactly `word`: bare
 * when plainly safe, else in single quotes; a word with control characters
 * (which must not reach the terminal) in bash's $'…' with \x escapes. Its output is safe for a
 * terminal as it is: the whois frontend appends it after escaping the rest of the line.
 */
function shellWord(word: string): string {
  if (/^[A-Za-z0-9_.:@%+=,/-]+$/.test(word)) return word;
  if (!UNPRINTABLE.test(word)) return `'${word.replace(/'/g, `'\\''`)}'`;
  const body = word.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\\']/g, (c) => {
    if (c === '\\' || c === "'") return `\\${c}`;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `$'${body}'`;
}

/** What a container or pod name stands for: ambiguous, or held by something without a process. */
function namedLines(n: NamedLookup): string[] {
  const id = (h: NamedLookup['holders'][number]) => (n.kind === 'container' && /^[0-9a-f]{64}$/.test(h.id) ? h.id.slice(0, 12) : h.id);
  const where = (h: NamedLookup['holders'][number]) => (h.netns.length > 0 ? `netns ${h.netns.join(', ')}` : 'no process of it seen');
  const what = n.kind === 'pod' ? 'pod' : 'container';
  if (n.ambiguous) return [`${what} name ${n.name} is ambiguous: ${n.holders.length} ${what}s have it in this snapshot`, ...n.holders.map((h) => `  ${id(h)}: ${where(h)}`)];
  return n.holders.filter((h) => h.netns.length === 0).map((h) => `${what} ${n.name} is ${id(h)}: no process of it seen in this snapshot`);
}

export function renderWhois(r: WhoisAnswer): string {
  const age = formatDuration(r.snapshot.ageSeconds * 1000);
  // The age at the time asked is said here: the label's own "in force at" would say it twice.
  const lines = [`${snapshotLine({ ...r.snapshot, asOf: undefined })}: ${age} old at ${r.at}`, ''];
  for (const n of r.named ?? []) lines.push(...namedLines(n));
  let suggestion = '';
  if (r.matches.length === 0) {
    lines.push(`nothing matches ${JSON.stringify(r.query)} in this snapshot`);
    if (r.seenElsewhere && r.suggest) {
      // Escaped apart from the rest: a shell word has escapes of its own, which must reach the terminal as they are.
      const seen = terminalLines([`the name is in ${counted(r.seenElsewhere, 'other snapshot')} of ${r.snapshot.host}: nsnap `]).slice(0, -1);
      suggestion = `${seen}${r.suggest.map(shellWord).join(' ')}\n`;
    }
  }
  const holders = r.matches.filter((m) => m.matchedBy === 'address').length;
  // Two holders of one address at once is the answer, not a pick: say so before listing them.
  if (holders > 1) lines.push(`${holders} interfaces hold the address at once:`);
  for (const m of r.matches) lines.push(...matchLines(m));
  return terminalLines(lines) + suggestion;
}

export function renderWhoisHistory(h: WhoisAllAnswer): string {
  const lines = [`${h.query} on host ${h.host}: ${h.periods.length} period${h.periods.length === 1 ? '' : 's'}`];
  for (const p of h.periods) {
    const gaps = p.gaps > 0 ? `, over ${p.gaps} snapshot${p.gaps === 1 ? '' : 's'} that could not capture it` : '';
    const span = p.snapshots === 1 ? `${p.first.takenAt} (1 snapshot${gaps})` : `${p.first.takenAt} … ${p.last.takenAt} (${p.snapshots} snapshots${gaps}, ${formatDuration(Date.parse(p.last.takenAt) - Date.parse(p.first.takenAt))})`;
    lines.push('', span);
    if (p.uncertain !== undefined) lines.push(`  ? perhaps the namespace of the period before: ${p.uncertain}`);
    lines.push(...matchLines(p.match).map((l) => `  ${l}`));
  }
  return terminalLines(lines);
}
