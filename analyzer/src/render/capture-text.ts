import { escapeControl } from '@nsnap/shared/text';
import type { CaptureAnswer, CaptureCommand, CaptureDevice } from '../answer/capture.js';
import type { Owners } from '../answer/common.js';
import { describeOwner, formatDuration, snapshotLine } from './describe.js';

const owner = (d: Pick<CaptureDevice, 'netns' | 'host' | 'names' | 'processes' | 'containers'>): Owners => ({
  netns: d.netns,
  host: d.host,
  captured: true,
  problem: null,
  names: d.names,
  mounts: [],
  pids: d.processes.map((p) => p.pid),
  processes: d.processes.map((p) => ({ ...p, startTime: null })),
  containers: d.containers,
});

const deviceText = (d: { ifname: string; ifindex: number; netns: number; host: boolean }) => `${d.ifname} #${d.ifindex} in ${d.host ? 'the host namespace' : `netns ${d.netns}`}`;

/** A piece of a line: prose from raw answer fields (escaped for the terminal), or a shell word list printed as it is. */
type Piece = string | { shell: string };
type Line = Piece[];

/**
 * The shell lines are printed as they are, never escaped: escaping would change
 * the command. They are safe to print because `shellCommand` refused every word
 * holding a character a terminal acts on; names in prose are escaped as usual.
 */
function commandLines(c: CaptureCommand): Line[] {
  const head = c.on === 'peer' ? `or on its veth peer, ${deviceText(c.device)}:` : `capture on ${deviceText(c.device)}:`;
  if (c.shell === null) return [[head], [`  refused: ${c.refused ?? ''}`]];
  const lines: Line[] = [[head], ['  ', { shell: c.shell }]];
  if (c.verify) {
    const v = c.verify;
    lines.push(
      [`  pid ${v.pid} (${v.comm ?? '?'}) was the namespace's oldest process at the snapshot${v.startTime !== null ? `, started ${v.startTime} ticks after boot` : ''};`],
      ['  a pid may have been reused since: first check that'],
    );
    for (const k of v.checks) lines.push(['    ', { shell: k.shell }, `    prints ${k.expect}`]);
  }
  return lines;
}

export function renderCapture(a: CaptureAnswer): string {
  const lines: Line[] = [[`${snapshotLine(a.snapshot)}: ${formatDuration(a.snapshot.ageSeconds * 1000)} old; the namespaces may have changed since`], ['']];
  if (a.status === 'unknown') lines.push([`nothing to capture on for ${JSON.stringify(a.query)}: ${a.reason ?? ''}`]);
  if (a.status === 'ambiguous') {
    lines.push([`${JSON.stringify(a.query)} is ambiguous: ${a.reason ?? ''}`]);
    for (const d of a.candidates) lines.push([`  ${deviceText(d)} (${describeOwner(owner(d))})`]);
  }
  if (a.device) {
    lines.push([`${a.device.ifname} #${a.device.ifindex}${a.device.kind ? ` ${a.device.kind}` : ''} in ${describeOwner(owner(a.device))}`], ['']);
    for (const c of a.commands) lines.push(...commandLines(c));
    if (a.status === 'refused') lines.push([''], ['no command can be written safely for it']);
  }
  return lines.map((line) => `${line.map((p) => (typeof p === 'string' ? escapeControl(p) : p.shell)).join('')}\n`).join('');
}

export const CAPTURE_HELP = `
The device: a name (eth0 in many namespaces is ambiguous: add --netns), or a container's or pod's
namespace, whose one device besides lo is taken. The way in, best first: none in the host namespace;
ip netns exec NAME for a named namespace; nsenter --net=/proc/PID/ns/net through the namespace's
oldest process (with the checks that tell its pid was not reused since the snapshot); nsenter through
a bind mount. A veth with a proven peer gets a second command on the peer (a container's eth0: the
host-side veth). Names come from the host and are untrusted: a word is printed bare or in single
quotes, and one that cannot be shown as exactly itself (bytes that are not UTF-8, control or invisible
characters) makes its command refused, with the reason. Exit code 0 with a command, 1 when the device
is unknown or ambiguous or every command was refused.

Output:
  capture on eth0 #2 in netns 4026532701:
    ip netns exec blue tcpdump -i eth0 -nn
  or on its veth peer, veth4a67fcf #21 in the host namespace:
    tcpdump -i veth4a67fcf -nn

JSON: {"query","snapshot":{"id","host","takenAt","bootId","ageSeconds"},"status":"ok|ambiguous|unknown|refused","reason",
       "device":{"netns","ifname","ifindex","kind","host","names","processes","containers"},
       "commands":[{"on":"device|peer","via":"host|named-netns|pid|mount","device":{…},"argv","shell","refused",
                    "verify":{"pid","comm","startTime","bootId","checks":[{"argv","shell","expect"}]}}],"candidates":[…]}

Examples:
  nsnap capture veth4a67fcf --host web-1
  nsnap capture 794e0b37                    # a container's device
  nsnap capture eth0 --netns 4026532701
  nsnap capture pod:0f4d1c6e-5b2a-4c1e-9d3f-2a7b8c9d0e1f --json | jq -r '.commands[].shell'
`;
