import { escapeControl } from '@nsnap/shared/text';
import type { PeersAnswer } from '../answer/peers.js';
import type { ShowAnswer } from '../answer/show.js';
import { describeOwner, formatDuration, shortContainer } from './describe.js';

/**
 * The DOT frontend's escaping: a double-quoted DOT string of raw lines. Control and bidi
 * characters and bytes that were not UTF-8 become visible escapes as in text output (escapeControl);
 * then `\` and `"` are escaped for DOT, so no name can end the string or use Graphviz's `\N`, `\G`,
 * `\l` escapes; and `&` becomes `&amp;`, so no name is read as an HTML entity when Graphviz draws
 * the label (an entity such as `&#0;` would even make its SVG invalid XML).
 */
export function dotString(...lines: string[]): string {
  return `"${lines.map((l) => escapeControl(l).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/&/g, '&amp;')).join('\\n')}"`;
}
const q = dotString;

const nodeId = (netns: number, ifindex: number) => `"if_${netns}_${ifindex}"`;

/**
 * Graphviz DOT for one snapshot: each namespace a cluster labelled with its
 * owners, each interface (but lo) a node, bridges as their own shape, bridge
 * ports joined to their master, veth pairs as bold undirected edges, lower
 * devices as dotted arrows to their parent; unpaired veths in red.
 */
export function renderDot(show: ShowAnswer, peers: PeersAnswer): string {
  const out: string[] = [];
  const snap = show.snapshot;
  out.push('graph nsnap {');
  const age = snap.asOf ? ` (in force at ${snap.asOf}: ${formatDuration(Date.parse(snap.asOf) - Date.parse(snap.takenAt))} old then)` : '';
  out.push(`  graph [label=${q(`${snap.host} — snapshot ${snap.id} — ${snap.takenAt}${age}`)}, labelloc=t, rankdir=LR, fontname="Helvetica", compound=true];`);
  out.push('  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];');
  out.push('  edge [fontname="Helvetica", fontsize=9];');
  const unpaired = new Map(peers.unpaired.map((u) => [`${u.netns}:${u.ifindex}`, u]));
  for (const ns of show.namespaces) {
    out.push(`  subgraph "cluster_ns_${ns.netns}" {`);
    const owner = ns.host ? [`host netns ${ns.netns}`] : [describeOwner({ ...ns, containers: [] }), ...ns.containers.map((c) => `${c.runtime} ${shortContainer(c)}`)];
    out.push(`    label=${q(...owner)};`);
    out.push(`    style=${ns.host ? '"filled"' : '"rounded,filled"'}; fillcolor=${ns.host ? '"#f4f4f4"' : '"#eef5ff"'};`);
    const shown = ns.interfaces.filter((i) => i.linkType !== 'loopback');
    if (shown.length === 0) out.push(`    "empty_${ns.netns}" [label=${q(ns.captured ? 'no interfaces but lo' : 'not captured')}, shape=plaintext];`);
    for (const i of shown) {
      const u = unpaired.get(`${ns.netns}:${i.ifindex}`);
      const attrs = [`label=${q(i.ifname, `#${i.ifindex}${i.kind ? ` ${i.kind}` : ''}${i.operstate && i.operstate !== 'UP' ? ` ${i.operstate}` : ''}`)}`];
      if (i.kind === 'bridge' || i.kind === 'bond' || i.kind === 'vrf' || i.kind === 'openvswitch') attrs.push('shape=box3d', 'style=filled', 'fillcolor="#fff3c4"');
      if (u) attrs.push('color=red', 'fontcolor=red', `tooltip=${q(`${u.reason}: ${u.detail}`)}`);
      out.push(`    ${nodeId(ns.netns, i.ifindex)} [${attrs.join(', ')}];`);
    }
    out.push('  }');
  }
  for (const ns of show.namespaces) {
    const byName = new Map(ns.interfaces.map((i) => [i.ifname, i]));
    for (const i of ns.interfaces) {
      const m = i.master !== null ? byName.get(i.master) : undefined;
      if (m) out.push(`  ${nodeId(ns.netns, i.ifindex)} -- ${nodeId(ns.netns, m.ifindex)} [style=dashed, color="#888888"];`);
    }
  }
  for (const p of peers.pairs) {
    out.push(`  ${nodeId(p.a.netns, p.a.ifindex)} -- ${nodeId(p.b.netns, p.b.ifindex)} [penwidth=2, color="#1f5fbf", label=${q('veth')}, tooltip=${q(p.method)}];`);
  }
  for (const l of peers.lowers) {
    if (!l.target) continue;
    out.push(`  ${nodeId(l.end.netns, l.end.ifindex)} -- ${nodeId(l.target.netns, l.target.ifindex)} [style=dotted, dir=forward, label=${q(`${l.end.kind ?? 'lower'} parent`)}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
