import { LIMITS, type Link } from '@nsnap/shared';

/** The string fields of a parsed interface that are names or short words. */
const FIELDS = ['ifname', 'kind', 'slaveKind', 'master', 'linkName', 'linkNetnsName', 'operstate', 'address', 'linkType', 'alias'] as const;

const cut = (s: string, max: number) => `${s.slice(0, max - 1)}…`;

/**
 * Bounds the names a parser read out of a raw dump: a capture may hold 32 Mi characters, and a name
 * taken from it is then as long as the capture allows (a 5 MB ifname, where the kernel allows 15
 * bytes). A name over the limit for names (LIMITS.shortChars, as the schema has for every name in a
 * bundle) is cut to it, ending in "…"; what was cut is said, for a gap. Pure.
 */
export function boundLink(link: Link, max: number = LIMITS.shortChars): { link: Link; cut: string[] } {
  const over: string[] = [];
  let bounded = link;
  for (const field of FIELDS) {
    const value = link[field];
    if (typeof value === 'string' && value.length > max) {
      over.push(`${field} of ${value.length} characters`);
      bounded = { ...bounded, [field]: cut(value, max) };
    }
  }
  const lists = { flags: link.flags, altnames: link.altnames } as const;
  for (const [field, values] of Object.entries(lists)) {
    const long = values.filter((v) => v.length > max).length;
    if (long > 0) {
      over.push(`${long} ${field} over ${max} characters`);
      bounded = { ...bounded, [field]: values.map((v) => (v.length > max ? cut(v, max) : v)) };
    }
  }
  const longAddresses = link.addresses.filter((a) => a.local.length > max || a.family.length > max).length;
  if (longAddresses > 0) {
    over.push(`${longAddresses} addresses over ${max} characters`);
    bounded = { ...bounded, addresses: link.addresses.map((a) => ({ ...a, local: a.local.length > max ? cut(a.local, max) : a.local, family: a.family.length > max ? cut(a.family, max) : a.family })) };
  }
  return { link: bounded, cut: over };
}
