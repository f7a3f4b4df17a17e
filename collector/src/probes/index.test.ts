import { describe, expect, it } from 'vitest';
import { PROBES } from './index.js';

describe('the probe list', () => {
  it('names, in every `during`, a probe that runs on its own and comes earlier', () => {
    PROBES.forEach((probe, i) => {
      if (probe.during === undefined) return;
      const host = PROBES.findIndex((p) => p.name === probe.during);
      expect(host, `${probe.name} rides on ${probe.during}`).toBeGreaterThanOrEqual(0);
      expect(PROBES[host]!.during).toBeUndefined();
      expect(host).toBeLessThan(i);
    });
  });
});
