import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { decodeBundle } from '@nsnap/shared';
import { NEEDED_CAPABILITIES } from '../collector/src/doctor/privileges.js';
import { defaultSpoolRoot } from '../collector/src/store/default-paths.js';
import { COLLECTOR_BIN, COLLECTOR_BUNDLE, ROOT, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const DEPLOY = path.join(ROOT, 'collector/deploy');
const read = (name: string) => readFileSync(path.join(DEPLOY, name), 'utf8');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-deploy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `Key=value` settings of a unit file (comments and section headers dropped); a repeated key keeps every value. */
function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  return settings;
}

const one = (settings: Map<string, string[]>, key: string) => {
  const values = settings.get(key);
  expect(values, key).toHaveLength(1);
  return values![0]!;
};

/** Every `--flag` the main command's help lists. */
async function helpFlags(): Promise<Set<string>> {
  const help = await runCli(COLLECTOR_BIN, ['--help']);
  expect(help.exitCode).toBe(0);
  return new Set(String(help.stdout).match(/--[a-z0-9-]+/g));
}

const service = unitSettings(read('nsnap-collect.service'));
const timer = unitSettings(read('nsnap-collect.timer'));
const EXEC_PREFIX = ['/usr/bin/node', '/usr/local/bin/nsnap-collect.mjs'];

const analyzeMissing = (() => {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(path.join(dir, 'systemd-analyze'))) return null;
  return 'systemd-analyze is not installed (apt-get install systemd)';
})();
if (analyzeMissing) console.warn(`skipping systemd-analyze checks: ${analyzeMissing}`);

