import type { RuntimeContainer, RuntimePod } from '@nsnap/shared/core';

/**
 * Pure readers of the runtimes' own files: each takes the parsed JSON (or a
 * directory name) and returns ONLY the named fields, validated; nothing else
 * of the file is kept (it holds environments, mounts, secrets). A value that
 * is not a valid name of its kind is dropped and reported, never passed on:
 * the runtimes themselves allow no control bytes and no '/' in these names.
 */

/** Kubernetes: a DNS subdomain (pod names) or label (namespaces, container names). */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const K8S_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A pod UID: a UUID, or 32 hex digits for a static pod (the hash of its manifest). */
const POD_UID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/;
/** Docker and podman names (`[a-zA-Z0-9][a-zA-Z0-9_.-]+` in both). */
const ENGINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;
/** An image reference: registry/path:tag@digest, at most 512 characters, no empty path component ("a/", "a//b"). */
const IMAGE = /^(?=.{1,512}$)[a-zA-Z0-9][a-zA-Z0-9._:@+-]*(?:\/[a-zA-Z0-9._:@+-]+)*$/;
/** 64 hex digits: docker, CRI-O and podman ids, containerd's CRI ids. */
export const HEX_ID = /^[0-9a-f]{64}$/;
/** containerd task ids and namespaces outside Kubernetes (`ctr run … NAME`, `moby`, `k8s.io`). */
export const CONTAINERD_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface Extracted<T> {
  value: T | null;
  /** Fields present but not valid names, for the gap list (never their values). */
  invalid: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string field checked against `re`; absent is null, present but invalid is null and reported. */
function pick(obj: Record<string, unknown>, key: string, re: RegExp, invalid: string[]): string | null {
  if (!Object.hasOwn(obj, key)) return null;
  const v = obj[key];
  if (typeof v === 'string' && re.test(v)) return v;
  invalid.push(key);
  return null;
}

/**
 * A `/var/log/pods` directory name: `<namespace>_<pod>_<uid>` (kubelet ≥ 1.14;
 * neither a namespace nor a pod name can hold '_'), or the bare uid of older
 * kubelets. Null for anything else.
 */
export function podFromLogDir(name: string): RuntimePod | null {
  if (POD_UID.test(name)) return { uid: name, namespace: null, name: null };
  const parts = name.split('_');
  if (parts.length !== 3) return null;
  const [namespace, pod, uid] = parts as [string, string, string];
  if (!K8S_LABEL.test(namespace) || !K8S_NAME.test(pod) || !POD_UID.test(uid)) return null;
  return { uid, namespace, name: pod };
}

// CRI-O writes the kubelet's labels as annotations; containerd's CRI writes its own keys.
const POD_KEYS = {
  name: ['io.kubernetes.pod.name', 'io.kubernetes.cri.sandbox-name'],
  namespace: ['io.kubernetes.pod.namespace', 'io.kubernetes.cri.sandbox-namespace'],
  uid: ['io.kubernetes.pod.uid', 'io.kubernetes.cri.sandbox-uid'],
  container: ['io.kubernetes.container.name', 'io.kubernetes.cri.container-name'],
} as const;

function firstOf(annotations: Record<string, unknown>, keys: readonly string[], re: RegExp, invalid: string[]): string | null {
  for (const k of keys) {
    const v = pick(annotations, k, re, invalid);
    if (v !== null) return v;
  }
  return null;
}

/**
 * An OCI runtime `config.json` of a CRI sandbox or container: its pod and
 * container names from `annotations`, nothing else. Null when it carries none
 * (a container that Kubernetes did not start).
 */
export function fromOciConfig(doc: unknown, source: 'containerd' | 'cri-o', id: string): Extracted<RuntimeContainer> {
  const invalid: string[] = [];
  const annotations = isObject(doc) && isObject(doc.annotations) ? doc.annotations : null;
  if (!annotations) return { value: null, invalid };
  const pod = {
    uid: firstOf(annotations, POD_KEYS.uid, POD_UID, invalid),
    namespace: firstOf(annotations, POD_KEYS.namespace, K8S_LABEL, invalid),
    name: firstOf(annotations, POD_KEYS.name, K8S_NAME, invalid),
  };
  // CRI-O names a sandbox's container "POD", as dockershim did.
  const name = firstOf(annotations, POD_KEYS.container, /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|POD)$/, invalid);
  const hasPod = pod.uid !== null || pod.namespace !== null || pod.name !== null;
  if (!hasPod && name === null) return { value: null, invalid };
  return { value: { source, id, name, image: null, pod: hasPod ? pod : null }, invalid };
}

/** Docker's `containers/<id>/config.v2.json`: `Name` (without its leading '/') and `Config.Image`, nothing else. */
export function fromDockerConfig(doc: unknown, id: string): Extracted<RuntimeContainer> {
  const invalid: string[] = [];
  if (!isObject(doc)) return { value: null, invalid: ['(not a JSON object)'] };
  let name: string | null = null;
  if (Object.hasOwn(doc, 'Name')) {
    const raw = doc.Name;
    const bare = typeof raw === 'string' && raw.startsWith('/') ? raw.slice(1) : raw;
    if (typeof bare === 'string' && ENGINE_NAME.test(bare)) name = bare;
    else invalid.push('Name');
  }
  const image = isObject(doc.Config) ? pick(doc.Config, 'Image', IMAGE, invalid) : null;
  if (name === null && image === null) return { value: null, invalid };
  return { value: { source: 'docker', id, name, image, pod: null }, invalid };
}

/**
 * containers/storage's `containers.json` (podman's, and CRI-O's store too): an
 * array of `{id, names, …}`; only `id` and the first of `names` are read.
 */
export function fromContainersJson(doc: unknown, max: number): { values: RuntimeContainer[]; invalid: string[]; truncated: boolean } {
  const invalid: string[] = [];
  const values: RuntimeContainer[] = [];
  if (!Array.isArray(doc)) return { values, invalid: ['(not a JSON array)'], truncated: false };
  for (let i = 0; i < doc.length; i++) {
    if (values.length >= max) return { values, invalid, truncated: true };
    const c = doc[i];
    if (!isObject(c)) continue;
    const id = typeof c.id === 'string' && HEX_ID.test(c.id) ? c.id : null;
    if (id === null) {
      invalid.push(`[${i}].id`);
      continue;
    }
    const first = Array.isArray(c.names) ? c.names[0] : undefined;
    const name = typeof first === 'string' && ENGINE_NAME.test(first) ? first : null;
    if (first !== undefined && name === null) invalid.push(`[${i}].names`);
    if (name !== null) values.push({ source: 'podman', id, name, image: null, pod: null });
  }
  return { values, invalid, truncated: false };
}
