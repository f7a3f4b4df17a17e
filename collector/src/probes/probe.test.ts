import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addPart, dumpModeOf, nothingFound } from './probe.js';
import { procDetails, procScan } from './proc-scan.js';
import type { ProbeContext } from './probe.js';

const procRoot = path.join(import.meta.dirname, '../../../fixtures/proc-tree');
const ctx = { procRoot } as ProbeContext;

describe('probes return their part', () => {
  it('owned facts replace, lists grow, and what a probe read is left as it was', async () => {
    const found = nothingFound();
    const scanned = await procScan.run(ctx, found);
    expect(found.processes).toEqual([]);
    addPart(found, scanned);
    const before = found.processes;
    const snapshot = structuredClone(before);
    const detailed = await procDetails.run(ctx, found);
    // proc-details returns detailed copies; the scan's list is untouched.
    expect(before).toEqual(snapshot);
    expect(detailed.processes!.some((p) => p.comm !== null)).toBe(true);
    addPart(found, detailed);
    expect(found.processes).toBe(detailed.processes);
    addPart(found, { gaps: [{ probe: 'a', subject: 's', reason: 'failed', detail: 'd' }] });
    addPart(found, { gaps: [{ probe: 'b', subject: 's', reason: 'failed', detail: 'd' }] });
    expect(found.gaps.slice(-2).map((g) => g.probe)).toEqual(['a', 'b']);
  });

  it('tells the run\'s dump mode from the host capture: text only where the host had to be', () => {
    const ns = (spec: 'ip_batch_json' | 'ip_link_text') => ({ inode: 1, isHost: true, entered: null, attempts: [], failure: null, captures: [{ spec, argv: ['ip'], stdin: null, exitCode: 0, stdout: '', stderr: '', durationMs: 0, timedOut: false, failure: null }] });
    expect(dumpModeOf({ namespaces: [] })).toBe('json');
    expect(dumpModeOf({ namespaces: [ns('ip_batch_json')] })).toBe('json');
    expect(dumpModeOf({ namespaces: [ns('ip_link_text')] })).toBe('text');
  });
});
