import type { SnapshotLabel } from '../answer/common.js';
import type { HistoryStep } from '../answer/history.js';
import type { DiffOwners } from '../query/diff-snapshots.js';
import { changeLines, countsText } from './diff-text.js';
import { terminalLines } from './terminal.js';

/** The first line of `history`: the snapshot the others are compared with. */
export function historyBaseline(s: SnapshotLabel, total: number): string {
  return terminalLines([`history of ${s.host}: ${total} snapshot${total === 1 ? '' : 's'}, each line what changed since the one above`, `${s.takenAt}  ${s.id}  (first)`]);
}

/** `history` over a range without snapshots. */
export const historyEmpty = (host: string): string => terminalLines([`history of ${host}: no snapshots in that range`]);

/** One line per step: when, which snapshot, what changed since the previous one; with -v the changes under it. */
export function historyLine(step: HistoryStep, owners: DiffOwners | null): string {
  const reboot = step.sameBoot ? '' : '  [another boot]';
  const hidden = step.gap ? step.gap.uncaptured.length + step.gap.unreadable.length : 0;
  const gap = hidden > 0 ? `  [gap: ${hidden} namespace${hidden === 1 ? '' : 's'} not captured, compared at the next capture]` : '';
  const since = step.carried ? `  [${step.carried.length} namespace${step.carried.length === 1 ? '' : 's'} seen again: changes since ${[...new Set(step.carried.map((c) => c.since.takenAt))].sort()[0]}]` : '';
  const lines = [`${step.to.takenAt}  ${step.to.id}  ${countsText(step.counts)}${reboot}${gap}${since}`];
  if (step.diff && owners) lines.push(...changeLines(step.diff, owners, '    '));
  return terminalLines(lines);
}
