import { Option, type Command } from 'commander';
import { quote, UsageError } from '../errors.js';
import type { Owners } from '../answer/common.js';
import type { DiffBody as DiffResult } from '../answer/diff.js';
import type { HistoryStep } from '../answer/history.js';
import type { EndView, PeersAnswer as PeersResult } from '../answer/peers.js';
import type { ShowAnswer as ShowResult } from '../answer/show.js';
import type { WhoisAnswer as WhoisResult } from '../answer/whois.js';
import type { DiffOwners } from './diff-snapshots.js';
import { countChanges } from './history.js';

/**
 * Narrowing an answer to what a person asks about: `--netns`, `--container`,
 * `--pod`, `--interface`. Applied to finished answers, so every query and
 * renderer stays as it is; all given filters must hold (AND).
 */
export interface AnswerFilter {
  /** A namespace inode, a /run/netns name, or "host". */
  netns: string | null;
  /** Lower-case prefix of a container id. */
  container: string | null;
  /** A pod UID (or a prefix of one). */
  pod: string | null;
  /** `--interface`: whether a whole name matches its glob. */
  interface: ((name: string) => boolean) | null;
}

export interface FilterFlags {
  netns?: string;
  container?: string;
  pod?: string;
  interface?: string;
}

const filterOptions = (): Option[] => [
  new Option('--netns <name|inode>', 'only this namespace: its inode, its /run/netns name, or "host"'),
  new Option('--container <id-prefix|name>', 'only the namespace of containers whose id starts with this, or with this name'),
  new Option('--pod <uid|namespace/name>', 'only the namespace of this pod, by its UID (or a prefix of it) or its NAMESPACE/NAME'),
  new Option('--interface <glob>', 'only interfaces whose name matches, e.g. "veth*" or "eth[01]" (* ? [...])'),
];

/** Adds the filter options to a query command (used inside its definition chain). */
export function withFilterOptions(command: Command): Command {
  for (const option of filterOptions()) command.addOption(option);
  return command;
}

const MAX_GLOB = 256;

type GlobToken = { kind: 'star' } | { kind: 'any' } | { kind: 'set'; chars: string; negated: boolean } | { kind: 'char'; char: string };

/**
 * A shell-style glob (`*`, `?`, `[...]`, `[!...]`; everything else literal) as a
 * whole-name matcher. Matched by the two-pointer wildcard walk rather than a
 * regular expression: `*a*a*a…b` would make a backtracking regex exponential,
 * this is at most glob × name steps.
 */
export function globMatcher(glob: string): (name: string) => boolean {
  if (glob.length === 0 || glob.length > MAX_GLOB) throw new UsageError(`--interface ${quote(glob)}: expected a name or glob of 1 to ${MAX_GLOB} characters`);
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new UsageError(`--interface ${quote(glob)}: "[" without a closing "]"`);
      const body = glob.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      tokens.push({ kind: 'set', chars: negated ? body.slice(1) : body, negated });
      i = end;
    } else tokens.push({ kind: 'char', char: c });
  }
  const one = (t: GlobToken, c: string) => t.kind === 'any' || (t.kind === 'char' && t.char === c) || (t.kind === 'set' && t.chars.includes(c) !== t.negated);
  return (name: string) => {
    let t = 0;
    let n = 0;
    let star = -1;
    let resume = 0;
    while (n < name.length) {
      const token = tokens[t];
      if (token && token.kind !== 'star' && one(token, name[n] as string)) {
        t++;
        n++;
      } else if (token?.kind === 'star') {
        star = t++;
        resume = n;
      } else if (star >= 0) {
        t = star + 1;
        n = ++resume;
      } else return false;
    }
    while (tokens[t]?.kind === 'star') t++;
    return t === tokens.length;
  };
}

