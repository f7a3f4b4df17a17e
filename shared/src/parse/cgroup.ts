import type { ContainerRef } from '../model.js';

/** A recognized container and the cgroup path (as `/proc/PID/cgroup` printed it) it was read from. */
export interface CgroupMatch {
  ref: ContainerRef;
  path: string;
}

type Runtime = ContainerRef['runtime'];

// A real file has one line per hierarchy, a few dozen at most; anything past
// these bounds is not /proc/PID/cgroup and is not worth the work.
const MAX_LINE = 4096;
const MAX_LINES = 256;

const LINE = /^(\d{1,10}):([^:]*):(\/.*)$/;
const HEX64 = /^[0-9a-f]{64}$/;
const SCOPE = /^(docker|cri-containerd|crio|libpod)-([0-9a-f]{64})(\.scope)?$/;
// The systemd-driver `cgroupsPath` (SLICE:PREFIX:ID) written as a literal
// directory by a runtime configured for cgroupfs: one component holds all three.
const COLON = /^([^:]{0,1024}):(cri-containerd|crio|docker):([0-9a-f]{64})$/;
const NSPAWN_SERVICE = /^systemd-nspawn@(.{1,1024})\.service$/;
const MACHINE_SCOPE = /^machine-(.{1,1024})\.scope$/;
const POD_UID = '([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})';
const POD_DIR = new RegExp(`^pod${POD_UID}$`);
const POD_SLICE = new RegExp(`(?:^|-)pod${POD_UID}\\.slice$`);

const SCOPE_RUNTIME: Record<string, Runtime> = {
  docker: 'docker',
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  libpod: 'podman',
};

/**
 * The container a process belongs to, from its `/proc/PID/cgroup` text:
 *
 *   12:pids:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7d4424e6_bb13_42f4_a47a_45a4828bf54d.slice/docker-d0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98.scope
 *   0::/system.slice/docker-b508e2673897c4f521d858f56dab18e31ddbfc1f83300fb9793c8a4052af8f05.scope
 *
 * Null for a host process, and for any text that is not such a file. See
 * {@link containerFromCgroupMatch} for the rules.
 */
export function containerFromCgroup(text: string): ContainerRef | null {
  return containerFromCgroupMatch(text)?.ref ?? null;
}

/**
 * Like {@link containerFromCgroup}, with the cgroup path the answer came from.
 *
 * Each line (v1 `N:controllers:/path`, v2 `0::/path`) is read from its deepest
 * path component up, and the first component that names a container is that
 * line's match, so a container nested in another (docker-in-docker, a kind
 * node's pods, docker inside LXC) is found rather than its host. Across lines
 * the deepest match wins; on a tie, and whenever the v2 line names the same
 * container as the chosen v1 line, the v2 line is reported.
 *
 * Monitor processes live in the host's namespaces, not the container's, so
 * their cgroups are not containers: `crio-conmon-ID.scope`,
 * `libpod-conmon-ID.scope`, `lxc.monitor.NAME` / `lxc.monitor/NAME`, and an
 * nspawn unit's `supervisor` child. A monitor nested in a container (conmon in
 * a kind node) therefore reports that outer container. On v1 the nspawn
 * supervisor shares its unit's cgroup with the payload and cannot be told apart.
 *
 * A bare 64-hex id under a `pod<uid>` cgroup is written both by containerd's
 * CRI (cgroupfs driver) and by dockershim (Kubernetes before 1.24); the path
 * does not say which, and `containerd` is reported. `machine-NAME.scope` is
 * any systemd-machined registration and is reported as systemd-nspawn, except
 * libvirt's QEMU guests (`machine-qemu\x2dN\x2dNAME.scope`), which are VMs.
 */
