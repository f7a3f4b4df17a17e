import type { NsidEntry, ParseResult } from '../model.js';
import { BATCH_COMMANDS, parseIpBatchJson, type DumpOptions, type NamespaceDump } from '../parse/ip-batch-json.js';
import { parseIpLinkText } from '../parse/ip-link-text.js';
import { parseLsnsJson, type LsnsNamespace } from '../parse/lsns-json.js';
import { parseLsnsTable } from '../parse/lsns-table.js';
import { parseNetnsList, parseNetnsListId, type NamedNetns } from '../parse/netns-list.js';
import { parseNetnsListIdJson } from '../parse/netns-list-id-json.js';
import { parseVersionLine } from '../parse/version-line.js';
import type { SpecName } from '../schema/bundle.js';

/**
 * Every capture source in one table (insights-core's `Specs` with its
 * `default` and `sos_archive` bindings): its permanent spec name, how the
 * collector takes it from a live host, which files `nsnap-collect import`
 * takes it from, and the one parser that reads both. A new source is one
 * entry here (the Record makes a spec name without one a type error), one
 * parser in parse/, one fixture test.
 */
export interface SpecDefinition {
  what: string;
  /** How a live run takes it: the command, what it is fed, and where it runs. Empty: never taken live. */
  live: readonly LiveBinding[];
  /** The commands whose saved output an import reads as this spec; `sos` names the file in a sosreport. */
  imports: readonly ImportBinding[];
  parser: SpecParser;
}

export interface LiveBinding {
  /** `host`: in the collector's own namespace; `namespace`: in each other one; `own-map`: in a namespace whose nsid map pairing needs; `doctor`: only by `nsnap-collect doctor`. */
  where: 'host' | 'namespace' | 'own-map' | 'doctor';
  argv: readonly string[];
  stdin?: string;
}

export interface ImportBinding {
  argv: readonly string[];
  /** Path in an unpacked sosreport; `NAME` stands for a named namespace's name. */
  sos?: readonly string[];
}

/** What a parser yields: the readers dispatch on it, never on a spec's name. */
export type SpecParser =
  | { yields: 'namespace-dump'; parse: (stdout: string, options?: DumpOptions) => ParseResult<NamespaceDump> }
  | { yields: 'nsid-map-by-inode'; parse: (stdout: string) => ParseResult<{ namespaces: LsnsNamespace[]; nsids: NsidEntry[] }> }
  | { yields: 'nsid-map-by-name'; parse: (stdout: string) => ParseResult<NsidEntry[]> }
  | { yields: 'named-netns'; parse: (stdout: string) => ParseResult<NamedNetns[]> }
  | { yields: 'version'; parse: (stdout: string) => ParseResult<string> };

const batch = (commands: readonly string[]) => {
  for (const c of commands) if (!(c in BATCH_COMMANDS)) throw new Error(`batch command ${c} has no parser`);
  return `${commands.join('\n')}\n`;
};

/**
 * Each namespace's batch: links and addresses (`addr show` costs no extra
 * exec and almost no kernel time), routes of every table and family, IPv4
 * policy rules, neighbours of both families (+0.1 ms and ~1 KB per pod
 * namespace, measured). `netns list-id` only in the host: it opens every
 * /run/netns entry to name nsids, so in every namespace it would cost
 * O(named²) — ~1.4 ms per namespace at 100 named ones, measured. Other
 * namespaces' maps are read only where pairing needs them (nsid-maps).
 * No `-s`: it is global to the batch, and link counters would make every
 * dump differ from the last (docs/bundle.md).
 */
export const NAMESPACE_BATCH = batch(['link show', 'addr show', 'route show table all', 'rule show', 'neigh show']);
export const HOST_BATCH = batch(['link show', 'addr show', 'route show table all', 'rule show', 'neigh show', 'netns list-id']);
export const IP_BATCH_ARGV = ['ip', '-d', '-j', '-force', '-batch', '-'] as const;
/**
 * IPv6 policy rules: `ip rule` lists inet's unless given -6, which a batch
 * line cannot carry and which would make the main batch's `addr show` and
 * `route show` IPv6-only: so one exec more, in its own capture of the same
 * spec, whose `-6` says the family (`batchFamily`). In the host always; in
 * other namespaces with `--ipv6-rules` (an exec per namespace: docs/performance.md).
 */
export const RULES6_BATCH = batch(['rule show']);
export const IP6_BATCH_ARGV = ['ip', '-6', '-d', '-j', '-force', '-batch', '-'] as const;

/** `inet6` for a capture that ran `ip -6` (its whole batch is IPv6's), else null: the family its rules are of. */
export function batchFamily(argv: readonly string[]): 'inet6' | null {
  const ip = argv.indexOf('ip');
  return ip >= 0 && argv.slice(ip + 1).includes('-6') ? 'inet6' : null;
}
/** Where `ip -j` is unsupported (old iproute2): links only, as text. */
export const IP_LINK_TEXT_ARGV = ['ip', '-d', '-o', 'link', 'show'] as const;
export const LSNS_ARGV = ['lsns', '-t', 'net', '-J', '-o', 'NS,PID,NETNSID,NSFS'] as const;
export const NETNS_LIST_ID_ARGV = ['ip', '-j', 'netns', 'list-id'] as const;

