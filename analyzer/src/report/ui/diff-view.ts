import type { ReportData } from '../model.js';
import { el } from './dom.js';

const MAX_LINES = 1000;

/** The diff's numbers (each in an element naming its count, data-count="pairs.added") and its entries. */
export function renderDiff(section: HTMLElement, diff: NonNullable<ReportData['diff']>): void {
  section.append(el('p', `diff ${diff.from.takenAt} (${diff.from.id}) → ${diff.to.takenAt} (${diff.to.id})`));
  const counts = el('div', undefined, 'counts');
  for (const [group, values] of Object.entries(diff.counts) as [string, Record<string, number>][]) {
    const span = el('span', `${group}: `);
    Object.entries(values).forEach(([k, v], i) => {
      if (i > 0) span.append(', ');
      const b = el('b', String(v), k === 'added' || k === 'removed' || k === 'changed' ? k : undefined);
      b.dataset.count = `${group}.${k}`;
      span.append(b, ` ${k}`);
    });
    counts.append(span);
  }
  section.append(counts);
  const ul = el('ul');
  for (const line of diff.lines.slice(0, MAX_LINES)) ul.append(el('li', line.text, line.status));
  if (diff.lines.length > MAX_LINES) ul.append(el('li', `… ${diff.lines.length - MAX_LINES} more`));
  if (diff.lines.length === 0) ul.append(el('li', 'nothing changed'));
  section.append(ul);
  section.hidden = false;
}
