import type { Link, ParseIssue } from '../model.js';
import { pushIssue, truncate } from './issues.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/**
 * One interface object of `ip -d -j link show` / `addr show` (iproute2 ≥ 4.x):
 *
 *   {"ifindex":3,"link_index":5,"ifname":"hv1","flags":["BROADCAST","MULTICAST"],"mtu":1500,
 *    "operstate":"DOWN","link_type":"ether","address":"d2:d2:fc:49:68:a5","link_netnsid":1,
 *    "linkinfo":{"info_kind":"veth"}, ...}
 *
 * A cross-namespace peer has `link_index` + `link_netnsid`; a same-namespace
 * one has `link` (the peer's name). Returns null, with an issue, for an object
 * that is not an interface. Without `keepRaw` the `raw` text is left empty
 * (re-serializing is a third of the cost, and the pairing code never reads it).
 */
export function linkFromJson(obj: unknown, issues: ParseIssue[], keepRaw = true): Link | null {
  if (!isRecord(obj)) {
    pushIssue(issues, { line: null, message: 'interface entry is not an object' });
    return null;
  }
  const ifindex = int(obj.ifindex);
  const ifname = str(obj.ifname);
  if (ifindex === null || ifindex < 0 || ifname === null) {
    pushIssue(issues, { line: null, message: `interface entry without ifindex/ifname: ${truncate(JSON.stringify(obj).slice(0, 200))}` });
    return null;
  }
  const linkinfo = isRecord(obj.linkinfo) ? obj.linkinfo : null;
  const infoData = linkinfo && isRecord(linkinfo.info_data) ? linkinfo.info_data : null;
  const underlay = infoData ? (int(infoData.link) ?? str(infoData.link)) : null;
  const addresses: Link['addresses'] = [];
  if (Array.isArray(obj.addr_info)) {
    for (const a of obj.addr_info) {
      if (!isRecord(a)) continue;
      const family = str(a.family);
      const local = str(a.local);
      const prefixlen = int(a.prefixlen);
      if (family && local && prefixlen !== null) addresses.push({ family, local, prefixlen });
    }
  }
  return {
    ifindex,
    ifname,
    kind: linkinfo ? str(linkinfo.info_kind) : null,
    slaveKind: linkinfo ? str(linkinfo.info_slave_kind) : null,
    master: str(obj.master),
    linkIndex: int(obj.link_index),
    linkNetnsid: int(obj.link_netnsid),
    linkName: str(obj.link),
    linkNetnsName: null,
    mtu: int(obj.mtu),
    operstate: str(obj.operstate),
    flags: Array.isArray(obj.flags) ? obj.flags.filter((f): f is string => typeof f === 'string') : [],
    address: str(obj.address),
    linkType: str(obj.link_type),
    alias: str(obj.ifalias),
    altnames: Array.isArray(obj.altnames) ? obj.altnames.filter((f): f is string => typeof f === 'string') : [],
    underlay,
    addresses,
    raw: keepRaw ? JSON.stringify(obj) : '',
  };
}
