import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '@nsnap/shared';
import { ANALYZER_BIN, COLLECTOR_BIN, ROOT, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

/**
 * Real components end to end: real namespaces with real processes whose
 * cgroup (a directory made for the test) says docker container ID or a Kubernetes pod's
 * container, and a `--root` tree holding the runtimes' files for those ids,
 * made from the fixtures (sentinel secrets included). The collector reads
 * the names, the analyzer answers by them.
 */
// cgroup v1's cpu hierarchy where there is one (hybrid hosts, as here), else the v2 tree: either is writable as root.
const CPU = existsSync('/sys/fs/cgroup/cpu/cgroup.procs') ? '/sys/fs/cgroup/cpu' : '/sys/fs/cgroup';
const skip = netnsSkipReason() !== null;
const FIXTURES = path.join(ROOT, 'fixtures/runtime-roots');
const WEB_FIXTURE = path.join(FIXTURES, 'docker/var/lib/docker/containers/5b1e6c0f0d9a4e3f8e2b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e/config.v2.json');
const SANDBOX_FIXTURE = path.join(FIXTURES, 'k8s-containerd/run/containerd/io.containerd.runtime.v2.task/k8s.io/bb3b311a34072532d5d8ca35d9c847bde1e67dcec899ebb61db8b0ad3d70d576/config.json');

const hex64 = () => randomBytes(32).toString('hex');

describe.skipIf(skip)('names from the runtimes\' files, end to end', () => {
  const lab = new Lab();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-names-e2e-'));
  const root = path.join(tmp, 'root');
  const store = path.join(tmp, 'store');
  const db = path.join(tmp, 'nsnap.db');
  const host = `names-${lab.prefix}`;
  // Every cgroup of this run under one directory of its own: concurrent runs never share one.
  const top = `${CPU}/nsnap-e2e-${lab.prefix}`;
  const cgroups: string[] = [];
  const moved: number[] = [];
  const dockerId = hex64();
  const podContainer = hex64();
  const podUid = randomUUID();
  const podNamespace = `e2e-${lab.prefix}`;
  const podName = `web-pod-${lab.prefix}`;
  let web: { name: string; inode: number; pid: number; hostEnd: string };
  let pod: { name: string; inode: number; pid: number; hostEnd: string };
  const nsnap = (...args: string[]) => runCli(ANALYZER_BIN, [...args, '--db', db]);

  /** Puts a pid into a new cgroup v1 directory (the path is what /proc/PID/cgroup will show). */
  const joinCgroup = (rel: string, pid: number) => {
    let at = top;
    for (const part of ['', ...rel.split('/')]) {
      at = part === '' ? at : `${at}/${part}`;
      if (!existsSync(at)) {
        mkdirSync(at);
        cgroups.push(at);
      }
    }
    writeFileSync(`${at}/cgroup.procs`, String(pid));
    moved.push(pid);
  };

  beforeAll(async () => {
    const bridge = lab.ownHostLink(lab.name('br'));
    await lab.ip('link', 'add', bridge, 'type', 'bridge');
    web = await lab.addContainer('w', bridge);
    pod = await lab.addContainer('p', bridge);
    joinCgroup(`docker/${dockerId}`, web.pid);
    joinCgroup(`kubepods/besteffort/pod${podUid}/${podContainer}`, pod.pid);

    // Docker: the fixture's web-1 container, filed under this run's id.
    const dockerDir = path.join(root, 'var/lib/docker/containers', dockerId);
    mkdirSync(dockerDir, { recursive: true });
    writeFileSync(path.join(dockerDir, 'config.v2.json'), readFileSync(WEB_FIXTURE, 'utf8').replaceAll('5b1e6c0f0d9a4e3f8e2b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e', dockerId));
    // Kubernetes on containerd: the pod's log directory and its sandbox's config.json, this run's names.
    mkdirSync(path.join(root, 'var/log/pods', `${podNamespace}_${podName}_${podUid}`, 'web-server'), { recursive: true });
    const sandbox = JSON.parse(readFileSync(SANDBOX_FIXTURE, 'utf8')) as { annotations: Record<string, string> };
    Object.assign(sandbox.annotations, {
      'io.kubernetes.cri.sandbox-id': podContainer,
      'io.kubernetes.cri.sandbox-name': podName,
      'io.kubernetes.cri.sandbox-namespace': podNamespace,
      'io.kubernetes.cri.sandbox-uid': podUid,
    });
    const task = path.join(root, 'run/containerd/io.containerd.runtime.v2.task/k8s.io', podContainer);
    mkdirSync(task, { recursive: true });
    writeFileSync(path.join(task, 'config.json'), JSON.stringify(sandbox));

    const c = await runCli(COLLECTOR_BIN, ['--out', store, '--root', root, '--host', host, '--quiet']);
    // 1: another test's namespace may be unreadable or vanish meanwhile (a shared host).
    expect([0, 1], String(c.stderr)).toContain(c.exitCode);
    const i = await nsnap('ingest', store);
    expect(i.exitCode, String(i.stderr)).toBe(0);
  }, 60_000);

  afterAll(async () => {
    // Out of our cgroups first (a cgroup with a task cannot be removed), then the processes, then the cgroups, deepest first.
    for (const pid of moved) {
      try {
        writeFileSync(`${CPU}/cgroup.procs`, String(pid));
      } catch {
        // already gone
      }
    }
    await lab.cleanup();
    for (const dir of cgroups.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // removed by an earlier attempt
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the bundle holds the names and nothing else of the files (no sentinel secret)', () => {
    const files = readdirSync(store, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json.gz'));
    expect(files).toHaveLength(1);
    const bundle = decodeBundle(readFileSync(path.join(store, files[0]!)));
    expect(JSON.stringify(bundle)).not.toContain('NSNAP-SENTINEL');
    expect(bundle.runtimeNames?.containers).toEqual([
      { source: 'containerd', id: podContainer, name: null, image: null, pod: { uid: podUid, namespace: podNamespace, name: podName } },
      { source: 'docker', id: dockerId, name: 'web-1', image: 'nginx:1.25-alpine', pod: null },
    ]);
    expect(bundle.runtimeNames?.pods).toEqual([{ uid: podUid, namespace: podNamespace, name: podName }]);
    expect(bundle.gaps.filter((g) => g.probe === 'runtime-names')).toEqual([]);
  });

  it('whois web-1 names the docker container\'s namespace, and show names web-1 there', async () => {
    const r = await nsnap('whois', 'web-1', '--host', host, '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { matches: { matchedBy: string; netns: number; containers: { id: string; name?: string }[] }[] };
    expect(out.matches.map((m) => [m.matchedBy, m.netns])).toEqual([['container-name', web.inode]]);
    expect(out.matches[0]!.containers).toEqual([{ runtime: 'docker', id: dockerId, podUid: null, name: 'web-1' }]);
    const text = String((await nsnap('whois', 'web-1', '--host', host)).stdout);
    expect(text).toContain(`container web-1 (${dockerId.slice(0, 12)})`);
    expect(text).toContain(`eth0 #2 veth ⇄ ${web.hostEnd}`);
    const show = await nsnap('show', '--host', host, '--netns', web.name);
    expect(show.exitCode, String(show.stderr)).toBe(0);
    expect(String(show.stdout)).toContain(`netns ${web.inode}, named ${web.name}, pid ${web.pid} sleep, container web-1 (${dockerId.slice(0, 12)})`);
  });

  it('whois NAMESPACE/POD names the pod\'s namespace, and peers shows the pod by name beside its uid', async () => {
    const r = await nsnap('whois', `${podNamespace}/${podName}`, '--host', host, '--json');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { matches: { matchedBy: string; netns: number }[] };
    expect(out.matches.map((m) => [m.matchedBy, m.netns])).toEqual([['pod', pod.inode]]);
    const peers = await nsnap('peers', '--host', host, '--pod', `${podNamespace}/${podName}`);
    expect(peers.exitCode, String(peers.stderr)).toBe(0);
    expect(String(peers.stdout)).toContain(`${pod.hostEnd} #`);
    expect(String(peers.stdout)).toContain(`container ${podContainer.slice(0, 12)} pod ${podNamespace}/${podName} (${podUid})`);
  });
});