export function containerFromCgroupMatch(text: string): CgroupMatch | null {
  if (typeof text !== 'string') return null;
  let best: (CgroupMatch & { depth: number }) | null = null;
  let v2: (CgroupMatch & { depth: number }) | null = null;
  let start = 0;
  for (let n = 0; n < MAX_LINES && start <= text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const raw = end - start > MAX_LINE ? '' : text.slice(start, end);
    start = end + 1;
    const line = LINE.exec(raw.trim());
    if (!line) continue;
    const version = line[1] === '0' && line[2] === '' ? 2 : 1;
    const found = matchPath(line[3]!);
    if (!found) continue;
    const candidate = { ref: { ...found.ref, cgroupVersion: version } as ContainerRef, path: line[3]!, depth: found.depth };
    if (version === 2) v2 ??= candidate;
    if (!best || candidate.depth > best.depth || (candidate.depth === best.depth && version === 2 && best.ref.cgroupVersion === 1)) {
      best = candidate;
    }
  }
  if (!best) return null;
  const chosen = v2 && sameContainer(v2.ref, best.ref) ? v2 : best;
  return { ref: chosen.ref, path: chosen.path };
}

function sameContainer(a: ContainerRef, b: ContainerRef): boolean {
  return a.runtime === b.runtime && a.id === b.id && a.podUid === b.podUid;
}

function matchPath(path: string): { ref: Omit<ContainerRef, 'cgroupVersion'>; depth: number } | null {
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const ref = matchComponent(parts, i);
    if (ref) return { ref, depth: i };
  }
  return null;
}

function matchComponent(parts: string[], i: number): Omit<ContainerRef, 'cgroupVersion'> | null {
  const part = parts[i]!;
  const parent = i > 0 ? parts[i - 1]! : '';
  const scope = SCOPE.exec(part);
  // Only the systemd driver names units; its cgroupfs form (`crio-ID`,
  // `libpod-ID`) has no suffix, and docker/containerd use the bare id there.
  if (scope && (scope[3] !== undefined || scope[1] === 'crio' || scope[1] === 'libpod')) {
    const runtime = SCOPE_RUNTIME[scope[1]!]!;
    return { runtime, id: scope[2]!, podUid: runtime === 'podman' ? null : podUidAbove(parts, i) };
  }
  const colon = COLON.exec(part);
  if (colon) {
    const runtime = colon[2] === 'crio' ? 'cri-o' : colon[2] === 'docker' ? 'docker' : 'containerd';
    return { runtime, id: colon[3]!, podUid: podUidOf(colon[1]!) ?? podUidAbove(parts, i) };
  }
  if (HEX64.test(part)) {
    if (parent === 'docker') return { runtime: 'docker', id: part, podUid: null };
    const pod = POD_DIR.exec(parent);
    if (pod) return { runtime: 'containerd', id: part, podUid: normalizeUid(pod[1]!) };
    return null;
  }
  const supervised = parts[i + 1] === 'supervisor';
  const service = NSPAWN_SERVICE.exec(part);
  if (service) return supervised ? null : { runtime: 'systemd-nspawn', id: unescapeUnit(service[1]!), podUid: null };
  const machine = MACHINE_SCOPE.exec(part);
  if (machine) {
    const name = unescapeUnit(machine[1]!);
    if (supervised || /^qemu-\d{1,10}-/.test(name)) return null;
    return { runtime: 'systemd-nspawn', id: name, podUid: null };
  }
  if (part.startsWith('lxc.payload.') && part.length > 'lxc.payload.'.length) {
    return { runtime: 'lxc', id: part.slice('lxc.payload.'.length), podUid: null };
  }
  if ((parent === 'lxc' || parent === 'lxc.payload') && part !== '' && part !== '.' && part !== '..') {
    return { runtime: 'lxc', id: part, podUid: null };
  }
  return null;
}

function podUidAbove(parts: string[], i: number): string | null {
  for (let j = i - 1; j >= 0; j--) {
    const uid = podUidOf(parts[j]!);
    if (uid) return uid;
  }
  return null;
}

function podUidOf(part: string): string | null {
  const m = POD_DIR.exec(part) ?? POD_SLICE.exec(part);
  return m ? normalizeUid(m[1]!) : null;
}

// systemd slice names cannot hold '-' inside a component, so the kubelet writes the uid with '_'.
function normalizeUid(uid: string): string {
  return uid.replaceAll('_', '-');
}

// Unit names escape every byte outside [A-Za-z0-9:_.] as \xNN ('-' is \x2d).
function unescapeUnit(name: string): string {
  return name.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
