import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTOR_BIN, ROOT, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';
import { S3RVER_ENV, startS3rver, type S3rverHandle } from './support/s3rver.js';

/**
 * Every command line of the ```sh blocks of README.md and docs/*.md, run as a
 * reader types it after `npm run setup`: from a directory laid out like the
 * repository root, in a shell, against a small real topology and a real
 * S3-protocol server. Only the commands below that need what a test machine
 * must not or cannot do are skipped, each with its reason.
 */

/** Command (without its trailing comment) → why it is not run here. */
const SKIPPED: Record<string, string> = {
  'npm run quickstart': 'the set-up itself: it reinstalls and rebuilds the checkout this test runs from (CI runs it before the suite)',
  'npm test': 'the suite this test is part of',
  'npm run setup': 'the set-up itself: it reinstalls and rebuilds the checkout this test runs from',
  'npm run build': 'rebuilds the checkout while other tests run its files',
  'npx vitest run shared/': 'a part of the suite this test is part of',
  'scp collector/dist/nsnap-collect.mjs host:/usr/local/bin/': 'needs a fleet host',
  'ssh host node /usr/local/bin/nsnap-collect.mjs doctor --out s3://fleet-nsnap/prod': 'needs a fleet host',
  'node collector/build.mjs': 'rebuilds the checkout\'s collector/dist/nsnap-collect.mjs while other tests run it',
  'install -m 0755 -o root -g root nsnap-collect.mjs /usr/local/bin/nsnap-collect.mjs': 'installs onto the host system',
  '/usr/bin/node /usr/local/bin/nsnap-collect.mjs --version': 'needs the file installed in /usr/local/bin',
  'set -a; . /etc/nsnap/nsnap-collect.env; set +a': 'needs the installed environment file',
  '/usr/bin/node /usr/local/bin/nsnap-collect.mjs doctor --out "$NSNAP_OUT"': 'needs the file installed in /usr/local/bin',
  'install -d -m 0700 /etc/nsnap': 'installs onto the host system',
  'install -m 0600 collector/deploy/nsnap-collect.env.example /etc/nsnap/nsnap-collect.env': 'installs onto the host system',
  '"${EDITOR:-vi}" /etc/nsnap/nsnap-collect.env': 'an editor, for a person',
  'install -m 0644 collector/deploy/nsnap-collect.service collector/deploy/nsnap-collect.timer /etc/systemd/system/': 'installs systemd units onto the host system',
  'systemctl daemon-reload': 'needs systemd as init',
  'systemctl enable --now nsnap-collect.timer': 'needs systemd as init',
  'systemctl start nsnap-collect.service': 'needs systemd as init',
  'journalctl -u nsnap-collect.service -n 3 -o cat': 'needs systemd as init',
  'systemctl list-timers nsnap-collect.timer': 'needs systemd as init',
  'setpriv --bounding-set=-all,+sys_admin,+sys_ptrace --inh-caps=-all /usr/bin/node collector/dist/nsnap-collect.mjs --out /tmp/capstore':
    'the capability measurement; test/deploy-units.test.ts runs the unit\'s capability set',
  'install -m 0644 collector/deploy/nsnap-collect.cron /etc/cron.d/nsnap-collect': 'installs onto the host system',
  'nsenter --net=/proc/PID/ns/net ip -d link show > ns-PID.txt': 'a template: PID stands for the reader\'s process',
  'ip netns exec NAME ip -d link show > ns-NAME.txt': 'a template: NAME stands for the reader\'s namespace',
  'node collector/dist/nsnap-collect.mjs import --host web-3 --taken-at 2025-11-29T03:12:00Z --boot-id 6f1c…-… --ip-link ip-link.txt --proc-ns proc-ns.txt --lsns lsns.txt --netns-list-id list-id.txt --netns 3793=ns-3793.txt --netns name:web=ns-web.txt --netns 4026532701=ns-x.txt --tag source=ticket-4711 --out s3://fleet-bundles/prod':
    'a template (boot id, pids and files are the reader\'s); test/import-cli.test.ts runs its forms',
  'npx tsc -b && node analyzer/build.mjs && node bench/analyzer.mjs': 'a benchmark of several minutes (bench/)',
  'node bench/analyzer.mjs --snapshots 200 --whois-snapshots 1000 --runs 5': 'a benchmark (bench/)',
  'node analyzer/dist/nsnap.cjs ingest s3://nsnap/prod --s3-endpoint http://minio:9000 --since 2026-11-01 --until 2026-11-30': 'names a MinIO host the test machine does not have',
  'node /usr/local/bin/nsnap-collect.mjs --tag phase=pre-deploy --out s3://bucket/nsnap': 'runs on a deployed host (docs/deploy.md installs the file)',
  './deploy.sh': 'the reader\'s own deploy',
  'node /usr/local/bin/nsnap-collect.mjs --tag phase=post-deploy --out s3://bucket/nsnap': 'runs on a deployed host (docs/deploy.md installs the file)',
  'node analyzer/dist/nsnap.cjs ingest s3://bucket/nsnap && node analyzer/dist/nsnap.cjs diff tag:phase=pre-deploy tag:phase=post-deploy --host web-1':
    'needs the two deployed runs above',
};