export function answerFilter(flags: FilterFlags): AnswerFilter | null {
  const netns = flags.netns?.trim() ?? null;
  if (netns !== null && !/^[A-Za-z0-9_.:@+-]{1,255}$/.test(netns)) throw new UsageError(`--netns ${quote(flags.netns ?? '')}: expected a namespace inode, a /run/netns name or "host"`);
  const container = flags.container?.trim().toLowerCase() ?? null;
  if (container !== null && !/^[0-9a-z][0-9a-z_.:-]{0,127}$/.test(container)) throw new UsageError(`--container ${quote(flags.container ?? '')}: expected a container id or a prefix of one`);
  const pod = flags.pod?.trim().toLowerCase() ?? null;
  if (pod !== null && !/^([0-9a-f][0-9a-f-]{0,35}|[a-z0-9][-a-z0-9]{0,62}\/[a-z0-9][-a-z0-9.]{0,252})$/.test(pod)) throw new UsageError(`--pod ${quote(flags.pod ?? '')}: expected a pod UID (or a prefix of one) or NAMESPACE/NAME`);
  const glob = flags.interface === undefined ? null : globMatcher(flags.interface);
  if (netns === null && container === null && pod === null && glob === null) return null;
  return { netns, container, pod, interface: glob };
}

/** Whether a namespace's owners satisfy the namespace filters (`--netns`, `--container`, `--pod`). */
export function ownerMatches(o: Pick<Owners, 'netns' | 'host' | 'names' | 'containers'>, f: AnswerFilter): boolean {
  if (f.netns !== null && !(String(o.netns) === f.netns || o.names.includes(f.netns) || (f.netns === 'host' && o.host))) return false;
  if (f.container !== null && !o.containers.some((c) => c.id.toLowerCase().startsWith(f.container as string) || c.name?.toLowerCase() === f.container)) return false;
  if (f.pod !== null) {
    const pod = f.pod;
    if (!o.containers.some((c) => (pod.includes('/') ? c.pod === pod : c.podUid?.toLowerCase().startsWith(pod)))) return false;
  }
  return true;
}

const nameMatches = (ifname: string, f: AnswerFilter) => f.interface === null || f.interface(ifname);
const endMatches = (e: EndView, f: AnswerFilter) => ownerMatches(e.owner, f) && nameMatches(e.ifname, f);

/** `show`: the namespaces that match, with only the interfaces that match; the gaps unchanged. */
export function filterShow(r: ShowResult, f: AnswerFilter | null): ShowResult {
  if (f === null) return r;
  const namespaces = r.namespaces
    .filter((ns) => ownerMatches(ns, f))
    .map((ns) => ({ ...ns, interfaces: ns.interfaces.filter((i) => nameMatches(i.ifname, f)) }))
    .filter((ns) => f.interface === null || ns.interfaces.length > 0);
  return { ...r, namespaces };
}

/** `peers`: pairs and unpaired veths with an end that matches every filter; the gaps unchanged. */
export function filterPeers(r: PeersResult, f: AnswerFilter | null): PeersResult {
  if (f === null) return r;
  return {
    ...r,
    pairs: r.pairs.filter((p) => endMatches(p.a, f) || endMatches(p.b, f)),
    unpaired: r.unpaired.filter((u) => endMatches(u, f)),
    lowers: r.lowers.filter((l) => endMatches(l.end, f) || (l.target !== null && endMatches(l.target, f))),
  };
}

/**
 * `graph`: what `peers` keeps, and the namespaces and interfaces it needs to be
 * drawn — the matching ones and the other ends of kept pairs — so no edge
 * points at a node the graph does not have.
 */
export function filterGraph(show: ShowResult, peers: PeersResult, f: AnswerFilter | null): { show: ShowResult; peers: PeersResult } {
  if (f === null) return { show, peers };
  const kept = filterPeers(peers, f);
  const ends = new Set<string>();
  const key = (netns: number, ifindex: number) => `${netns}/${ifindex}`;
  for (const p of kept.pairs) for (const e of [p.a, p.b]) ends.add(key(e.netns, e.ifindex));
  for (const u of kept.unpaired) ends.add(key(u.netns, u.ifindex));
  for (const l of kept.lowers) for (const e of [l.end, l.target]) if (e) ends.add(key(e.netns, e.ifindex));
  const namespaces = show.namespaces
    .map((ns) => {
      const own = ownerMatches(ns, f);
      return { ...ns, own, interfaces: ns.interfaces.filter((i) => (own && nameMatches(i.ifname, f)) || ends.has(key(ns.netns, i.ifindex))) };
    })
    .filter((ns) => ns.interfaces.length > 0 || (ns.own && f.interface === null))
    .map(({ own: _own, ...ns }) => ns);
  return { show: { ...show, namespaces }, peers: kept };
}

