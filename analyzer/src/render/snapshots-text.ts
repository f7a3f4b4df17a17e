import { escapeControl } from '@nsnap/shared/text';
import type { SnapshotListEntry } from '../query/snapshots.js';
import { table } from './table.js';

export function renderSnapshots(list: SnapshotListEntry[]): string {
  if (list.length === 0) return 'no snapshots\n';
  const rows = list.map((s) => [
    s.id,
    escapeControl(s.host),
    s.takenAt,
    String(s.namespaces),
    String(s.gaps),
    Object.entries(s.tags).map(([k, v]) => escapeControl(`${k}=${v}`)).join(' '),
  ]);
  return `${table(['SNAPSHOT', 'HOST', 'TAKEN AT', 'NETNS', 'GAPS', 'TAGS'], rows).join('\n')}\n`;
}