const COLLECT = /^node collector\/dist\/nsnap-collect\.mjs(?! import)/;
/**
 * Exit codes that mean "worked". A live run on a busy host is partial (1) whenever a process exits
 * mid-scan, and `ls` of /proc/* says 1 or 2 when the glob named pids that were gone when it read them; `check`
 * says 1 when it finds something.
 */
function okCodes(command: string): number[] {
  if (COLLECT.test(command) || / check$/.test(command)) return [0, 1];
  // Another run of this test at the same time holds a veth4a67fcf too: the name is then ambiguous (1), and the answer says so.
  if (command.endsWith(' capture veth4a67fcf')) return [0, 1];
  if (command.startsWith('ls -l /proc/*/ns/net')) return [0, 1, 2];
  return [0];
}

/** What some answers must show: the data the test laid out. */
const STDOUT: Record<string, RegExp> = {
  'node analyzer/dist/nsnap.cjs peers': /veth4a67fcf #\d+ \(.*\) ⇄ eth0 #\d+/,
  'node analyzer/dist/nsnap.cjs whois veth4a67fcf --at 2026-11-29T03:12': /taken 2026-11-29T03:00:00\.000Z: 12 min old at 2026-11-29T03:12:00\.000Z[\s\S]*veth4a67fcf/,
  'node analyzer/dist/nsnap.cjs whois veth4a67fcf --all': /veth4a67fcf/,
  'node analyzer/dist/nsnap.cjs snapshots': /web-1/,
  'node analyzer/dist/nsnap.cjs whois 10.42.3.17': /10\.42\.3\.17\/24 on eth0 #\d+ veth ⇄ veth4a67fcf/,
  'node analyzer/dist/nsnap.cjs capture veth4a67fcf': /^ {2}ip netns exec \S+ tcpdump -i veth4a67fcf -nn$|is ambiguous/m,
  'node collector/dist/nsnap-collect.mjs --stdout | jq \'.namespaces | length\'': /^\d+$/,
  'ls -l collector/dist/nsnap-collect.mjs': /nsnap-collect\.mjs/,
};

interface DocCommand {
  file: string;
  command: string;
}

