import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ContainerRef } from '../model.js';
import { containerFromCgroup, containerFromCgroupMatch } from './cgroup.js';

const dir = path.join(import.meta.dirname, '../../../fixtures/cgroup');
const fixture = (name: string) => readFileSync(path.join(dir, name), 'utf8');

const ref = (runtime: ContainerRef['runtime'], id: string, podUid: string | null, cgroupVersion: 1 | 2): ContainerRef => ({
  runtime,
  id,
  podUid,
  cgroupVersion,
});

/** What each captured `/proc/PID/cgroup` in fixtures/cgroup must give (sources in SOURCES.md). */
const expected: Record<string, ContainerRef | null> = {
  'docker-v1-cgroupfs-hybrid.cgroup': ref('docker', '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d', null, 1),
  'docker-v1-systemd-root.cgroup': ref('docker', '5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498', null, 1),
  'docker-v1-v2-cgroupfs.cgroup': ref('docker', 'ff90ed5efd657539ce42198e0d61661d62f2a5d8de9439e2aeb046fb1ef4e0af', null, 2),
  'docker-v2-systemd.cgroup': ref('docker', 'b508e2673897c4f521d858f56dab18e31ddbfc1f83300fb9793c8a4052af8f05', null, 2),
  'docker-v2-relative.cgroup': ref('docker', '1f1d6e2d4940ddac13abd421a2617992bf89f0e0f9a902ed58278c5f843e9ae7', null, 2),
  'docker-v1-systemd-centos.cgroup': ref('docker', '9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d', null, 1),
  'docker-in-docker-rancheros.cgroup': ref('docker', 'ec08435e04266c5ba381fccbb829f626d11d8ddf5f8f547263c7a2d79ab4787a', null, 1),
  'docker-openrc.cgroup': ref('docker', '7a9e0b86b9ede34478c2d4189c61e513c98b5c0215aa36464f1810b5e3c7865c', null, 1),
  'docker-kubepods-systemd-v1.cgroup': ref(
    'docker',
    'b5b6f2da8008be266864f896f93789762b2ce50792114a5c5f2cc3315af0bc70',
    '045b1e35-7f13-11e7-ac42-0050568ffca0',
    1,
  ),
  'docker-kubepods-burstable-lxc3890.cgroup': ref(
    'docker',
    'd0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98',
    '7d4424e6-bb13-42f4-a47a-45a4828bf54d',
    1,
  ),
  'docker-kubepods-v2-relative.cgroup': ref(
    'docker',
    '2cc65c162ca1388b6b8d5ccfb701d22fc96675ccf8b2f1590c490c2c4039547f',
    'fd698699-eabf-4c23-92ef-cf0bbdb78261',
    2,
  ),
  // The next three were taken under dockershim; the bare-id layout is the
  // same one containerd writes, so the runtime cannot be read from it.
  'kubepods-cgroupfs-v1.cgroup': ref(
    'containerd',
    'cb1eadb7abe3a6545e9856411207073277838e1bdc003337c2f8685faeedc32c',
    '74ba62da-1a3d-11e7-bb11-080027cb0e22',
    1,
  ),
  'kubepods-cgroupfs-subcgroup.cgroup': ref(
    'containerd',
    'c04e0a88a1de067f25bece337d4dbb897396e0b623c2a65330850fc9823f1903',
    'f8a694f2-7c08-11e9-98da-000c29077430',
    1,
  ),
  'kubepods-cgroupfs-burstable-k116.cgroup': ref(
    'containerd',
    '610228a731e860b5e593cfdf1ae6899eb73d7c5f947e6d69716d2c3351573c90',
    '7de2905f-d523-45a3-8dd9-8365a286a434',
    1,
  ),
  'containerd-bottlerocket-hybrid.cgroup': ref(
    'containerd',
    'f45298cd514d1930c4fe3afc4412e59547f7e3148fddd22ca33cefce046eb830',
    'dd1bf9d1-241d-47f5-8e25-12de83135812',
    2,
  ),
  'containerd-colon-v1.cgroup': ref(
    'containerd',
    'ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459',
    '0125ec2f-b64a-4868-8f5b-94b56cbab864',
    1,
  ),
  'containerd-colon-burstable-v1.cgroup': ref(
    'containerd',
    '6ef14b5a76df7b5d24285e3a04ccbc6fd323620272b3787b5dc440fc1b75d294',
    'b96a7488-3ee1-4bdc-9c98-155cc887b417',
    1,
  ),
  'crio-v1-openshift.cgroup': ref(
    'cri-o',
    'd6d725b909f37c3e232aadfbafa950a58bfe7baa579ba8c47a12be88bb921607',
    '8ca306fa-3c03-47fa-97dd-19979c345572',
    1,
  ),
  'crio-v1-calico.cgroup': ref(
    'cri-o',
    '5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c',
    'a5c1f8d5-1919-434d-add7-4afaafdaef89',
    1,
  ),
  'crio-v2.cgroup': ref(
    'cri-o',
    'f33f47b0db740bb647cb3e7ac62d96c74966dbb99cbfaf4563bfd42d387e8b44',
    '042efd86-1f3b-4f2f-8736-f31c58e95bbc',
    2,
  ),
  'crio-conmon-system-slice.cgroup': null,
  'podman-v1-machine-slice.cgroup': ref('podman', '2521e906f0a0c758c3a7dc4fd68c197e32e96abb4b36807d0b0ede6d014a7c24', null, 1),
  'podman-v2-user-manager.cgroup': ref('podman', 'cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb', null, 2),
  'podman-unshare.cgroup': null,
  'nspawn-v1-machine-scope.cgroup': ref('systemd-nspawn', 'name', null, 1),
  'lxc-payload-flat.cgroup': ref('lxc', 'buster', null, 2),
  'lxc-payload-dir.cgroup': ref('lxc', 'example', null, 2),
  'lxc-monitor-dir.cgroup': null,
  'lxc-legacy-systemd-inside.cgroup': ref('lxc', 'x1', null, 1),
  'host-init-scope-hybrid.cgroup': null,
  'host-v1-root.cgroup': null,
  'host-session-v1.cgroup': null,
  'host-dockerd-v1.cgroup': null,
  'host-v2-relative-init.cgroup': null,
  'this-machine-self.cgroup': null,
};

