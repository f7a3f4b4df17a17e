import { escapeControl } from '@nsnap/shared/text';
import type { SnapshotRef } from '../query/select.js';
import { table } from './table.js';

/** The snapshots `forget` or `prune` removed, or would remove with --dry-run. */
export function renderForgotten(list: readonly SnapshotRef[], dryRun: boolean): string {
  if (list.length === 0) return dryRun ? 'no snapshot would be removed\n' : 'no snapshot removed\n';
  const rows = list.map((s) => [s.id, escapeControl(s.host), s.takenAt]);
  return `${table([dryRun ? 'WOULD REMOVE' : 'REMOVED', 'HOST', 'TAKEN AT'], rows).join('\n')}\n`;
}