/** The command lines of a markdown file's ```sh blocks: continuations joined, trailing comments and comment lines dropped. */
function shellCommands(file: string, markdown: string): DocCommand[] {
  const commands: DocCommand[] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const joined = (block[1] as string).replace(/\\\n\s*/g, ' ');
    let pending = '';
    for (const line of joined.split('\n')) {
      // A line inside an open double quote (a multi-line SQL statement) belongs to the command before.
      pending = pending === '' ? line : `${pending}\n${line}`;
      if ((pending.match(/"/g) ?? []).length % 2 === 1) continue;
      const command = pending.replace(/\s+#\s.*$/, '').replace(/\s+/g, ' ').trim();
      pending = '';
      if (command === '' || command.startsWith('#')) continue;
      commands.push({ file, command });
    }
  }
  return commands;
}

const DOC_FILES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const COMMANDS = DOC_FILES.flatMap((f) => shellCommands(f, readFileSync(path.join(ROOT, f), 'utf8')));

describe('the docs\' command list', () => {
  it('finds the commands, and every skip reason names a command the docs still have', () => {
    expect(COMMANDS.length).toBeGreaterThan(30);
    const present = new Set(COMMANDS.map((c) => c.command));
    expect(Object.keys(SKIPPED).filter((c) => !present.has(c))).toEqual([]);
    expect(Object.keys(STDOUT).filter((c) => !present.has(c))).toEqual([]);
  });

  it('uses no command a fresh machine lacks after npm run setup (pnpm, a bare nsnap)', () => {
    const bare = COMMANDS.filter((c) => /(^|[|&;]\s*)(pnpm|nsnap|nsnap-collect)\s/.test(c.command));
    expect(bare).toEqual([]);
  });
});

const skip = netnsSkipReason();

describe.skipIf(skip !== null)('README.md and docs/*.md, run verbatim', () => {
  const lab = new Lab();
  let work: string;
  let s3: S3rverHandle;
  let env: Record<string, string>;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'nsnap-docs-'));
    // The repository root as a reader sees it, without writing into the checkout.
    for (const dir of ['analyzer', 'collector', 'bench', 'scripts']) symlinkSync(path.join(ROOT, dir), path.join(work, dir));
    s3 = await startS3rver({ bucket: 'fleet-nsnap', extraBuckets: ['bucket', 'nsnap'] });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, LANG: 'C.UTF-8', ...S3RVER_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint };
    // The root collector's spool and lock default to /var/lib/nsnap: each command gets a tmpfs there.
    mkdirSync('/var/lib/nsnap', { recursive: true });

    // A container-like pair: veth4a67fcf in one namespace, eth0 (with a process) in the other.
    const a = await lab.addNetns('a');
    const b = await lab.addNetns('b');
    await lab.ip('-n', a.name, 'link', 'add', 'veth4a67fcf', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b.name);
    await lab.ip('-n', a.name, 'link', 'set', 'veth4a67fcf', 'up');
    await lab.sleepIn(b.name);
    await lab.ip('-n', b.name, 'addr', 'add', '10.42.3.17/24', 'dev', 'eth0');

    // An earlier snapshot of web-1, imported from the same namespaces as pasted at 03:00 on 2026-11-29.
    const files = path.join(work, 'pasted');
    mkdirSync(files);
    writeFileSync(path.join(files, 'a.txt'), await lab.ip('-n', a.name, '-d', 'link', 'show'));
    writeFileSync(path.join(files, 'b.txt'), await lab.ip('-n', b.name, '-d', 'link', 'show'));
    const imported = await runCli(COLLECTOR_BIN, ['import', '--host', 'web-1', '--taken-at', '2026-11-29T03:00:00Z', '--ip-link', path.join(files, 'a.txt'),
      '--host-netns', String(a.inode), '--netns', `inode:${b.inode}=${path.join(files, 'b.txt')}`, '--out', path.join(work, 'nsnap-data'), '--spool', path.join(work, 'spool')]);
    expect(imported.exitCode, String(imported.stderr)).toBe(0);
    // Something for the S3 examples to ingest.
    const stored = await runCli(COLLECTOR_BIN, ['--host', 'web-1', '--out', 's3://fleet-nsnap/prod', '--s3-endpoint', s3.endpoint, '--spool', path.join(work, 'spool'), '-q'], { env: { ...process.env, ...S3RVER_ENV } });
    expect([0, 1], String(stored.stderr)).toContain(stored.exitCode);
  }, 60_000);

  afterAll(async () => {
    await lab.cleanup();
    await s3?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const { file, command } of COMMANDS) {
    const reason = SKIPPED[command];
    if (reason !== undefined) {
      it.skip(`${file}: ${command} — skipped: ${reason}`, () => {});
      continue;
    }
    it(`${file}: ${command}`, async () => {
      // As the host web-1 (a UTS namespace of its own), with a private /var/lib/nsnap; the command itself runs as typed, under pipefail.
      const r = await execa(
        'unshare',
        ['--uts', '--mount', '--propagation', 'private', '--', 'bash', '-c', 'hostname web-1 && mount -t tmpfs nsnap-docs /var/lib/nsnap && exec bash -e -o pipefail -c "$1"', 'docs', command],
        { cwd: work, env, extendEnv: false, reject: false, timeout: 120_000 },
      );
      const shown = `exit ${r.exitCode}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
      expect(okCodes(command), shown).toContain(r.exitCode);
      expect(r.stderr, shown).not.toMatch(/command not found|No such file or directory|Usage: |error: unknown option/);
      const want = STDOUT[command];
      if (want) expect(r.stdout, shown).toMatch(want);
    }, 130_000);
  }
});
