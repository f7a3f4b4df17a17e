import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sanitizeHostLabel, type Bundle, type Gap } from '@nsnap/shared/core';
import type { Probe } from './probe.js';

const readTrimmed = async (file: string): Promise<string | null> => {
  try {
    const text = (await fs.readFile(file, 'utf8')).trim();
    return text === '' ? null : text.slice(0, 256);
  } catch {
    return null;
  }
};

/** Hostname, machine id, boot id (namespace inodes mean something only within one boot), kernel, iproute2. */
export const hostIdentity: Probe = {
  name: 'host-identity',
  during: 'namespace-links',
  async run(ctx) {
    const gaps: Gap[] = [];
    const hostname = os.hostname();
    const ipVersion = await ctx.run(['ip', '-V'], { spec: 'ip_version', timeoutMs: ctx.timeoutMs });
    const m = /iproute2-([^\s,]+)/.exec(ipVersion.stdout);
    if (!m) {
      gaps.push({ probe: this.name, subject: 'ip -V', reason: ipVersion.failure?.reason ?? 'failed', detail: ipVersion.failure?.detail ?? `unrecognized output: ${ipVersion.stdout.slice(0, 100)}` });
    }
    const uid = process.getuid?.() ?? 0;
    const host: Bundle['host'] = {
      label: sanitizeHostLabel(ctx.hostLabel ?? hostname),
      hostname: hostname.slice(0, 256),
      machineId: await readTrimmed('/etc/machine-id'),
      bootId: await readTrimmed(path.join(ctx.procRoot, 'sys/kernel/random/boot_id')),
      kernelRelease: os.release(),
      iproute2Version: m?.[1] ?? null,
      root: uid === 0,
      uid,
    };
    return { host, gaps };
  },
};