const dump: SpecParser = { yields: 'namespace-dump', parse: parseIpBatchJson };

export const SPECS: Readonly<Record<SpecName, SpecDefinition>> = {
  ip_batch_json: {
    what: 'links, addresses, routes, rules and neighbours of one namespace (and in the host its nsid names), one JSON array per batch command; or, run with -6, its IPv6 policy rules',
    live: [
      { where: 'host', argv: IP_BATCH_ARGV, stdin: HOST_BATCH },
      { where: 'namespace', argv: IP_BATCH_ARGV, stdin: NAMESPACE_BATCH },
      { where: 'host', argv: IP6_BATCH_ARGV, stdin: RULES6_BATCH },
      // Only with --ipv6-rules.
      { where: 'namespace', argv: IP6_BATCH_ARGV, stdin: RULES6_BATCH },
    ],
    imports: [],
    parser: dump,
  },
  ip_link_json: {
    what: 'the links (and addresses, from `ip -j addr`) of one namespace as JSON',
    live: [],
    imports: [{ argv: ['ip', '-d', '-j', 'link', 'show'] }],
    parser: dump,
  },
  ip_link_text: {
    what: 'the links of one namespace as text, one per line with -o, or `ip -d address` blocks',
    live: [{ where: 'namespace', argv: IP_LINK_TEXT_ARGV }],
    imports: [
      { argv: ['ip', '-d', 'link', 'show'] },
      { argv: ['ip', '-d', 'address'], sos: ['sos_commands/networking/ip_-d_address'] },
      { argv: ['ip', '-s', '-d', 'link'], sos: ['sos_commands/networking/ip_-s_-d_link'] },
      {
        argv: ['ip', 'netns', 'exec', 'NAME', 'ip', '-d', 'address', 'show'],
        sos: ['sos_commands/networking/namespaces/NAME/ip_netns_exec_NAME_ip_-d_address_show', 'sos_commands/networking/ip_netns_exec_NAME_ip_-d_address_show'],
      },
      { argv: ['ip', 'netns', 'exec', 'NAME', 'ip', 'address', 'show'], sos: ['sos_commands/networking/ip_netns_exec_NAME_ip_address_show'] },
    ],
    parser: { yields: 'namespace-dump', parse: parseIpLinkText },
  },
  lsns_net_json: {
    what: 'every namespace lsns finds, with its nsid as seen from where lsns runs',
    live: [{ where: 'host', argv: LSNS_ARGV }, { where: 'own-map', argv: LSNS_ARGV }],
    imports: [{ argv: ['lsns', '-J', '-t', 'net'] }],
    parser: { yields: 'nsid-map-by-inode', parse: parseLsnsJson },
  },
  lsns_net_text: {
    what: '`lsns -t net` as a table',
    live: [],
    imports: [{ argv: ['lsns', '-t', 'net'] }],
    parser: { yields: 'nsid-map-by-inode', parse: parseLsnsTable },
  },
  ip_netns_list_id_json: {
    what: "a namespace's nsids, each with the /run/netns name it has",
    live: [{ where: 'own-map', argv: NETNS_LIST_ID_ARGV }],
    imports: [{ argv: NETNS_LIST_ID_ARGV }],
    parser: { yields: 'nsid-map-by-name', parse: parseNetnsListIdJson },
  },
  ip_netns_list_id_text: {
    what: '`ip netns list-id` as text',
    live: [],
    imports: [{ argv: ['ip', 'netns', 'list-id'] }],
    parser: { yields: 'nsid-map-by-name', parse: parseNetnsListId },
  },
  ip_netns_text: {
    what: "the /run/netns names, each with the observer's nsid once assigned",
    live: [],
    imports: [{ argv: ['ip', 'netns'], sos: ['sos_commands/networking/ip_netns'] }],
    parser: { yields: 'named-netns', parse: parseNetnsList },
  },
  ip_version: {
    what: "iproute2's version (`ip -V`)",
    live: [{ where: 'host', argv: ['ip', '-V'] }],
    imports: [],
    parser: { yields: 'version', parse: parseVersionLine },
  },
  tool_version: {
    what: "a tool's version line, or a bare entry check (`nsenter … true`); doctor's captures, never in a bundle's facts",
    live: [
      { where: 'doctor', argv: ['nsenter', '--version'] },
      { where: 'doctor', argv: ['lsns', '--version'] },
      { where: 'doctor', argv: ['find', '--version'] },
      { where: 'doctor', argv: ['unshare', '--version'] },
      // netns-holders: does a file some process holds lead into a network namespace (setns succeeds only then)?
      { where: 'namespace', argv: ['nsenter', '--net=/proc/self/fd/3', 'true'] },
    ],
    imports: [],
    parser: { yields: 'version', parse: parseVersionLine },
  },
};

/** The live binding of `spec` that runs `where` (the first, when several do). */
export function liveBinding(spec: SpecName, where: LiveBinding['where']): LiveBinding {
  const binding = SPECS[spec].live.find((b) => b.where === where);
  if (!binding) throw new Error(`spec ${spec} has no live binding for ${where}`);
  return binding;
}