/** Cgroup paths that the sources printed outside a /proc/PID/cgroup file (systemctl, NRI logs, cgroup walks). */
const expectedPaths: Record<string, (ContainerRef | null)[]> = {
  'containerd-kind-kubelet-slice.paths': [
    ref('containerd', 'd7dfb4a21fe1703a8537e60d5af248af729315d187b24a538102d14874c8117d', '1e597579-417e-482f-bf65-5fe170c3aebd', 2),
    ref('containerd', 'a09bc17f5aa29b0dbdec9ede5f46cf1396d2405917ab02e6f1eb1019f388396e', '1e597579-417e-482f-bf65-5fe170c3aebd', 2),
  ],
  'crio-kubepods.paths': [
    null,
    ref('cri-o', '468f848e2ebec7203ed55748d08337851af589ac42eb551c572446a5c68fe631', '35550f44-f691-427e-b57d-ab6127d2cb65', 2),
    ref('cri-o', '0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0', '2ca4a155-3599-498d-bb9d-4446693fa3ea', 2),
  ],
  'podman-pod.paths': [ref('podman', '47a0d74f2b72850ef550607094d6642fa0632c1cab241eabbf5edb25269c2c53', null, 2), null, null],
  'nspawn-service.paths': [
    ref('systemd-nspawn', 'dev-web-00000000', null, 2),
    ref('systemd-nspawn', 'delphix.uE0noy5', null, 2),
  ],
};

