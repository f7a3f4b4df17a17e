import { createHash } from 'node:crypto';

/**
 * The one rule for host labels, shared by the bundle schema, the storage key
 * and the collector: letters, digits and `._-`, starting with a letter or
 * digit, at most 63 characters, and never `..` (a key segment `host=a..b` is
 * harmless, but a label that reads like a path step is refused everywhere
 * rather than in some places only).
 */
const HOST_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HASH_CHARS = 8;

export function isHostLabel(label: string): boolean {
  return HOST_LABEL.test(label) && !label.includes('..');
}

/**
 * Turns any hostname into a label. A valid label stays as it is; any other
 * name keeps its allowed characters (runs of others become `-`, `..` becomes
 * `.`) and gets `-` and 8 hex digits of the SHA-256 of the whole name, so
 * names that differ only in what was dropped — every non-ASCII hostname, say —
 * stay distinct (`сервер-1` → `1-<hash>`). Punycode was not chosen: its IDNA
 * mapping folds case and refuses many names the kernel accepts, so it cannot
 * be the rule for every byte string.
 */
export function sanitizeHostLabel(name: string): string {
  if (isHostLabel(name)) return name;
  const kept = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63 - HASH_CHARS - 1);
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return `${kept === '' ? 'host' : kept}-${hash}`;
}
