import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromContainersJson, fromDockerConfig, fromOciConfig, podFromLogDir } from './runtime-files.js';

/** What a kept value may look like: no control byte, no '/', nothing but a runtime's name characters. */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.:@+-]*(\/[A-Za-z0-9._:@+-]+)*$/;

/** Every string a reader returned, keys of the result left out. */
const values = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(values) : []);

describe('the runtime file readers', () => {
  it('never throw, whatever JSON they get, and return only name-shaped strings found in it', () => {
    const annotations = fc.dictionary(fc.constantFrom('io.kubernetes.pod.name', 'io.kubernetes.pod.namespace', 'io.kubernetes.pod.uid', 'io.kubernetes.container.name', 'io.kubernetes.cri.sandbox-name', 'io.kubernetes.cri.container-name', 'other'), fc.oneof(fc.string(), fc.jsonValue()));
    const doc = fc.oneof(fc.jsonValue(), fc.record({ annotations }), fc.record({ Name: fc.oneof(fc.string(), fc.jsonValue()), Config: fc.oneof(fc.record({ Image: fc.string(), Env: fc.array(fc.string()) }), fc.jsonValue()) }), fc.array(fc.record({ id: fc.oneof(fc.string(), fc.constant('a'.repeat(64))), names: fc.array(fc.string()) })));
    fc.assert(
      fc.property(doc, (d) => {
        const text = JSON.stringify(d) ?? '';
        for (const out of [fromOciConfig(d, 'cri-o', 'x').value, fromDockerConfig(d, 'x').value, ...fromContainersJson(d, 100).values]) {
          for (const s of values(out).filter((s) => !['cri-o', 'docker', 'podman', 'x'].includes(s))) {
            expect(s).toMatch(SAFE);
            expect(text).toContain(s);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('read a pod log directory name only in its two real forms', () => {
    const uid = '7d4424e6-bb13-42f4-a47a-45a4828bf54d';
    expect(podFromLogDir(`kube-system_coredns-5d78c9869d-6xq2n_${uid}`)).toEqual({ uid, namespace: 'kube-system', name: 'coredns-5d78c9869d-6xq2n' });
    expect(podFromLogDir(uid)).toEqual({ uid, namespace: null, name: null });
    expect(podFromLogDir(`kube-system_etcd-node-1_${'0123456789abcdef'.repeat(2)}`)).toMatchObject({ name: 'etcd-node-1' });
    for (const bad of [`a_b_c_${uid}`, `A_b_${uid}`, `ns_pod_${uid.toUpperCase()}`, `ns_pod_not-a-uid`, `ns__${uid}`, '', '..']) expect(podFromLogDir(bad), bad).toBeNull();
  });
});
