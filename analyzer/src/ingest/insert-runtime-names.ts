import { toDbText, type RuntimeNames } from '@nsnap/shared';
import type { Fact } from '../db/intervals.js';

const text = (v: string | null) => (v === null ? null : toDbText(v));

/** A bundle's `runtimeNames` as facts of `runtime_pod_spans` and `runtime_container_spans`. Pure. */
export function runtimeNameFacts(names: RuntimeNames | undefined): { runtimePods: Fact[]; runtimeContainers: Fact[] } {
  if (!names) return { runtimePods: [], runtimeContainers: [] };
  return {
    runtimePods: names.pods.map((p): Fact => [toDbText(p.uid), text(p.namespace), text(p.name)]),
    runtimeContainers: names.containers.map((c): Fact => [
      c.source, toDbText(c.id), text(c.name), text(c.image), text(c.pod?.uid ?? null), text(c.pod?.namespace ?? null), text(c.pod?.name ?? null),
    ]),
  };
}
