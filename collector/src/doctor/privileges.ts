import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Check } from './check.js';

/**
 * The capabilities a collector run needs, with what is lost without each.
 * Measured on Linux 6.x by running the collector with only these in its
 * bounding set (docs/deploy.md has the commands): with both, every namespace
 * is captured; CAP_DAC_READ_SEARCH and CAP_DAC_OVERRIDE add nothing.
 */
export const NEEDED_CAPABILITIES = [
  { bit: 21, name: 'CAP_SYS_ADMIN', without: 'nsenter cannot enter any other namespace (setns is refused)' },
  {
    bit: 19,
    name: 'CAP_SYS_PTRACE',
    without:
      "/proc/PID/ns/net of other processes is unreadable (the kernel's ptrace access check: a caller whose capabilities are not a superset of the target's needs it, even as root), so only named and mounted namespaces are found",
  },
] as const;

/** The `CapEff:` mask of /proc/PID/status, or null when the file has none. */
export function parseEffectiveCapabilities(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-f]{1,32})$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : null;
}

export function privilegeChecks(procRoot: string, uid: number): Check[] {
  const checks: Check[] = [
    uid === 0
      ? { name: 'root', status: 'ok', detail: 'running as uid 0' }
      : { name: 'root', status: 'warn', detail: `running as uid ${uid}: only the host's own links and this user's processes' namespaces can be captured; run as root` },
  ];
  let mask: bigint | null = null;
  try {
    mask = parseEffectiveCapabilities(readFileSync(path.join(procRoot, 'self/status'), 'utf8'));
  } catch (error) {
    checks.push({ name: 'capabilities', status: 'warn', detail: `cannot read ${path.join(procRoot, 'self/status')}: ${(error as Error).message}` });
    return checks;
  }
  if (mask === null) {
    checks.push({ name: 'capabilities', status: 'warn', detail: 'no CapEff line in /proc/self/status' });
    return checks;
  }
  const missing = NEEDED_CAPABILITIES.filter((c) => (mask & (1n << BigInt(c.bit))) === 0n);
  const names = NEEDED_CAPABILITIES.map((c) => c.name).join(' and ');
  checks.push(
    missing.length === 0
      ? { name: 'capabilities', status: 'ok', detail: `effective set has ${names}` }
      : // As root a missing capability is a too tight sandbox (a unit's CapabilityBoundingSet): a setup error.
        { name: 'capabilities', status: uid === 0 ? 'fail' : 'warn', detail: missing.map((c) => `no ${c.name}: ${c.without}`).join('; ') },
  );
  return checks;
}