const pathLines = (name: string) => fixture(name).split('\n').filter((l) => l !== '');
// A process in cgroup P of a v2 host reads `0::P` (paths here are cgroupfs-relative or under /sys/fs/cgroup).
const asV2Line = (p: string) => `0::${p.replace(/^\/sys\/fs\/cgroup(?=\/)/, '')}\n`;

describe('containerFromCgroup on real /proc/PID/cgroup captures (fixtures/cgroup/SOURCES.md)', () => {
  it('every fixture has a source and an expectation', () => {
    const sources = fixture('SOURCES.md');
    const files = readdirSync(dir).filter((f) => f !== 'SOURCES.md');
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      expect(sources, file).toContain(`\`${file}\``);
      expect(file in expected || file in expectedPaths, file).toBe(true);
    }
  });

  it.each(Object.entries(expected))('%s', (file, want) => {
    expect(containerFromCgroup(fixture(file))).toEqual(want);
  });

  it.each(Object.entries(expectedPaths))('%s', (file, want) => {
    expect(pathLines(file).map((p) => containerFromCgroup(asV2Line(p)))).toEqual(want);
  });

  it('reports the line the answer came from', () => {
    expect(containerFromCgroupMatch(fixture('docker-v1-cgroupfs-hybrid.cgroup'))?.path).toBe(
      '/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d',
    );
    expect(containerFromCgroupMatch(fixture('lxc-payload-flat.cgroup'))?.path).toBe('/lxc.payload.buster/system.slice/networking.service');
    expect(containerFromCgroupMatch(fixture('host-init-scope-hybrid.cgroup'))).toBeNull();
  });

  it('host processes are not containers', () => {
    for (const text of ['0::/user.slice/user-0.slice/session-1.scope\n', '0::/init.scope\n', '0::/\n', '0::/../..\n']) {
      expect(containerFromCgroup(text), text).toBeNull();
    }
  });
});

describe('choosing between lines', () => {
  const docker = fixture('docker-v2-systemd.cgroup').trim();
  const dockerId = 'b508e2673897c4f521d858f56dab18e31ddbfc1f83300fb9793c8a4052af8f05';

  it('a v1 line naming the same container as the v2 line is reported as v2', () => {
    const v1 = docker.replace(/^0::/, '1:name=systemd:');
    expect(containerFromCgroup(`${v1}\n${docker}\n`)).toEqual(ref('docker', dockerId, null, 2));
  });

  it('the v2 line is reported even when a v1 hierarchy holds the same container deeper', () => {
    // containerd-colon-v1 has the container at two depths (with and without /system.slice/containerd.service).
    const lines = fixture('containerd-colon-v1.cgroup');
    const shallow = lines.split('\n').find((l) => l.startsWith('8:cpuset:'))!.replace(/^8:cpuset:/, '0::');
    const r = containerFromCgroupMatch(`${lines}${shallow}\n`);
    expect(r?.ref.cgroupVersion).toBe(2);
    expect(r?.path).toBe(shallow.slice(3));
  });

  it('the most specific container wins: a crio pod in a docker node (minikube), docker in docker', () => {
    const [, , nested] = pathLines('crio-kubepods.paths');
    const node = '/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22';
    expect(containerFromCgroup(`1:name=systemd:${node}\n0::${nested}\n`)?.runtime).toBe('cri-o');
    expect(containerFromCgroup(`0::${node}\n1:name=systemd:${nested}\n`)?.runtime).toBe('cri-o');
  });

  it('a line longer than 4096 characters is ignored, the others are still read', () => {
    const padded = `0::/system.slice${'/x'.repeat(2100)}/docker-${dockerId}.scope`;
    expect(containerFromCgroup(`${padded}\n`)).toBeNull();
    expect(containerFromCgroup(`${padded}\n${fixture('crio-v2.cgroup')}`)?.runtime).toBe('cri-o');
  });
});

