import { fromDbText, toDbText } from '@nsnap/shared/core';
import type { Database, Statement } from 'better-sqlite3';
import type { ContainerView } from '../answer/common.js';

/**
 * Pod and container names from the runtimes' files (tables runtime_pods and
 * runtime_containers), joined to the containers that cgroups found: a container
 * by its id, a pod by the uid in its cgroup path or, failing that, by the
 * sandbox or container annotations of that id.
 */
export const RUNTIME_NAMES_SQL = {
  byId: 'SELECT name, pod_uid AS podUid, pod_namespace AS podNamespace, pod_name AS podName FROM runtime_containers WHERE snapshot = ? AND container_id = ?',
  podsByUid: `SELECT namespace, name FROM runtime_pods WHERE snapshot = @snapshot AND pod_uid = @uid AND name IS NOT NULL
    UNION SELECT pod_namespace, pod_name FROM runtime_containers WHERE snapshot = @snapshot AND pod_uid = @uid AND pod_name IS NOT NULL`,
  idsByName: 'SELECT DISTINCT container_id FROM runtime_containers WHERE snapshot = ? AND name = ? ORDER BY container_id',
  uidsByPod: `SELECT pod_uid FROM runtime_pods WHERE snapshot = @snapshot AND name = @name AND namespace = @namespace
    UNION SELECT pod_uid FROM runtime_containers WHERE snapshot = @snapshot AND pod_name = @name AND pod_namespace = @namespace AND pod_uid IS NOT NULL`,
  /** Containers annotated with the pod but no uid (containerd before sandbox-uid): found by their own id. */
  idsByPodWithoutUid: 'SELECT DISTINCT container_id FROM runtime_containers WHERE snapshot = @snapshot AND pod_name = @name AND pod_namespace = @namespace AND pod_uid IS NULL ORDER BY container_id',
  netnsOfId: 'SELECT DISTINCT netns FROM containers WHERE snapshot = ? AND container_id = ? AND netns IS NOT NULL ORDER BY netns',
  netnsOfUid: 'SELECT DISTINCT netns FROM containers WHERE snapshot = ? AND pod_uid = ? AND netns IS NOT NULL ORDER BY netns',
  /** Whether the snapshot's bundle had names at all (older collectors: none). */
  any: 'SELECT EXISTS (SELECT 1 FROM runtime_containers WHERE snapshot = @snapshot) OR EXISTS (SELECT 1 FROM runtime_pods WHERE snapshot = @snapshot)',
} as const;

const text = (v: string | null) => (v === null ? null : fromDbText(v));
/** The one value when all sources agree; none when they disagree or say nothing (a name is never guessed). */
const single = (values: Set<string>) => (values.size === 1 ? (values.values().next().value as string) : undefined);

/** Reads names of one snapshot, a statement prepared once and each id looked up once. */
export class RuntimeNames {
  private readonly st = new Map<string, Statement>();
  private readonly podCache = new Map<string, Set<string>>();
  private row = 0;
  private known: boolean | null = null;
  constructor(private readonly db: Database) {}

  at(row: number): this {
    if (row !== this.row) {
      this.podCache.clear();
      this.known = null;
    }
    this.row = row;
    return this;
  }

  private prepared(sql: string): Statement {
    let s = this.st.get(sql);
    if (!s) this.st.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** `namespace/name` of every pod the files give for a uid. */
  private podsOfUid(uid: string): Set<string> {
    let pods = this.podCache.get(uid);
    if (!pods) {
      const rows = this.prepared(RUNTIME_NAMES_SQL.podsByUid).raw().all({ snapshot: this.row, uid: toDbText(uid) }) as [string | null, string][];
      pods = new Set(rows.filter((r) => r[0] !== null).map((r) => `${fromDbText(r[0] as string)}/${fromDbText(r[1])}`));
      this.podCache.set(uid, pods);
    }
    return pods;
  }

  /** The containers with `name` and `pod` added where the files name them. */
  name(containers: ContainerView[]): ContainerView[] {
    if (containers.length === 0) return containers;
    this.known ??= (this.prepared(RUNTIME_NAMES_SQL.any).pluck().get({ snapshot: this.row }) as number) === 1;
    if (!this.known) return containers;
    return containers.map((c) => {
      const rows = this.prepared(RUNTIME_NAMES_SQL.byId).all(this.row, toDbText(c.id)) as { name: string | null; podUid: string | null; podNamespace: string | null; podName: string | null }[];
      const names = new Set(rows.filter((r) => r.name !== null).map((r) => text(r.name) as string));
      const pods = new Set<string>();
      const uid = c.podUid ?? single(new Set(rows.filter((r) => r.podUid !== null).map((r) => text(r.podUid) as string)));
      if (uid !== undefined) for (const p of this.podsOfUid(uid)) pods.add(p);
      else for (const r of rows) if (r.podNamespace !== null && r.podName !== null) pods.add(`${text(r.podNamespace)}/${text(r.podName)}`);
      const name = single(names);
      const pod = single(pods);
      return { ...c, ...(name !== undefined ? { name } : {}), ...(pod !== undefined ? { pod } : {}) };
    });
  }

  /** Container ids the files give this name, each with the namespaces cgroups put it in (none: no process of it seen). */
  containersNamed(name: string): { id: string; netns: number[] }[] {
    const ids = this.prepared(RUNTIME_NAMES_SQL.idsByName).pluck().all(this.row, toDbText(name)) as string[];
    return ids.map((id) => ({ id: fromDbText(id), netns: this.prepared(RUNTIME_NAMES_SQL.netnsOfId).pluck().all(this.row, id) as number[] }));
  }

  /** Pods the files give this `namespace/name`, by uid (or, without one, by container id), each with its namespaces. */
  podsNamed(namespace: string, name: string): { id: string; netns: number[] }[] {
    const args = { snapshot: this.row, namespace: toDbText(namespace), name: toDbText(name) };
    const uids = (this.prepared(RUNTIME_NAMES_SQL.uidsByPod).pluck().all(args) as string[]).sort();
    const out = uids.map((uid) => ({ id: fromDbText(uid), netns: this.prepared(RUNTIME_NAMES_SQL.netnsOfUid).pluck().all(this.row, uid) as number[] }));
    for (const id of this.prepared(RUNTIME_NAMES_SQL.idsByPodWithoutUid).pluck().all(args) as string[]) {
      out.push({ id: fromDbText(id), netns: this.prepared(RUNTIME_NAMES_SQL.netnsOfId).pluck().all(this.row, id) as number[] });
    }
    return out;
  }
}
