import type { Link, NsidEntry, ParseIssue, ParseResult } from '../model.js';
import type { NamespaceDump } from './ip-batch-json.js';
import { truncate } from './json-values.js';
import { forEachLine, nsidEntryFromText, pushIssue } from './netns-list.js';
import { rejectToolFailure } from './tool-failure.js';

/**
 * `ip link show` / `ip addr show` text (any iproute2 since 2015; `-d`, `-s`,
 * `-o` too), e.g. `ip -d link show` from iproute2 6.1:
 *
 *   634: zq1v0@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue master zq1br state DOWN mode DEFAULT group default qlen 1000
 *       link/ether fe:da:2f:14:74:6e brd ff:ff:ff:ff:ff:ff link-netns zq1a promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535
 *       veth
 *       bridge_slave state disabled priority 32 cost 2 hairpin off guard off root_block off ...
 *       alias hello world
 *       altname zq1alt
 *
 * `-o` prints the same lines joined by `\`; a copy-paste that lost its line
 * breaks is split again at each `N: name: <FLAGS>`. The model is the JSON
 * parser's, field for field, except what text cannot say:
 * - `link-netns NAME` (peer namespace mounted in /run/netns) gives
 *   `linkNetnsName`, where JSON gives the number in `linkNetnsid`;
 * - `@ifN` always gives `linkIndex`; JSON gives `link: "ifN"` instead when the
 *   kernel reports no nsid (kernels before 4.0), which text cannot tell apart;
 * - `kind`/`slaveKind`/`underlay` only with `-d`, as in JSON; a one-line
 *   copy-paste of `-d` output keeps them only when the kind is a known one;
 * - `addresses` only from `ip addr` text; `alias` loses a `\` under `-o`.
 */