describe('monitors and look-alikes', () => {
  // Derived from the real nspawn-service.paths entry: on a v2 host nspawn puts
  // itself in the unit's `supervisor` child and the container in `payload`.
  const unit = '/machine.slice/systemd-nspawn@dev-web-00000000.service';

  it('the nspawn supervisor is not the container, its payload is', () => {
    expect(containerFromCgroup(`0::${unit}/supervisor\n`)).toBeNull();
    expect(containerFromCgroup('0::/machine.slice/machine-name.scope/supervisor\n')).toBeNull();
    expect(containerFromCgroup(`0::${unit}/payload/system.slice/cron.service\n`)).toEqual(
      ref('systemd-nspawn', 'dev-web-00000000', null, 2),
    );
  });

  it('machine names are unescaped; libvirt QEMU guests are VMs, not containers', () => {
    expect(containerFromCgroup('0::/machine.slice/machine-dev\\x2dweb.scope/payload/init.scope\n')?.id).toBe('dev-web');
    expect(containerFromCgroup('0::/machine.slice/machine-qemu\\x2d6\\x2dvm1.scope/libvirt/emulator\n')).toBeNull();
  });

  it('podman conmon and the lxc.monitor.NAME form are monitors', () => {
    const id = '2521e906f0a0c758c3a7dc4fd68c197e32e96abb4b36807d0b0ede6d014a7c24';
    expect(containerFromCgroup(`0::/machine.slice/libpod-conmon-${id}.scope\n`)).toBeNull();
    expect(containerFromCgroup('0::/lxc.monitor.buster\n')).toBeNull();
  });

  it('ids must be 64 lowercase hex and bare ids need a docker or pod parent', () => {
    expect(containerFromCgroup('4:memory:/process_api/e2f89b5277468c6445206113ff579a5d\n')).toBeNull();
    expect(containerFromCgroup(`0::/system.slice/docker-${'A'.repeat(64)}.scope\n`)).toBeNull();
    expect(containerFromCgroup(`0::/ecs/${'a'.repeat(64)}\n`)).toBeNull();
  });
});

describe('robustness', () => {
  const ContainerRefSchema = z.strictObject({
    runtime: z.enum(['docker', 'containerd', 'cri-o', 'podman', 'systemd-nspawn', 'lxc']),
    id: z.string().min(1),
    podUid: z.string().nullable(),
    cgroupVersion: z.union([z.literal(1), z.literal(2)]),
  });
  const valid = (r: ContainerRef | null) => r === null || ContainerRefSchema.safeParse(r).success;
  const samples = readdirSync(dir)
    .filter((f) => f.endsWith('.cgroup'))
    .map((f) => fixture(f));

  it('never throws on random text, and answers null or a valid ContainerRef', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        expect(valid(containerFromCgroup(text))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated real samples', () => {
    const mutation = fc.tuple(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 6 }),
    );
    fc.assert(
      fc.property(mutation, ([sample, edits]) => {
        let text = sample;
        for (const [at, cut, insert] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + cut);
        }
        expect(valid(containerFromCgroup(text))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('bounded work on a huge input', () => {
    const huge = `${'9:x:/a\n'.repeat(500_000)}0::/system.slice/docker-${'a'.repeat(64)}.scope\n`;
    const started = performance.now();
    expect(containerFromCgroup(huge)).toBeNull();
    expect(containerFromCgroup('/'.repeat(5_000_000))).toBeNull();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("reads every /proc/PID/cgroup of this machine without throwing; this test's own process is in no container", () => {
    let read = 0;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let text: string;
      try {
        text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      } catch {
        continue;
      }
      read++;
      expect(valid(containerFromCgroup(text))).toBe(true);
    }
    expect(read).toBeGreaterThan(0);
    expect(containerFromCgroup(readFileSync('/proc/self/cgroup', 'utf8'))).toBeNull();
  });
});
