import type { Database } from 'better-sqlite3';
import { toDbText, type RuntimeNames } from '@nsnap/shared';

const text = (v: string | null) => (v === null ? null : toDbText(v));

/** Inserts a bundle's `runtimeNames` rows for one snapshot; statements prepared once per ingest run. */
export function runtimeNamesInserter(db: Database): (snapshot: number, names: RuntimeNames | undefined) => void {
  const pod = db.prepare('INSERT INTO runtime_pods (snapshot, pod_uid, namespace, name) VALUES (?, ?, ?, ?)');
  const container = db.prepare(`INSERT INTO runtime_containers (snapshot, source, container_id, name, image, pod_uid, pod_namespace, pod_name)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  return (snapshot, names) => {
    if (!names) return;
    for (const p of names.pods) pod.run(snapshot, toDbText(p.uid), text(p.namespace), text(p.name));
    for (const c of names.containers) {
      container.run(snapshot, c.source, toDbText(c.id), text(c.name), text(c.image), text(c.pod?.uid ?? null), text(c.pod?.namespace ?? null), text(c.pod?.name ?? null));
    }
  };
}
