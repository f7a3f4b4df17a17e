import { isUtf8 } from 'node:buffer';

/**
 * Command output that is not valid UTF-8 (the kernel lets an interface name
 * or alias hold any byte, and `ip` prints them as they are) is kept byte-exact
 * as UTF-8b (Markus Kuhn's scheme, Python's `surrogateescape`): each byte that
 * is not part of a valid UTF-8 sequence becomes the lone surrogate
 * U+DC00+byte (U+DC80–U+DCFF). Valid UTF-8 can never decode to a lone
 * surrogate, so the mapping is reversible, and two names that differ only in
 * such bytes stay two strings. JSON.stringify writes them as `\udcNN`.
 */
export function decodeUtf8b(bytes: Buffer): { text: string; exact: boolean } {
  if (isUtf8(bytes)) return { text: bytes.toString('utf8'), exact: true };
  const parts: string[] = [];
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = validSequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (i > runStart) parts.push(bytes.toString('utf8', runStart, i));
    parts.push(String.fromCharCode(0xdc00 + (bytes[i] as number)));
    i++;
    runStart = i;
  }
  if (runStart < bytes.length) parts.push(bytes.toString('utf8', runStart));
  return { text: parts.join(''), exact: false };
}

/** Length of the well-formed UTF-8 sequence at `i` (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF), or 0. */
function validSequenceLength(b: Buffer, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** The bytes a UTF-8b string stands for: the inverse of `decodeUtf8b`. */
export function encodeUtf8b(text: string): Buffer {
  if (!/[\udc80-\udcff]/.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xdc80 || code > 0xdcff || isPairedLow(text, i)) continue;
    if (i > runStart) parts.push(Buffer.from(text.slice(runStart, i), 'utf8'));
    parts.push(Buffer.of(code - 0xdc00));
    runStart = i + 1;
  }
  if (runStart < text.length) parts.push(Buffer.from(text.slice(runStart), 'utf8'));
  return Buffer.concat(parts);
}

const isPairedLow = (text: string, i: number): boolean => {
  const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
  return prev >= 0xd800 && prev <= 0xdbff;
};

// A lone surrogate U+DC80–U+DCFF (one not preceded by a high surrogate): a byte that was not UTF-8.
const LONE_BYTE = /(?<![\ud800-\udbff])[\udc80-\udcff]/;

/** Whether a UTF-8b string holds bytes that are not UTF-8. */
export function hasInvalidBytes(text: string): boolean {
  return LONE_BYTE.test(text);
}

/**
 * How a name is kept in a SQLite TEXT column (SQLite stores UTF-8, and
 * better-sqlite3 reads back any invalid sequence as U+FFFD): a name with no
 * byte that is not UTF-8 and no backslash is stored as it is; otherwise a
 * backslash is written `\\` and such a byte `\xNN`. Reversible
 * (`fromDbText`), so two names stay two rows' worth of names.
 */
export function toDbText(name: string): string {
  if (!name.includes('\\') && !hasInvalidBytes(name)) return name;
  return name.replace(/\\|(?<![\ud800-\udbff])[\udc80-\udcff]/g, (c) => (c === '\\' ? '\\\\' : `\\x${(c.charCodeAt(0) - 0xdc00).toString(16)}`));
}

/** The UTF-8b name a `toDbText` column value stands for. */
export function fromDbText(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(\\|x[89a-f][0-9a-f])/g, (_, e: string) => (e === '\\' ? '\\' : String.fromCharCode(0xdc00 + Number.parseInt(e.slice(1), 16))));
}