describe.skipIf(analyzeMissing)('systemd units, checked by systemd-analyze', () => {
  it('verify finds nothing wrong in the service and the timer', async () => {
    const r = await execa('systemd-analyze', ['verify', 'nsnap-collect.service', 'nsnap-collect.timer'], { cwd: DEPLOY, reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('the sandbox keeps its exposure score low (systemd-analyze security --offline)', async () => {
    const r = await execa('systemd-analyze', ['security', '--offline=yes', '--no-pager', './nsnap-collect.service'], { cwd: DEPLOY, reject: false });
    const m = /Overall exposure level for nsnap-collect\.service: (\d+\.\d+)/.exec(String(r.stdout));
    expect(m, String(r.stdout).slice(-500)).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(3.5);
  });
});

describe('systemd units, structure', () => {
  it('the service runs the single file with node, only with flags the collector accepts', async () => {
    const argv = one(service, 'ExecStart').split(/\s+/);
    expect(argv.slice(0, 2)).toEqual(EXEC_PREFIX);
    const flags = await helpFlags();
    for (const flag of argv.filter((a) => a.startsWith('--'))) expect(flags, flag).toContain(flag);
    expect(one(service, 'Type')).toBe('oneshot');
    // A partial snapshot (1) and a run stopped by systemd (143) are not unit failures; 3–6 are.
    expect(one(service, 'SuccessExitStatus').split(/\s+/).sort()).toEqual(['1', '143']);
    expect(one(service, 'EnvironmentFile')).toBe('/etc/nsnap/nsnap-collect.env');
  });

  it('is hardened, and the one writable place holds the collector\'s default spool and lock', () => {
    for (const [key, value] of Object.entries({ ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', NoNewPrivileges: 'yes', RestrictNamespaces: 'net' })) expect(one(service, key), key).toBe(value);
    const state = path.join('/var/lib', one(service, 'StateDirectory'));
    expect(defaultSpoolRoot({}, 0, '/root').startsWith(`${state}/`)).toBe(true);
    // These would cut the run off from what it reads: the host network, other users, /proc, Node's JIT.
    for (const key of ['PrivateNetwork', 'PrivateUsers', 'ProtectProc', 'ProcSubset', 'MemoryDenyWriteExecute']) expect(service.has(key), key).toBe(false);
  });

  it('keeps exactly the capabilities the doctor checks for', () => {
    expect(one(service, 'CapabilityBoundingSet').split(/\s+/).sort()).toEqual(NEEDED_CAPABILITIES.map((c) => c.name).sort());
  });

  it('the timer spreads a fleet with a randomized delay', () => {
    expect(one(timer, 'OnCalendar')).toMatch(/\S/);
    expect(one(timer, 'RandomizedDelaySec')).toMatch(/^\d+(s|min)?$/);
    expect(one(timer, 'WantedBy')).toBe('timers.target');
  });
});

describe('IAM policies', () => {
  type Statement = { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>>; NotAction?: unknown; NotResource?: unknown };
  const policy = (name: string) => JSON.parse(read(name)) as { Version: string; Statement: Statement[] };
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  const out = /^NSNAP_OUT=s3:\/\/([^/\s]+)\/(\S+)$/m.exec(read('nsnap-collect.env.example'));

  it('the env example names the bucket and prefix both policies are written for', () => {
    expect(out).not.toBeNull();
  });

  it('collectors may only put objects, below the one prefix', () => {
    const p = policy('iam-collector-policy.json');
    expect(p.Version).toBe('2012-10-17');
    expect(p.Statement).toHaveLength(1);
    const [s] = p.Statement;
    expect(s).toMatchObject({ Effect: 'Allow' });
    expect(Object.keys(s!).sort()).toEqual(['Action', 'Effect', 'Resource', 'Sid']);
    expect(list(s!.Action)).toEqual(['s3:PutObject']);
    expect(list(s!.Resource)).toEqual([`arn:aws:s3:::${out![1]}/${out![2]}/*`]);
  });

  it('analysts may list the prefix and read the objects in it, nothing else', () => {
    const p = policy('iam-analyst-policy.json');
    expect(p.Version).toBe('2012-10-17');
    expect(p.Statement.every((s) => s.Effect === 'Allow' && s.NotAction === undefined && s.NotResource === undefined)).toBe(true);
    expect(p.Statement.flatMap((s) => list(s.Action)).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    const listing = p.Statement.find((s) => list(s.Action).includes('s3:ListBucket'))!;
    expect(list(listing.Resource)).toEqual([`arn:aws:s3:::${out![1]}`]);
    expect(listing.Condition).toEqual({ StringLike: { 's3:prefix': `${out![2]}/*` } });
    const reading = p.Statement.find((s) => list(s.Action).includes('s3:GetObject'))!;
    expect(list(reading.Resource)).toEqual([`arn:aws:s3:::${out![1]}/${out![2]}/*`]);
  });
});

describe('environment file example', () => {
  const settings = read('nsnap-collect.env.example')
    .split('\n')
    .map((l) => l.replace(/^#(?=[A-Z][A-Z0-9_]*=)/, ''))
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l));

  it('sets the store and the AWS settings as plain KEY=value lines both systemd and sh read alike', () => {
    const keys = settings.map((l) => l.slice(0, l.indexOf('=')));
    for (const key of ['NSNAP_OUT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_ENDPOINT_URL_S3']) expect(keys).toContain(key);
    for (const line of settings) expect(line.slice(line.indexOf('=') + 1)).toMatch(/^[^\s'"$`\\]+$/);
  });
});

describe('cron line', () => {
  const text = read('nsnap-collect.cron');
  const jobs = text.split('\n').filter((l) => /^[*\d]/.test(l));
  const job = /^(\S+ \S+ \S+ \S+ \S+) root (.+)$/.exec(jobs[0] ?? '');

  it('is one job run as root, with the lock and --splay flags the collector accepts', async () => {
    expect(jobs).toHaveLength(1);
    expect(job).not.toBeNull();
    const command = job![2]!;
    expect(command).toContain(`${EXEC_PREFIX.join(' ')} `);
    expect(command).toMatch(/--lock \/\S+/);
    const splay = /--splay (\S+)/.exec(command);
    expect(Number(splay?.[1])).toBeGreaterThan(0);
    expect(Number(splay?.[1])).toBeLessThanOrEqual(3600);
    const flags = await helpFlags();
    for (const flag of command.match(/--[a-z0-9-]+/g) ?? []) expect(flags, flag).toContain(flag);
  });

  it('runs as cron runs it: sources the env file, stores a bundle, says nothing on success, releases the lock', async () => {
    const store = path.join(tmp, 'cron-store');
    const env = path.join(tmp, 'nsnap-collect.env');
    writeFileSync(env, `NSNAP_OUT=${store}\nAWS_REGION=eu-central-1\n`, { mode: 0o600 });
    const lock = path.join(tmp, 'cron.lock');
    // The job's own command; only the installed paths point into the checkout and the temp dir.
    const command = job![2]!
      .replace('/etc/nsnap/nsnap-collect.env', env)
      .replace(EXEC_PREFIX.join(' '), `${process.execPath} ${COLLECTOR_BUNDLE}`)
      .replace(/--lock \S+/, `--lock ${lock}`)
      .replace(/--splay \S+/, '--splay 1');
    const r = await execa('/bin/sh', ['-c', `${command} --spool ${path.join(tmp, 'cron-spool')}`], { reject: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, extendEnv: false });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect([0, 1]).toContain(r.exitCode);
    const files = readdirSync(store, { recursive: true }).map(String).filter((f) => f.endsWith('.json.gz'));
    expect(files).toHaveLength(1);
    expect(decodeBundle(readFileSync(path.join(store, files[0]!))).schemaVersion).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });
});

const skip = netnsSkipReason();

describe.skipIf(skip)('the service\'s capability set, measured', () => {
  const lab = new Lab();
  const inodes: Record<string, number> = {};
  afterAll(() => lab.cleanup());

  beforeAll(async () => {
    inodes.named = (await lab.addNetns('cn')).inode;
    inodes.rootProcess = (await lab.sleepInNewNetns()).inode;
    // Held only by a process of another user, as a container's namespace is.
    const child = spawn('unshare', ['--net', 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sleep', '100000'], { stdio: 'ignore', detached: true });
    child.unref();
    lab.trackPid(child.pid!);
    for (let i = 0; i < 200 && inodes.otherUser === undefined; i++) {
      const link = await import('node:fs/promises').then((fs) => fs.readlink(`/proc/${child.pid}/ns/net`)).catch(() => '');
      const own = await import('node:fs/promises').then((fs) => fs.readlink('/proc/self/ns/net'));
      if (link !== '' && link !== own) inodes.otherUser = Number(/\[(\d+)\]/.exec(link)![1]);
      else await new Promise((r) => setTimeout(r, 10));
    }
    expect(inodes.otherUser).toBeDefined();
  });

  /** The unit's ExecStart with its NSNAP_OUT, under `setpriv` with the given bounding set; the namespaces of the stored bundle. */
  async function runAsUnit(caps: string[], name: string) {
    const store = path.join(tmp, `unit-${name}`);
    const argv = one(service, 'ExecStart')
      .split(/\s+/)
      .map((a) => (a === '${NSNAP_OUT}' ? store : a === EXEC_PREFIX[0] ? process.execPath : a === EXEC_PREFIX[1] ? COLLECTOR_BUNDLE : a));
    const bounding = `--bounding-set=-all${caps.map((c) => `,+${c.replace(/^CAP_/, '').toLowerCase()}`).join('')}`;
    const r = await execa('setpriv', [bounding, '--inh-caps=-all', ...argv, '--spool', path.join(tmp, `spool-${name}`)], { reject: false });
    expect(r.exitCode, String(r.stderr)).toBeLessThanOrEqual(1);
    const bundle = decodeBundle(readFileSync(String(r.stdout).trim()));
    return (inode: number) => bundle.namespaces.find((n) => n.inode === inode);
  }

  it('the bounding set of the unit suffices: every namespace captured, with real links', async () => {
    const caps = one(service, 'CapabilityBoundingSet').split(/\s+/);
    const find = await runAsUnit(caps, 'unit');
    for (const [what, inode] of Object.entries(inodes)) {
      const ns = find(inode);
      expect(ns, what).toBeDefined();
      expect(ns!.failure, what).toBeNull();
      expect(ns!.captures[0]!.stdout, what).toContain('"ifname":"lo"');
    }
  });

  it('each capability is needed: without CAP_SYS_PTRACE process-held namespaces vanish, without CAP_SYS_ADMIN none is entered', async () => {
    const noPtrace = await runAsUnit(['CAP_SYS_ADMIN'], 'no-ptrace');
    expect(noPtrace(inodes.rootProcess!)).toBeUndefined();
    expect(noPtrace(inodes.otherUser!)).toBeUndefined();
    expect(noPtrace(inodes.named!)?.failure).toBeNull();
    const noAdmin = await runAsUnit(['CAP_SYS_PTRACE'], 'no-admin');
    for (const [what, inode] of Object.entries(inodes)) expect(noAdmin(inode)?.failure?.reason, what).toBe('denied');
  });
});