export function parseIpLinkText(stdout: string): ParseResult<NamespaceDump> {
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  if (stdout.trim() === '') return { status: 'empty', issues: [] };
  const issues: ParseIssue[] = [];
  const blocks: Block[] = [];
  let nsids: NsidEntry[] | null = null;
  let current: Block | null = null;
  let statsLines = 0;

  const take = (line: string, lineNumber: number) => {
    if (statsLines > 0 && STATS_VALUES.test(line)) {
      statsLines--;
      if (current) current.lines.push(line);
      return;
    }
    statsLines = 0;
    const header = HEADER.exec(line);
    if (header) {
      current = { header, lineNumber, lines: [line], rest: [] };
      blocks.push(current);
      return;
    }
    if (/^netns: /.test(line)) {
      pushIssue(issues, { line: lineNumber, message: `several namespaces in one capture (ip -all netns exec): ${truncate(line)}` });
      current = null;
      return;
    }
    const nsid = nsidEntryFromText(line);
    if (nsid && !/^\s/.test(line)) {
      (nsids ??= []).push(nsid);
      current = null;
      return;
    }
    if (!current) {
      pushIssue(issues, { line: lineNumber, message: `text outside any interface: ${truncate(line.trim())}` });
      return;
    }
    current.lines.push(line);
    if (/^\s*[RT]X(?: errors)?:/.test(line)) statsLines = 1;
    else current.rest.push({ text: line.trim(), lineNumber });
  };

  forEachLine(stdout, (physical, lineNumber) => {
    for (const part of splitPhysicalLine(physical, lineNumber, issues)) take(part, lineNumber);
  });

  if (blocks.length === 0) {
    return nsids
      ? { status: 'unusable', reason: 'only an nsid list, no interface', issues }
      : { status: 'unusable', reason: 'no "N: name: <FLAGS>" interface line', issues };
  }
  const byIndex = new Map<number, Link>();
  for (const block of blocks) {
    const link = linkFromBlock(block, issues);
    const seen = byIndex.get(link.ifindex);
    if (!seen) byIndex.set(link.ifindex, link);
    else if (seen.ifname !== link.ifname) {
      pushIssue(issues, { line: block.lineNumber, message: `ifindex ${link.ifindex} listed twice, as ${seen.ifname} and ${link.ifname}: kept the first` });
    } else if (seen.addresses.length === 0) {
      // `ip link` then `ip addr` in one capture: the second listing brings the addresses.
      seen.addresses = link.addresses;
    }
  }
  const links = [...byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  return { status: 'parsed', value: { links, nsids, routing: { routes: null, rules: null, neighbours: null } }, issues };
}

interface Block {
  header: RegExpExecArray;
  lineNumber: number;
  lines: string[];
  rest: { text: string; lineNumber: number }[];
}

// Interface names hold no whitespace, ':' or '/' (dev_valid_name); quantifiers
// are bounded so a huge line costs linear time.
const NAME = '[^\\s:/<>@]{1,64}';
const HEADER_SOURCE = `(\\d{1,10}): (${NAME})(?:@(${NAME}))?: <([A-Z0-9_,-]{0,512})>`;
const HEADER = new RegExp(`^${HEADER_SOURCE}(.*)$`);
const HEADER_ANYWHERE = new RegExp(HEADER_SOURCE, 'g');
const STATS_VALUES = /^\s*\d{1,24}(\s+\d{1,24}){0,16}\s*$/;

/**
 * One physical line into logical lines: `-o` joins an interface's lines with
 * `\`, and a pasted capture may have lost its line breaks altogether.
 */
function splitPhysicalLine(physical: string, lineNumber: number, issues: ParseIssue[]): string[] {
  const parts = physical.split(/\\(?=\s|$)/);
  const out: string[] = [];
  for (const part of parts) {
    const starts: number[] = [];
    HEADER_ANYWHERE.lastIndex = 0;
    for (let m = HEADER_ANYWHERE.exec(part); m; m = HEADER_ANYWHERE.exec(part)) starts.push(m.index);
    if (starts.length === 0) {
      out.push(part);
      continue;
    }
    const prefix = part.slice(0, starts[0]).trim();
    if (prefix) pushIssue(issues, { line: lineNumber, message: `text before an interface on a collapsed line: ${truncate(prefix)}` });
    for (let i = 0; i < starts.length; i++) for (const l of collapsedLines(part.slice(starts[i], starts[i + 1] ?? part.length))) out.push(l);
  }
  return out;
}

/** Words that start a line of their own in `ip link`/`ip addr` output. */
const LINE_STARTERS = /\s(?=(?:link\/\S|altname |alias |inet6? |valid_lft |prog\/|[RT]X: ))/g;

/** Re-breaks one interface's worth of text that lost its line breaks. */
function collapsedLines(segment: string): string[] {
  return segment.split(LINE_STARTERS).map((l, i) => (i === 0 ? l : `    ${l}`));
}

/** Kinds `ip -d` prints, to spot a kind inside a collapsed link line. */
const KNOWN_KINDS = new Set([
  'veth', 'bridge', 'bond', 'team', 'vlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'vxlan', 'geneve', 'gre',
  'gretap', 'ip6gre', 'ip6gretap', 'ipip', 'sit', 'ip6tnl', 'vti', 'vti6', 'xfrm', 'tun', 'ifb', 'dummy', 'vrf',
  'openvswitch', 'wireguard', 'netkit', 'nlmon', 'bareudp', 'erspan', 'ip6erspan', 'hsr', 'macsec', 'can', 'vcan',
  'vxcan', 'batadv', 'ipoib', 'amt', 'gtp',
]);
const isKindWord = (w: string) => KNOWN_KINDS.has(w) || /^[a-z][a-z0-9]{0,30}_slave$/.test(w);

/** Header words after `<FLAGS>`: those with a value, and lone ones. */
const HEADER_KEYS = new Set(['mtu', 'qdisc', 'master', 'state', 'mode', 'group', 'qlen', 'protodown_reason', 'protodown']);
const HEADER_WORDS = new Set(['xdp', 'xdpgeneric', 'xdpdrv', 'xdpoffload', 'xdpmulti']);
/** Keys of the `link/TYPE` line and of the per-device trailer `-d` prints last. */
const LINK_KEYS = new Set([
  'brd', 'peer', 'link-netnsid', 'link-netns', 'promiscuity', 'allmulti', 'minmtu', 'maxmtu', 'permaddr',
  'addrgenmode', 'numtxqueues', 'numrxqueues', 'gso_max_size', 'gso_max_segs', 'tso_max_size', 'tso_max_segs',
  'gro_max_size', 'gso_ipv4_max_size', 'gro_ipv4_max_size', 'parentbus', 'parentdev', 'portid', 'portname',
  'switchid', 'netnsid', 'new-netnsid', 'new-ifindex',
]);

function linkFromBlock(block: Block, issues: ParseIssue[]): Link {
  const [, index, ifname, at, flagText, tail] = block.header;
  const link: Link = {
    ifindex: Number(index),
    ifname: ifname!,
    kind: null,
    slaveKind: null,
    master: null,
    linkIndex: null,
    linkNetnsid: null,
    linkName: null,
    linkNetnsName: null,
    mtu: null,
    operstate: null,
    flags: flagText ? flagText.split(',').filter(Boolean) : [],
    address: null,
    linkType: null,
    alias: null,
    altnames: [],
    underlay: null,
    addresses: [],
    raw: block.lines.join('\n'),
  };
  if (at !== undefined && at !== 'NONE') {
    const peer = /^if(\d{1,10})$/.exec(at);
    if (peer) link.linkIndex = Number(peer[1]);
    else link.linkName = at;
  }
  const unknown: string[] = [];
  const words = tail!.split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (HEADER_WORDS.has(w)) continue;
    if (!HEADER_KEYS.has(w) || i + 1 >= words.length) {
      unknown.push(w);
      continue;
    }
    const value = words[++i]!;
    if (w === 'mtu') link.mtu = toInt(value);
    else if (w === 'master') link.master = value;
    else if (w === 'state') link.operstate = value;
  }
  report(issues, block.lineNumber, link.ifname, unknown);
  for (const { text, lineNumber } of block.rest) readLine(text, lineNumber, link, issues);
  return link;
}

