import { ownerLabel } from '../label.js';
import type { Bar, DevicePeriod, Edge, InterfaceFacts, OwnerFacts, Port, SnapshotLabel } from '../model.js';
import { clear, el, facts } from './dom.js';
import type { Item } from './graph.js';

const MAX_LIST = 30;

function list(values: string[]): string {
  const shown = values.slice(0, MAX_LIST).join('\n');
  return values.length > MAX_LIST ? `${shown}\n… ${values.length - MAX_LIST} more` : shown;
}

/** Who holds a namespace, as the details panel states it (the "owner" section the tests read). */
export function ownerSection(title: string, o: OwnerFacts): HTMLElement {
  const s = el('section');
  s.dataset.role = 'owner';
  s.append(
    el('h3', `${title}: ${ownerLabel(o)}`),
    facts([
      ['netns', o.netns],
      ['host', o.host ? 'yes' : null],
      ['captured', o.captured ? 'yes' : `no — unknown, not empty: ${o.problem ?? 'its links could not be read'}`],
      ['names', o.names.join('\n')],
      ['containers', list(o.containers.map((c) => `${c.runtime} ${c.id}${c.podUid ? ` pod ${c.podUid}` : ''}`))],
      ['processes', list(o.processes.map((p) => `${p.pid} ${p.comm ?? '?'}`))],
      ['mounts', list(o.mounts)],
    ]),
  );
  return s;
}

function interfaceSection(title: string, f: InterfaceFacts, extra: [string, string | null][] = []): HTMLElement {
  const s = el('section');
  s.append(
    el('h3', `${title}: ${f.ifname} #${f.ifindex}`),
    facts([['kind', f.kind], ['state', f.operstate], ['mtu', f.mtu], ['master', f.master], ['MAC', f.address], ['alias', f.alias], ['addresses', f.addresses.join('\n')], ...extra]),
  );
  return s;
}

function statusSection(status: string, notes: string[]): HTMLElement | null {
  if (status === 'same' && notes.length === 0) return null;
  const s = el('section');
  s.append(el('h3', `in the diff: ${status}`, status));
  if (notes.length > 0) s.append(el('p', notes.join('\n')));
  return s;
}

export interface Context {
  items: Map<string, Item>;
  edgesOf: Map<string, Edge[]>;
}

/** The item's facts, its owner and, for a veth, its peer and the peer's owner. */
export function showItem(panel: HTMLElement, id: string, ctx: Context): void {
  clear(panel);
  const item = ctx.items.get(id);
  if (!item) return;
  const add = (e: HTMLElement | null) => e && panel.append(e);
  if (item.type === 'box') {
    add(ownerSection('namespace', item.box.owner));
    add(statusSection(item.box.status, item.box.notes));
    const ifs = el('section');
    ifs.append(el('h3', `interfaces (${item.box.interfaces.length}, lo and folded host veths not counted)`), el('p', item.box.interfaces.map((p) => `${p.facts.ifname} #${p.facts.ifindex}`).join('\n')));
    add(ifs);
    return;
  }
  if (item.type === 'port') {
    const p: Port = item.port;
    add(interfaceSection('interface', p.facts, [['unpaired', p.unpaired ? `${p.unpaired.reason}: ${p.unpaired.detail}` : null]]));
    add(statusSection(p.status, p.notes));
    add(ownerSection('owner', item.box.owner));
    for (const e of ctx.edgesOf.get(p.id) ?? []) {
      if (e.kind !== 'veth') continue;
      if (e.via && e.target === p.id) add(interfaceSection('peer (host end)', e.via, [['pairing', e.method]]));
      else {
        const other = ctx.items.get(e.source === p.id ? e.target : e.source);
        if (other?.type === 'port') {
          add(interfaceSection('peer', other.port.facts, [['pairing', e.method]]));
          add(ownerSection('peer owner', other.box.owner));
        }
      }
    }
    return;
  }
  const e = item.edge;
  const src = ctx.items.get(e.source);
  const dst = ctx.items.get(e.target);
  if (e.via) add(interfaceSection('veth (host end)', e.via, [['pairing', e.method]]));
  else if (src?.type === 'port') add(interfaceSection(e.kind === 'lower' ? 'device' : 'veth', src.port.facts, [['pairing', e.method]]));
  add(statusSection(e.status, []));
  if (dst?.type === 'port') {
    add(interfaceSection(e.kind === 'lower' ? 'lower device' : 'peer', dst.port.facts));
    add(ownerSection('owner', dst.box.owner));
  }
  if (src?.type === 'port' && !e.via) add(ownerSection('other end owner', src.box.owner));
}

/** A device's period as whois --all states it: the device, its peer, and how sure the answer is. */
function periodSection(p: DevicePeriod): HTMLElement {
  const s = el('section');
  s.dataset.role = 'period';
  s.append(
    el('h3', `whois ${p.ifname} --all: a period`),
    facts([
      ['device', `${p.ifname} #${p.ifindex} in netns ${p.netns}`],
      ['kind', p.kind],
      ['master', p.master],
      ['period', `${p.first.takenAt} (${p.first.id}) → ${p.last.takenAt} (${p.last.id})`],
      ['snapshots', p.snapshots],
      ['gaps', p.gaps > 0 ? `${p.gaps} snapshots in the period could not capture or read its namespace` : null],
      ['uncertain', p.uncertain !== null ? `nothing proved or disproved it is the namespace of the period before: ${p.uncertain}` : null],
      ['forgotten', p.forgotten ? `${p.forgotten.snapshots} snapshots within it were forgotten (${p.forgotten.from} → ${p.forgotten.to})` : null],
      ['boot', p.bootId],
      ['peer', p.peer],
      ['unpaired', p.unpaired],
      ['lower', p.lower],
    ]),
  );
  return s;
}

/** A timeline bar: its span, owner and changes (the history answer for it), or a device's period (the whois --all answer). */
export function showBar(panel: HTMLElement, bar: Bar, snapshots: SnapshotLabel[]): void {
  clear(panel);
  const at = (i: number) => snapshots[i]?.takenAt ?? '?';
  const s = el('section');
  s.append(
    el('h3', `${bar.kind}: ${bar.label}`),
    facts([
      ['first seen', at(bar.first)],
      ['last seen', at(bar.last)],
      ['not captured', bar.gaps.map(at).join('\n')],
    ]),
  );
  panel.append(s);
  if (bar.period) panel.append(periodSection(bar.period));
  if (bar.owner) panel.append(ownerSection('owner', bar.owner));
  if (bar.kind === 'device') return;
  const c = el('section');
  c.append(el('h3', `changes (${bar.changes.length + bar.changesLeftOut})`));
  const ul = el('ul');
  for (const ch of bar.changes) ul.append(el('li', `${at(ch.at)}  ${ch.text}`));
  if (bar.changesLeftOut > 0) ul.append(el('li', `… ${bar.changesLeftOut} more not listed (nsnap history -v lists them)`));
  c.append(ul);
  panel.append(c);
}
