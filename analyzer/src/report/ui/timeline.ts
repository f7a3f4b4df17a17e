import type { Bar, Timeline } from '../model.js';
import { el } from './dom.js';

/** Namespaces, pairs and device periods as bars over the range, placed by the snapshots' times; a click hands the bar over. */
export function renderTimeline(container: HTMLElement, t: Timeline, onPick: (bar: Bar, row: HTMLElement) => void): void {
  const times = t.snapshots.map((s) => Date.parse(s.takenAt));
  const t0 = times[0] ?? 0;
  const span = Math.max(1, (times[times.length - 1] ?? 0) - t0);
  // With one snapshot every bar is a point: draw it across the whole track.
  const at = (i: number, end: boolean) => (times.length < 2 ? (end ? 100 : 0) : (((times[i] ?? t0) - t0) / span) * 100);
  const count = (kind: Bar['kind']) => t.bars.filter((b) => b.kind === kind).length;
  container.append(
    el(
      'p',
      `${t.snapshots.length}${t.rangeSnapshots > t.snapshots.length ? ` of ${t.rangeSnapshots}` : ''} snapshots, ${t.snapshots[0]?.takenAt ?? ''} → ${t.snapshots[t.snapshots.length - 1]?.takenAt ?? ''}; ` +
        `${count('namespace')} namespaces (blue), ${count('pair')} veth pairs (purple), ${count('device')} device periods of whois --all (green; striped: uncertain, dotted outline: gaps); grey ticks: not captured`,
    ),
  );
  // What the timeline left out to stay bounded, and how to see it: stated before any bar.
  if (t.omitted.hints.length > 0) {
    const ul = el('ul', undefined, 'omitted');
    ul.dataset.role = 'omitted';
    for (const h of t.omitted.hints) ul.append(el('li', `left out: ${h}`));
    container.append(ul);
  }
  for (const bar of t.bars) {
    const row = el('div', undefined, 'row');
    row.dataset.bar = bar.id;
    const track = el('div', undefined, 'track');
    // A period's gaps are counted by whois --all, not placed: the bar says there are some.
    const b = el('div', undefined, `bar ${bar.kind}${bar.period?.uncertain ? ' uncertain' : ''}${bar.period && bar.period.gaps > 0 ? ' gapped' : ''}`);
    const left = at(bar.first, false);
    b.style.left = `${left}%`;
    b.style.width = `${Math.max(0.5, at(bar.last, true) - left)}%`;
    track.append(b);
    for (const g of bar.gaps) {
      const tick = el('div', undefined, 'gap');
      tick.style.left = `${at(g, false)}%`;
      track.append(tick);
    }
    row.append(el('span', `${bar.kind === 'pair' ? '⇄ ' : bar.kind === 'device' ? '▭ ' : ''}${bar.label}`), track);
    row.addEventListener('click', () => onPick(bar, row));
    container.append(row);
  }
}
