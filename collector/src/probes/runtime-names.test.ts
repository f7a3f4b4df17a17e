import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GapSchema, RuntimeNamesSchema } from '@nsnap/shared';
import { RUNTIME_LIMITS, RUNTIME_PATHS, readRuntimeNames } from './runtime-names.js';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/runtime-roots');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-runtime-names-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh root under tmp. */
const newRoot = () => {
  const root = path.join(tmp, `root-${n++}`);
  mkdirSync(root);
  return root;
};
const put = (root: string, rel: string, text: string | Buffer) => {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};
const ID = (c: string) => c.repeat(64);
const dockerDir = (id: string) => `${RUNTIME_PATHS.docker}/${id}`;

/** What a reader returns, checked against the bundle's schema as every analyzer will. */
async function read(root: string, limits = RUNTIME_LIMITS) {
  const r = await readRuntimeNames(root, limits);
  RuntimeNamesSchema.parse(r.names);
  for (const g of r.gaps) GapSchema.parse(g);
  return r;
}

/** Every key and string value of a JSON document, nested ones included. */
function stringsOf(doc: unknown, out = new Set<string>()): Set<string> {
  if (typeof doc === 'string') out.add(doc);
  else if (Array.isArray(doc)) for (const v of doc) stringsOf(v, out);
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      out.add(k);
      stringsOf(v, out);
    }
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)).filter((f) => statSync(f).isFile() && f.endsWith('.json'));
}