function readLine(text: string, lineNumber: number, link: Link, issues: ParseIssue[]): void {
  const words = text.split(/\s+/);
  const first = words[0]!;
  if (first.startsWith('link/')) return readLinkLine(words, lineNumber, link, issues);
  if (first === 'inet' || first === 'inet6') return readAddress(words, lineNumber, link, issues);
  if (first === 'alias') {
    link.alias = text.slice(text.indexOf('alias') + 6);
    return;
  }
  if (first === 'altname' && words[1]) {
    link.altnames.push(words[1]);
    return;
  }
  // Address lifetimes, SR-IOV VF lines, attached XDP programs: nothing the model holds.
  if (first === 'valid_lft' || first === 'vf' || first.startsWith('prog/')) return;
  if (LINK_KEYS.has(first)) return readTrailer(words, lineNumber, link, issues);
  if (isKindWord(first) || (/^[a-z][a-z0-9_]{0,30}$/.test(first) && link.kind === null)) {
    return readDetails(words, lineNumber, link, issues);
  }
  pushIssue(issues, { line: lineNumber, message: `${link.ifname}: unknown line: ${truncate(text)}` });
}

function readLinkLine(words: string[], lineNumber: number, link: Link, issues: ParseIssue[]): void {
  link.linkType = words[0]!.slice(5);
  let start = 1;
  if (words[1] !== undefined && !LINK_KEYS.has(words[1]) && !isKindWord(words[1])) {
    link.address = words[1];
    start = 2;
  }
  readTrailer(words.slice(start), lineNumber, link, issues);
}

/** Key-value words of the link line, and the device trailer (`addrgenmode eui64 numtxqueues 1 ...`). */
function readTrailer(words: string[], lineNumber: number, link: Link, issues: ParseIssue[]): void {
  let i = 0;
  const unknown: string[] = [];
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (isKindWord(w)) {
      // A one-line copy of `-d` output: the kind line follows the link line directly.
      readDetails(words.slice(i), lineNumber, link, issues);
      break;
    }
    if (!LINK_KEYS.has(w) || i + 1 >= words.length) {
      unknown.push(w);
      continue;
    }
    const value = words[++i]!;
    if (w === 'link-netnsid') link.linkNetnsid = toInt(value);
    else if (w === 'link-netns') link.linkNetnsName = value;
  }
  report(issues, lineNumber, link.ifname, unknown);
}

/** A `-d` line: `veth`, `vlan protocol 802.1Q id 10 <REORDER_HDR>`, `bridge_slave state forwarding ...`. */
function readDetails(words: string[], lineNumber: number, link: Link, issues: ParseIssue[]): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const slave = /^([a-z][a-z0-9]{0,30})_slave$/.exec(w);
    if (slave) {
      link.slaveKind = slave[1]!;
    } else if (i === 0) {
      if (link.kind !== null && link.kind !== w) {
        pushIssue(issues, { line: lineNumber, message: `${link.ifname}: second kind line "${w}" after "${link.kind}"` });
        return;
      }
      link.kind = w;
    } else if (w === 'dev' && link.underlay === null && words[i + 1] !== undefined && link.slaveKind === null) {
      // A tunnel's underlay (vxlan, geneve, gre, ipip...): JSON's linkinfo.info_data.link.
      link.underlay = words[++i]!;
    }
  }
}

function readAddress(words: string[], lineNumber: number, link: Link, issues: ParseIssue[]): void {
  const family = words[0]!;
  const local = words[1] ?? '';
  const peerAt = words.indexOf('peer');
  const withLength = /\/\d{1,3}$/.test(local) ? local : peerAt > 0 ? (words[peerAt + 1] ?? '') : '';
  const m = /\/(\d{1,3})$/.exec(withLength);
  if (!local || !m) {
    pushIssue(issues, { line: lineNumber, message: `${link.ifname}: address without prefix length: ${truncate(words.join(' '))}` });
    return;
  }
  link.addresses.push({ family, local: local.replace(/\/\d{1,3}$/, ''), prefixlen: Number(m[1]) });
}

function report(issues: ParseIssue[], lineNumber: number, ifname: string, unknown: string[]): void {
  if (unknown.length === 0) return;
  const shown = unknown.slice(0, 8).map((w) => truncate(w, 40)).join(' ');
  pushIssue(issues, { line: lineNumber, message: `${ifname}: unknown words: ${shown}${unknown.length > 8 ? ` (+${unknown.length - 8})` : ''}` });
}

function toInt(text: string): number | null {
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}
