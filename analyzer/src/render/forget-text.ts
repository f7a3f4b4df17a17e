import type { ForgetAnswer } from '../answer/forget.js';
import { table } from './table.js';
import { terminalLines } from './terminal.js';

/** The snapshots `forget` or `prune` removed, or would remove with --dry-run. */
export function renderForgotten(r: ForgetAnswer): string {
  if (r.removed.length === 0) return r.dryRun ? 'no snapshot would be removed\n' : 'no snapshot removed\n';
  const rows = r.removed.map((s) => [s.id, s.host, s.takenAt]);
  return terminalLines(table([r.dryRun ? 'WOULD REMOVE' : 'REMOVED', 'HOST', 'TAKEN AT'], rows));
}