describe('runtime names from the fixture trees (real files, trimmed)', () => {
  it('docker: Name without its slash and Config.Image, by the directory id', async () => {
    const r = await read(path.join(FIXTURES, 'docker'));
    expect(r.gaps).toEqual([]);
    expect(r.names).toEqual({
      pods: [],
      containers: [
        { source: 'docker', id: '5b1e6c0f0d9a4e3f8e2b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e', name: 'web-1', image: 'nginx:1.25-alpine', pod: null },
        {
          source: 'docker',
          id: 'caed8938198152778e3715f4bd3c00795f40c812d2cdb87dadfe8b0bb058390f',
          name: 'k8s_consume_consume-577cd986c7-8mk4h_default_00bea8a1-8bfc-11e8-b709-f01fafd51338_0',
          image: 'cuidapeng/consume@sha256:483cd48b4b1e2ca53846f11fe953695bcceea59542b77f09044d30644cf3235f',
          pod: null,
        },
      ],
    });
  });

  it('containerd: the pod log directory, the sandbox and its container from their CRI annotations; a task outside Kubernetes names nothing', async () => {
    const r = await read(path.join(FIXTURES, 'k8s-containerd'));
    expect(r.gaps).toEqual([]);
    const pod = { uid: 'f07700a5-b996-4b1a-a3af-5f99ecb29549', namespace: 'develop', name: 'web-with-logger' };
    expect(r.names).toEqual({
      pods: [pod],
      containers: [
        { source: 'containerd', id: '2d538b1bdc00a5f6251c9f47babca6163794a065133bcd2a0a0264a37a533644', name: 'web-server', image: null, pod },
        { source: 'containerd', id: 'bb3b311a34072532d5d8ca35d9c847bde1e67dcec899ebb61db8b0ad3d70d576', name: null, image: null, pod },
      ],
    });
  });

  it('CRI-O: the sandbox ("POD") from io.kubernetes.* annotations; a uid-only log directory of an old kubelet is recorded without names', async () => {
    const r = await read(path.join(FIXTURES, 'k8s-crio'));
    expect(r.gaps).toEqual([]);
    const pod = { uid: 'aaaa2b4a-f398-41c0-928b-049e1cc4ec40', namespace: 'default', name: 'segfaulter' };
    expect(r.names).toEqual({
      pods: [{ uid: '00bea8a1-8bfc-11e8-b709-f01fafd51338', namespace: null, name: null }, pod],
      containers: [{ source: 'cri-o', id: '134b58ab2e0cfd7432a9db818b1b4ec52fdc747333f0ba2c9342860dc2ea7c50', name: 'POD', image: null, pod }],
    });
  });

  it('podman: ids and first names from containers.json', async () => {
    const r = await read(path.join(FIXTURES, 'podman'));
    expect(r.gaps).toEqual([]);
    expect(r.names.containers.map((c) => [c.id.slice(0, 12), c.name])).toEqual([
      ['3378a94507b5', 'db-primary'],
      ['b233e291ed61', 'db29d9d2d112-infra'],
    ]);
  });

  it('no other key or value of any fixture file reaches the output (the files hold environments and secrets)', async () => {
    for (const tree of readdirSync(FIXTURES)) {
      const root = path.join(FIXTURES, tree);
      const out = JSON.stringify(await read(root));
      const kept = stringsOf(JSON.parse(out));
      const sentinels = [];
      for (const file of filesUnder(root)) {
        for (const s of stringsOf(JSON.parse(readFileSync(file, 'utf8')))) {
          if (s.includes('NSNAP-SENTINEL')) sentinels.push(s);
          // What is part of a kept name carries nothing more (docker's Name loses its '/', a hostname is a short id).
          const bare = s.replace(/^\//, '');
          if (s.length < 5 || [...kept].some((k) => k.includes(bare))) continue;
          expect(out, `${path.relative(FIXTURES, file)}: ${s.slice(0, 80)}`).not.toContain(s);
        }
      }
      expect(out).not.toContain('NSNAP-SENTINEL');
      expect(sentinels.length, `${tree} holds sentinel secrets`).toBeGreaterThan(0);
    }
  });

  it('a root without any runtime is no error: empty lists, no gaps', async () => {
    expect(await read(newRoot())).toEqual({ names: { pods: [], containers: [] }, gaps: [] });
  });
});

describe('runtime names from hostile trees', () => {
  it('control bytes and invalid UTF-8 in names: left out with a gap, never passed on', async () => {
    const root = newRoot();
    const uid = '0123abcd-0000-4000-8000-00000000abcd';
    mkdirSync(Buffer.concat([Buffer.from(path.join(root, RUNTIME_PATHS.podLogs) + '/'), Buffer.from(`ns\x1b[31m_pod_${uid}`)]), { recursive: true });
    mkdirSync(Buffer.concat([Buffer.from(path.join(root, RUNTIME_PATHS.podLogs) + '/'), Buffer.from([0xff, 0xfe]), Buffer.from(`_pod_${uid}`)]), { recursive: true });
    mkdirSync(path.join(root, RUNTIME_PATHS.podLogs, `good_pod_${uid}`), { recursive: true });
    put(root, `${dockerDir(ID('a'))}/config.v2.json`, JSON.stringify({ Name: '/evil\x1b]0;owned\x07', Config: { Image: 'img\nwith-newline', Env: ['X=NSNAP-SENTINEL'] } }));
    put(root, `${dockerDir(ID('b'))}/config.v2.json`, Buffer.concat([Buffer.from('{"Name":"/caf'), Buffer.from([0xe9]), Buffer.from('"}')]));
    put(root, `${RUNTIME_PATHS.crio}/${ID('c')}/userdata/config.json`, JSON.stringify({ annotations: { 'io.kubernetes.pod.name': 'pod\u202ename', 'io.kubernetes.pod.namespace': 'ok', 'io.kubernetes.container.name': '../../etc' } }));
    const r = await read(root);
    expect(r.names.pods).toEqual([{ uid, namespace: 'good', name: 'pod' }]);
    expect(r.names.containers).toEqual([{ source: 'cri-o', id: ID('c'), name: null, image: null, pod: { uid: null, namespace: 'ok', name: null } }]);
    const text = JSON.stringify(r);
    expect(text).not.toContain('owned');
    expect(text).not.toContain('with-newline');
    expect(text).not.toContain('NSNAP-SENTINEL');
    expect(r.gaps.filter((g) => g.subject.startsWith('/var/log/pods/'))).toHaveLength(2);
    expect(r.gaps.find((g) => g.subject.includes(ID('a')))?.detail).toBe('not a valid name, left out: Name, Image');
    expect(r.gaps.find((g) => g.subject.includes(ID('c')))?.detail).toMatch(/io.kubernetes.pod.name.*io.kubernetes.container.name/);
  });

  it('a huge file is refused by its size, unread; a FIFO named config.json is refused at once, not waited on', async () => {
    const root = newRoot();
    put(root, `${dockerDir(ID('d'))}/config.v2.json`, '');
    truncateSync(path.join(root, dockerDir(ID('d')), 'config.v2.json'), 4 * 1024 * 1024 * 1024);
    mkdirSync(path.join(root, RUNTIME_PATHS.containerd, 'k8s.io', ID('e')), { recursive: true });
    execFileSync('mkfifo', [path.join(root, RUNTIME_PATHS.containerd, 'k8s.io', ID('e'), 'config.json')]);
    const t0 = performance.now();
    const r = await read(root);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(r.names.containers).toEqual([]);
    expect(r.gaps.find((g) => g.subject.includes(ID('d')))?.detail).toBe(`${4 * 1024 ** 3} bytes, more than the ${RUNTIME_LIMITS.configBytes} read`);
    expect(r.gaps.find((g) => g.subject.includes(ID('e')))?.detail).toBe('not a regular file');
  });

  it('symlinks are never followed: a loop, a link out of the root, a linked container directory, a linked runtime directory', async () => {
    const root = newRoot();
    put(root, `${dockerDir(ID('1'))}/config.v2.json`, JSON.stringify({ Name: '/real' }));
    mkdirSync(path.join(root, dockerDir(ID('2'))));
    symlinkSync('/etc/passwd', path.join(root, dockerDir(ID('2')), 'config.v2.json'));
    symlinkSync(path.join(root, dockerDir(ID('1'))), path.join(root, dockerDir(ID('3'))));
    mkdirSync(path.join(root, dockerDir(ID('4'))));
    symlinkSync('config.v2.json', path.join(root, dockerDir(ID('4')), 'config.v2.json'));
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    symlinkSync('pods', path.join(root, RUNTIME_PATHS.podLogs));
    mkdirSync(path.join(root, 'run'));
    symlinkSync('/run', path.join(root, 'run/containerd'));
    const r = await read(root);
    expect(r.names.containers.map((c) => c.name)).toEqual(['real']);
    const detail = (s: string) => r.gaps.find((g) => g.subject.includes(s))?.detail;
    expect(detail(`${ID('2')}/config.v2.json`)).toBe('a symlink: not followed');
    expect(detail(ID('3'))).toBe('a symlink: not followed');
    expect(detail(`${ID('4')}/config.v2.json`)).toBe('a symlink: not followed');
    expect(detail('/var/log/pods')).toMatch(/is a symlink: not followed/);
    expect(detail('/run/containerd')).toMatch(/is a symlink: not followed/);
    expect(JSON.stringify(r)).not.toContain('root:');
  });

  it('absurd counts: at most `entries` read per directory, and a capped number of gaps per source', async () => {
    const root = newRoot();
    for (let i = 0; i < 150; i++) mkdirSync(path.join(root, RUNTIME_PATHS.podLogs, `ns_p${i}_${String(i).padStart(32, '0')}`), { recursive: true });
    for (let i = 0; i < 30; i++) put(root, `${dockerDir(i.toString(16).padStart(64, '0'))}/config.v2.json`, 'not json NSNAP-SENTINEL');
    const containers = Array.from({ length: 500 }, (_, i) => ({ id: i.toString(16).padStart(64, 'f'), names: [`c${i}`], metadata: 'NSNAP-SENTINEL' }));
    put(root, RUNTIME_PATHS.podman, JSON.stringify(containers));
    const r = await read(root, { ...RUNTIME_LIMITS, entries: 100, gapsPerSource: 10 });
    expect(r.names.pods).toHaveLength(100);
    expect(r.names.containers.filter((c) => c.source === 'podman')).toHaveLength(100);
    expect(r.gaps.filter((g) => g.subject.startsWith('/var/lib/docker/'))).toHaveLength(10);
    expect(r.gaps).toContainEqual({ probe: 'runtime-names', subject: 'docker', reason: 'failed', detail: '20 more problems like the ones above, not listed' });
    expect(r.gaps.find((g) => g.subject === '/var/log/pods')?.detail).toBe('more than 100 entries: the rest not read');
    expect(r.gaps.find((g) => g.subject === '/' + RUNTIME_PATHS.podman)?.detail).toBe('more than 100 containers: the rest not read');
    expect(r.gaps.find((g) => g.subject.includes('/var/lib/docker/containers/'))?.detail).toBe('not JSON (SyntaxError)');
    expect(JSON.stringify(r)).not.toContain('NSNAP-SENTINEL');
  });

  it('a runtime path that is a file, or files where directories belong, are gaps or nothing, never a crash', async () => {
    const root = newRoot();
    put(root, RUNTIME_PATHS.docker, 'a file');
    put(root, `${RUNTIME_PATHS.crio}/${ID('9')}`, 'a file where a directory belongs');
    mkdirSync(path.join(root, RUNTIME_PATHS.podman), { recursive: true });
    const r = await read(root);
    expect(r.names).toEqual({ pods: [], containers: [] });
    expect(r.gaps.map((g) => [g.subject, g.detail.replace(root, 'ROOT')])).toEqual([
      ['/var/lib/docker/containers', 'ROOT/var/lib/docker/containers is not a directory'],
      ['/var/lib/containers/storage/overlay-containers/containers.json', 'not a regular file'],
    ]);
  });
});
