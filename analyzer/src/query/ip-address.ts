/**
 * IP addresses as `whois` and `check` compare them: one canonical key per
 * address, so `fe80::1`, `fe80:0:0::1` and `FE80::0001` are one address.
 * Pure; nothing here throws on stored (untrusted) text: `parseIp` says null.
 */
export interface IpAddress {
  family: 'inet' | 'inet6';
  /** The address bytes as lower-case hex (8 digits for IPv4, 32 for IPv6): what two forms of one address share. */
  key: string;
  /** The form to print: dotted quad, or RFC 5952 (lower case, longest zero run as `::`). */
  text: string;
}

const V4_PART = /^(0|[1-9]\d{0,2})$/;

function v4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  // Leading zeros are refused: inet_aton reads 010 as octal 8, so "010.0.0.1" means two things.
  for (const p of parts) {
    if (!V4_PART.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

function v6Groups(text: string): number[] | null {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.')) {
    // An embedded IPv4 is the last 32 bits only.
    const v4 = v4Bytes(body.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const side = (s: string): number[] | null => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      groups.push(Number.parseInt(g, 16));
    }
    return groups;
  };
  const head = side(halves[0]!);
  const rest = halves.length === 2 ? side(halves[1]!) : [];
  if (!head || !rest) return null;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1) return given === 8 ? [...head, ...tail] : null;
  // `::` stands for at least one zero group.
  if (given > 7) return null;
  return [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
}

/** RFC 5952: the longest run of two or more zero groups (the first of equals) becomes `::`. */
function v6Text(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** An address (no prefix length) in any of its textual forms, or null when it is none. */
export function parseIp(text: string): IpAddress | null {
  if (text.includes(':')) {
    const groups = v6Groups(text);
    if (!groups) return null;
    return { family: 'inet6', key: groups.map((g) => g.toString(16).padStart(4, '0')).join(''), text: v6Text(groups) };
  }
  const bytes = v4Bytes(text);
  if (!bytes) return null;
  return { family: 'inet', key: bytes.map((b) => b.toString(16).padStart(2, '0')).join(''), text: bytes.join('.') };
}

/** What `whois ADDRESS[/LEN]` asks: the address, and the prefix length when one was given. */
export interface AddressQuery {
  address: IpAddress;
  prefixlen: number | null;
}

/**
 * Whether a word is meant as an address: a dotted quad of numbers, or hex
 * groups with colons. Such a word that does not parse is an error for the
 * caller to name, not an interface name (which cannot hold `:` or `/`).
 */
export const LOOKS_LIKE_ADDRESS = /^(\d{1,4}(\.\d{1,4}){3}|[0-9a-fA-F.]*:[0-9a-fA-F:.]*)(\/\d{0,4})?$/;

/** `ADDRESS` or `ADDRESS/LEN`, or why it is not one. */
export function parseAddressQuery(text: string): AddressQuery | { error: string } {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const address = parseIp(addr);
  if (!address) return { error: addr.includes(':') ? 'not an IPv6 address' : 'not an IPv4 address (four numbers 0-255 without leading zeros)' };
  if (slash < 0) return { address, prefixlen: null };
  const len = text.slice(slash + 1);
  const max = address.family === 'inet' ? 32 : 128;
  if (!/^(0|[1-9]\d{0,2})$/.test(len) || Number(len) > max) return { error: `the prefix length must be a number 0-${max}` };
  return { address, prefixlen: Number(len) };
}

/** Loopback and link-local: addresses every namespace has or makes by itself, never someone's assigned IP. */
export function isLocalScope(a: IpAddress): boolean {
  if (a.family === 'inet') return a.key.startsWith('7f') || a.key.startsWith('a9fe');
  return a.key === '00000000000000000000000000000001' || /^fe[89ab]/.test(a.key);
}
