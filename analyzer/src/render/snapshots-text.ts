import type { SnapshotsAnswer } from '../answer/snapshots.js';
import { table } from './table.js';
import { terminalLines } from './terminal.js';

export function renderSnapshots(r: SnapshotsAnswer): string {
  if (r.snapshots.length === 0) return 'no snapshots\n';
  const rows = r.snapshots.map((s) => [s.id, s.host, s.takenAt, String(s.namespaces), String(s.gaps), Object.entries(s.tags).map(([k, v]) => `${k}=${v}`).join(' ')]);
  return terminalLines(table(['SNAPSHOT', 'HOST', 'TAKEN AT', 'NETNS', 'GAPS', 'TAGS'], rows));
}
