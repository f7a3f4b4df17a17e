// Realistic bundles for bench/analyzer.mjs. The shapes come from one real
// collector run (captureTemplate: a bridge and two namespaces with a veth and
// a sleeping process each); SimHost then clones them into a docker-like host
// of N containers — each a bind-mounted namespace with lo and eth0, a host
// veth on the bridge, two processes in a docker cgroup — and churns it:
// between snapshots some containers die and new ones start with new inodes,
// nsids, ifindexes, veth names, pids and container ids, as on a real node.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { uuidv7, bundleKey } = await import(path.join(root, 'shared/dist/index.js'));

function ipBatch(lines) {
  const r = spawnSync('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -batch failed: ${r.stderr}`);
}

const netnsOf = (pid) => spawnSync('readlink', [`/proc/${pid}/ns/net`], { encoding: 'utf8' }).stdout.trim();

/** Runs the real collector over a two-namespace topology built for it (root), and removes the topology. */
export async function captureTemplate(collector) {
  const prefix = `ab${randomBytes(2).toString('hex')}`;
  const sleepers = [];
  try {
    ipBatch([`link add ${prefix}br type bridge`, `link set ${prefix}br up`, `netns add ${prefix}n0`, `netns add ${prefix}n1`]);
    ipBatch([0, 1].flatMap((i) => [`link add ${prefix}v${i} type veth peer name eth0 netns ${prefix}n${i}`, `link set ${prefix}v${i} master ${prefix}br up`]));
    for (const i of [0, 1]) {
      const r = spawnSync('ip', ['-n', `${prefix}n${i}`, '-batch', '-'], { input: `link set eth0 up\naddr add 172.30.0.${i + 2}/16 dev eth0\n`, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip -n … -batch failed: ${r.stderr}`);
    }
    const own = netnsOf('self');
    for (const i of [0, 1]) {
      const child = spawn('ip', ['netns', 'exec', `${prefix}n${i}`, 'sleep', '100000'], { stdio: 'ignore', detached: true });
      child.unref();
      sleepers.push(child.pid);
    }
    for (const pid of sleepers) {
      for (let t = 0; t < 400 && (netnsOf(pid) === own || readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sleep'); t++) await new Promise((r) => setTimeout(r, 5));
    }
    const r = spawnSync(process.execPath, [collector, '--stdout', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    // Exit 1 is a partial run (e.g. /proc/1/ns/net denied in a sandbox): the bundle is still whole.
    if (r.status !== 0 && r.status !== 1) throw new Error(`collector exited ${r.status}: ${r.stderr.slice(0, 500)}`);
    return { bundle: JSON.parse(r.stdout), prefix };
  } finally {
    for (const pid of sleepers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    spawnSync('ip', ['-force', '-batch', '-'], { input: `netns delete ${prefix}n0\nnetns delete ${prefix}n1\nlink delete ${prefix}br\n` });
  }
}

/**
 * The top-level JSON arrays of an `ip -j -batch` output. iproute2 writes an alias's control bytes raw
 * (a newline too), so another namespace on the machine (the test suite's hostile neighbour) can break
 * both the line split and JSON.parse: arrays are cut by a scan that knows strings, and control
 * characters inside strings become spaces (only the host's own plain devices are kept from it).
 */
function batchArrays(stdout) {
  const out = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let current = '';
  for (const c of stdout) {
    if (depth === 0 && c !== '[') continue;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      current += c < ' ' ? ' ' : c;
      continue;
    }
    current += c;
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && --depth === 0) {
      out.push(JSON.parse(current));
      current = '';
    }
  }
  return out;
}

/** The pieces SimHost clones, cut out of the template bundle. */
export function templateParts({ bundle, prefix }) {
  const host = bundle.namespaces.find((n) => n.isHost);
  const [hostLinks, hostAddrs] = batchArrays(host.captures[0].stdout);
  const addrOf = (addrs, name) => addrs.find((a) => a.ifname === name);
  // Other namespaces may exist on this machine while the template is taken: keep only the host's own plain devices.
  const base = hostLinks.filter((l) => !l.ifname.startsWith(prefix) && l.link_netnsid === undefined && l.master === undefined && l.linkinfo?.info_kind !== 'veth');
  const named = bundle.handles.find((h) => h.name === `${prefix}n0`);
  const ns = bundle.namespaces.find((n) => n.inode === named.inode);
  const [nsLinks, nsAddrs] = batchArrays(ns.captures[0].stdout);
  return {
    bundle,
    hostInode: host.inode,
    hostCapture: host.captures[0],
    baseLinks: base,
    baseAddrs: base.map((l) => addrOf(hostAddrs, l.ifname)),
    bridge: hostLinks.find((l) => l.ifname === `${prefix}br`),
    bridgeAddr: addrOf(hostAddrs, `${prefix}br`),
    veth: hostLinks.find((l) => l.ifname === `${prefix}v0`),
    vethAddr: addrOf(hostAddrs, `${prefix}v0`),
    nsCapture: ns.captures[0],
    nsEntered: ns.entered,
    nsLinks,
    nsAddrs,
    hostProcesses: bundle.processes.filter((p) => p.netns === host.inode || p.netns === null),
    sleeper: bundle.processes.find((p) => p.netns === ns.inode),
    // The collector reads the host's nsid map only when `ip netns list-id` leaves an nsid without a
    // name; the simulated containers' nsids have none, but on this machine (named template
    // namespaces, maybe other named ones) the map may have been skipped: then its capture is made
    // here, in the collector's form (the stdout is written per snapshot).
    lsns: bundle.nsidMaps.find((m) => m.observer === host.inode) ?? {
      observer: host.inode,
      why: 'host map',
      capture: { spec: 'lsns_net_json', argv: ['lsns', '-t', 'net', '-J', '-o', 'NS,PID,NETNSID,NSFS'], stdin: null, exitCode: 0, stdout: '', stderr: '', durationMs: 28, timedOut: false, failure: null },
    },
  };
}

// mulberry32: the same seed gives the same host history.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMS = [['pause', 'nginx'], ['tini', 'node'], ['pause', 'redis-server'], ['sh', 'java'], ['pause', 'envoy']];

export class SimHost {
  constructor(parts, { label, namespaces, churn, seed, start, stepMs = 300_000, bridge = 'docker0' }) {
    this.p = parts;
    this.label = label;
    this.churnCount = Math.round(namespaces * churn);
    this.random = rng(seed);
    this.t = Date.parse(start);
    this.stepMs = stepMs;
    this.bridgeName = bridge;
    this.nextInode = parts.hostInode + 400;
    this.nextIfindex = Math.max(...parts.baseLinks.map((l) => l.ifindex)) + 2;
    this.bridgeIfindex = this.nextIfindex - 1;
    this.nextPid = 2000;
    this.ticks = 1_000_000;
    this.freeNsids = [];
    this.nextNsid = 0;
    this.namespaces = [];
    for (let i = 0; i < namespaces; i++) this.namespaces.push(this.newNamespace());
    const bridge0 = { ...parts.bridge, ifindex: this.bridgeIfindex, ifname: bridge, address: this.mac() };
    const bridgeIp = { family: 'inet', local: '172.17.0.1', prefixlen: 16, scope: 'global', label: bridge, valid_life_time: 4294967295, preferred_life_time: 4294967295 };
    this.bridgeJson = [JSON.stringify(bridge0), JSON.stringify({ ...parts.bridgeAddr, ifindex: this.bridgeIfindex, ifname: bridge, address: bridge0.address, addr_info: [bridgeIp] })];
    this.baseJson = [parts.baseLinks.map((l) => JSON.stringify(l)), parts.baseAddrs.map((a) => JSON.stringify(a))];
    /** Interfaces in the latest snapshot (every namespace's lo and eth0, the host's devices). */
    this.interfaces = 0;
    /** The namespaces of the latest snapshot. */
    this.current = [];
  }

  hex(n) {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.random() * 16).toString(16);
    return s;
  }

  mac() {
    return `02:${this.hex(2)}:${this.hex(2)}:${this.hex(2)}:${this.hex(2)}:${this.hex(2)}`;
  }

  newNamespace() {
    this.nextInode += 1 + Math.floor(this.random() * 8);
    const nsid = this.freeNsids.length > 0 ? this.freeNsids.sort((a, b) => a - b).shift() : this.nextNsid++;
    const hostIfindex = this.nextIfindex++;
    const veth = `veth${this.hex(7)}`;
    const ip = `172.17.${(hostIfindex >> 8) & 255}.${hostIfindex & 255}`;
    const eth0Mac = this.mac();
    const vethMac = this.mac();
    const p = this.p;
    const [loLink, ethLink] = p.nsLinks;
    const [loAddr, ethAddr] = p.nsAddrs;
    const eth = { ...ethLink, link_index: hostIfindex, address: eth0Mac };
    const ethA = {
      ...ethAddr,
      link_index: hostIfindex,
      address: eth0Mac,
      addr_info: ethAddr.addr_info.map((a) => (a.family === 'inet' ? { ...a, local: ip, prefixlen: 16 } : { ...a, local: `fe80::${this.hex(4)}:${this.hex(4)}`, tentative: undefined })),
    };
    const stdout = `${JSON.stringify([loLink, eth])}\n${JSON.stringify([loAddr, ethA])}\n`;
    const hostVeth = { ...p.veth, ifindex: hostIfindex, link_index: 2, ifname: veth, master: this.bridgeName, address: vethMac, link_netnsid: nsid };
    const hostVethA = { ...p.vethAddr, ifindex: hostIfindex, link_index: 2, ifname: veth, master: this.bridgeName, address: vethMac, link_netnsid: nsid };
    const container = this.hex(64);
    const cgroup = p.sleeper.cgroup.replace(/^(\d+:[^:]*:).*$/gm, `$1/system.slice/docker-${container}.scope`);
    const comms = COMMS[Math.floor(this.random() * COMMS.length)];
    const inode = this.nextInode;
    // In their own namespace: the template's sleeper names the namespace of the run the template was
    // taken from, which no simulated bundle captures.
    const processes = comms.map((comm) => {
      this.nextPid += 1 + Math.floor(this.random() * 40);
      return { ...p.sleeper, pid: this.nextPid, netns: inode, comm, cgroup, startTime: this.ticks++ };
    });
    const bind = `/run/docker/netns/${this.hex(12)}`;
    return {
      inode,
      nsid,
      veth,
      processes,
      handle: { kind: 'bind', path: bind, name: null, inode, error: null },
      capture: { inode, isHost: false, entered: { via: 'file', path: bind, pid: null }, attempts: [], captures: [{ ...p.nsCapture, stdout, durationMs: 2 + this.random() * 6 }], failure: null },
      hostJson: [JSON.stringify(hostVeth), JSON.stringify(hostVethA)],
    };
  }

  /** Some containers die, as many start. */
  churn() {
    for (let i = 0; i < this.churnCount; i++) {
      const [gone] = this.namespaces.splice(Math.floor(this.random() * this.namespaces.length), 1);
      this.freeNsids.push(gone.nsid);
    }
    for (let i = 0; i < this.churnCount; i++) this.namespaces.push(this.newNamespace());
  }

  /** The bundle the collector would write now; then time passes and the host churns. */
  snapshot() {
    const p = this.p;
    const ns = [...this.namespaces].sort((a, b) => a.inode - b.inode);
    const line = (i) => `[${[...this.baseJson[i], this.bridgeJson[i], ...ns.map((n) => n.hostJson[i])].join(',')}]`;
    const listId = JSON.stringify(ns.map((n) => ({ nsid: n.nsid })).sort((a, b) => a.nsid - b.nsid));
    const hostCapture = { ...p.hostCapture, stdout: `${line(0)}\n${line(1)}\n${listId}\n`, durationMs: 4 + this.random() * 4 };
    const lsns = {
      namespaces: [
        { ns: p.hostInode, pid: 2, netnsid: 'unassigned', nsfs: null },
        ...ns.map((n) => ({ ns: n.inode, pid: n.processes[0].pid, netnsid: String(n.nsid), nsfs: n.handle.path })),
      ],
    };
    const duration = 150 + ns.length * 1.5 + this.random() * 50;
    const bundle = {
      schemaVersion: 1,
      snapshotId: uuidv7(this.t),
      takenAt: { start: new Date(this.t).toISOString(), end: new Date(this.t + duration).toISOString() },
      collector: p.bundle.collector,
      tags: {},
      host: { ...p.bundle.host, label: this.label, hostname: this.label },
      hostNetns: { inode: p.hostInode, error: null },
      processes: [...p.hostProcesses, ...ns.flatMap((n) => n.processes)].sort((a, b) => a.pid - b.pid),
      handles: ns.map((n) => n.handle).sort((a, b) => (a.path < b.path ? -1 : 1)),
      namespaces: [{ ...p.bundle.namespaces.find((n) => n.isHost), captures: [hostCapture] }, ...ns.map((n) => n.capture)],
      nsidMaps: [{ ...p.lsns, capture: { ...p.lsns.capture, stdout: `${JSON.stringify(lsns, null, 3)}\n` } }],
      probes: p.bundle.probes.map((pr) => ({ ...pr, durationMs: Math.round(pr.durationMs * (0.8 + this.random() * 0.4) * 1000) / 1000 })),
      gaps: p.bundle.gaps,
    };
    this.interfaces = p.baseLinks.length + 1 + ns.length * 3;
    this.current = ns;
    this.t += this.stepMs;
    this.churn();
    return bundle;
  }
}

const gzipAsync = promisify(gzip);

/**
 * What today's collector adds to a simulated bundle: each container namespace's routes, rules and
 * neighbours (in its batch, as `ip -j` prints them; the same while the namespace lives) and the
 * runtime's name for its container. Called before the bundle is written; the host's own capture is
 * the template's, as the collector took it.
 */
const LISTS = 'route show table all\nrule show\nneigh show\n';
export function withNames(bundle) {
  const containerOf = new Map(bundle.processes.map((p) => [p.netns, /docker-([0-9a-f]{64})\.scope/.exec(p.cgroup ?? '')?.[1]]));
  bundle.namespaces = bundle.namespaces.map((ns) => {
    if (ns.isHost) return ns;
    const [capture] = ns.captures;
    const ip = JSON.parse(capture.stdout.split('\n')[1]).flatMap((a) => a.addr_info).find((a) => a.family === 'inet')?.local ?? '172.17.0.2';
    const routes = [
      { dst: 'default', gateway: '172.17.0.1', dev: 'eth0', flags: [] },
      { dst: '172.17.0.0/16', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: ip, flags: [] },
      { type: 'local', dst: ip, table: 'local', dev: 'eth0', protocol: 'kernel', scope: 'host', prefsrc: ip, flags: [] },
      { type: 'local', dst: '127.0.0.0/8', table: 'local', dev: 'lo', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
    ];
    const rules = [{ priority: 0, src: 'all', table: 'local' }, { priority: 32766, src: 'all', table: 'main' }, { priority: 32767, src: 'all', table: 'default' }];
    const neighbours = [{ dst: '172.17.0.1', dev: 'eth0', lladdr: '02:42:ac:11:00:01', state: ['REACHABLE'] }];
    const stdout = `${capture.stdout}${[routes, rules, neighbours].map((l) => JSON.stringify(l)).join('\n')}\n`;
    return { ...ns, captures: [{ ...capture, stdin: `link show\naddr show\n${LISTS}`, stdout }] };
  });
  const ids = [...new Set([...containerOf.values()].filter(Boolean))];
  bundle.runtimeNames = {
    pods: ids.map((id) => ({ uid: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`, namespace: 'shop', name: `web-${id.slice(0, 10)}` })),
    containers: ids.map((id) => ({ source: 'docker', id, name: `web-${id.slice(0, 10)}`, image: 'registry.example/shop/web:1.42', pod: null })),
  };
}

/**
 * Writes `count` snapshots of `host` under `dir` as the collector stores them
 * (gzip level 6, `host=…/date=…/…json.gz`). zlib's async gzip runs on the
 * thread pool, so compression uses every core. Returns the interfaces written.
 */
export async function writeSnapshots(host, dir, count, onBundle = () => {}) {
  let interfaces = 0;
  const inFlight = new Set();
  for (let i = 0; i < count; i++) {
    const bundle = host.snapshot();
    interfaces += host.interfaces;
    onBundle(bundle, i);
    const file = path.join(dir, bundleKey({ host: bundle.host.label, takenAt: bundle.takenAt.start, snapshotId: bundle.snapshotId }));
    mkdirSync(path.dirname(file), { recursive: true });
    const job = gzipAsync(JSON.stringify(bundle), { level: 6 }).then((gz) => writeFileSync(file, gz));
    inFlight.add(job);
    job.finally(() => inFlight.delete(job));
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return interfaces;
}