/**
 * `diff`: the changes in namespaces that match (judged by their owners in the
 * snapshot the change belongs to: `to` for what was added or changed, `from`
 * for what was removed) and, with --interface, on interfaces that match.
 */
export function filterDiff<D extends DiffResult>(d: D, owners: DiffOwners, f: AnswerFilter | null): D {
  if (f === null) return d;
  const ns = (netns: number, side: 'from' | 'to') => {
    const o = owners[side].get(netns);
    return o !== undefined && ownerMatches(o, f);
  };
  const iface = (i: { netns: number; ifname: string }, side: 'from' | 'to') => ns(i.netns, side) && nameMatches(i.ifname, f);
  const wholeNamespaces = f.interface === null;
  return {
    ...d,
    namespaces: {
      added: wholeNamespaces ? d.namespaces.added.filter((n) => ns(n.netns, 'to')) : [],
      removed: wholeNamespaces ? d.namespaces.removed.filter((n) => ns(n.netns, 'from')) : [],
      changed: wholeNamespaces ? d.namespaces.changed.filter((n) => ns(n.netns, 'to')) : [],
      uncertain: wholeNamespaces ? d.namespaces.uncertain.filter((n) => ns(n.netns, 'to')) : [],
      replaced: wholeNamespaces ? d.namespaces.replaced.filter((n) => ns(n.netns, 'to')) : [],
      unknown: wholeNamespaces ? d.namespaces.unknown.filter((n) => ns(n.netns, 'from')) : [],
      notComparable: wholeNamespaces ? d.namespaces.notComparable.filter((n) => ns(n.netns, n.side)) : [],
    },
    interfaces: {
      added: d.interfaces.added.filter((i) => iface(i, 'to')),
      removed: d.interfaces.removed.filter((i) => iface(i, 'from')),
      changed: d.interfaces.changed.filter((i) => iface(i, 'to')),
    },
    pairs: {
      added: d.pairs.added.filter((p) => iface(p.a, 'to') || iface(p.b, 'to')),
      removed: d.pairs.removed.filter((p) => iface(p.a, 'from') || iface(p.b, 'from')),
    },
    gaps: { ...d.gaps, uncaptured: d.gaps.uncaptured.filter((g) => ns(g.netns, g.side)) },
    // A route names no interface the filter could match: kept for the namespaces kept whole.
    routing: {
      changed: wholeNamespaces ? d.routing.changed.filter((c) => ns(c.netns, 'to')) : [],
      uncaptured: wholeNamespaces ? d.routing.uncaptured.filter((u) => ns(u.netns, u.side)) : [],
    },
  };
}

/** `whois`: the matches whose namespace matches; with --interface, the matched or listed interfaces that match. */
export function filterWhois(r: WhoisResult, f: AnswerFilter | null): WhoisResult {
  if (f === null) return r;
  const matches = r.matches
    .filter((m) => ownerMatches(m, f) && (m.ifname === null || nameMatches(m.ifname, f)))
    .map((m) => (m.interfaces === undefined ? m : { ...m, interfaces: m.interfaces.filter((i) => nameMatches(i.ifname, f)) }))
    .filter((m) => m.ifname !== null || f.interface === null || (m.interfaces?.length ?? 0) > 0);
  return { ...r, matches };
}

/**
 * `history`: each step's changes as `diff` filters them, counted again; the
 * step's diff is kept only when it was asked for (-v). Needs the step's diff
 * and owners: the walk computes them whenever a filter is given.
 */
export function filterHistoryStep(step: HistoryStep, owners: DiffOwners | null, f: AnswerFilter | null, verbose: boolean): HistoryStep {
  if (f === null || !step.diff || !owners) return step;
  const { diff: _whole, ...rest } = step;
  const diff = filterDiff(step.diff, owners, f);
  return { ...rest, counts: countChanges(diff), ...(verbose ? { diff } : {}) };
}
