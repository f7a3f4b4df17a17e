import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NEEDED_CAPABILITIES, parseEffectiveCapabilities, privilegeChecks } from './privileges.js';

// /proc/self/status of a root shell under `setpriv --bounding-set=-all,+sys_admin,+sys_ptrace` on Linux 6.1.
const STATUS = `Name:\tcat
Umask:\t0022
State:\tR (running)
Uid:\t0\t0\t0\t0
CapInh:\t0000000000000000
CapPrm:\t0000000000280000
CapEff:\t0000000000280000
CapBnd:\t0000000000280000
CapAmb:\t0000000000000000
NoNewPrivs:\t0
`;

describe('privilege checks', () => {
  it('reads the effective set from /proc/PID/status', () => {
    expect(parseEffectiveCapabilities(STATUS)).toBe(0x280000n);
    expect(parseEffectiveCapabilities('Name:\tcat\n')).toBeNull();
    for (const cap of NEEDED_CAPABILITIES) expect(0x280000n & (1n << BigInt(cap.bit))).not.toBe(0n);
  });

  it('reports this process as it is: uid and effective capabilities', () => {
    const uid = process.getuid!();
    const [root, caps] = privilegeChecks('/proc', uid);
    expect(root!.status).toBe(uid === 0 ? 'ok' : 'warn');
    const eff = parseEffectiveCapabilities(readFileSync('/proc/self/status', 'utf8'))!;
    const hasAll = NEEDED_CAPABILITIES.every((c) => (eff & (1n << BigInt(c.bit))) !== 0n);
    expect(caps!.status).toBe(hasAll ? 'ok' : uid === 0 ? 'fail' : 'warn');
  });

  it('a proc tree without a status file is a warning, not a crash', () => {
    const checks = privilegeChecks('/nonexistent-proc', 0);
    expect(checks[1]).toMatchObject({ name: 'capabilities', status: 'warn' });
    expect(checks[1]!.detail).toContain('/nonexistent-proc/self/status');
  });
});
