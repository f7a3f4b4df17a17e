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
  byId: 'SELECT name, pod_uid, pod_namespace, pod_name FROM runtime_containers WHERE snapshot = ? AND container_id = ?',
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

/** A `runtime_containers` row as `byId` reads it: name, pod uid, pod namespace, pod name (database text). */
type NameRow = [string | null, string | null, string | null, string | null];
/** A pod as `podsByUid` reads it: namespace, name (database text). */
type PodRow = [string | null, string];

/** One snapshot's names, as `name` asks for them (ids and uids in database text). */
interface NameSource {
  any(): boolean;
  byId(id: string): NameRow[];
  podsByUid(uid: string): PodRow[];
}

/** One host's runtime names over a time range (`history`): each span read once, instead of per snapshot through the views. */
export interface NameRange {
  /** The host's label. */
  host: string;
  since: string;
  until: string;
}

/** Reads names of one snapshot, a statement prepared once and each id looked up once. */
export class RuntimeNames {
  private readonly st = new Map<string, Statement>();
  private readonly podCache = new Map<string, Set<string>>();
  private row = 0;
  private known: boolean | null = null;
  private source: NameSource;
  private readonly perSnapshot: NameSource;
  private readonly spans: NameSpans | null;

  /** With `range`, snapshots of that host and range are answered from the name spans, read once (others as without). */
  constructor(
    private readonly db: Database,
    range?: NameRange,
  ) {
    this.perSnapshot = {
      any: () => (this.prepared(RUNTIME_NAMES_SQL.any).pluck().get({ snapshot: this.row }) as number) === 1,
      byId: (id) => this.prepared(RUNTIME_NAMES_SQL.byId).raw().all(this.row, id) as NameRow[],
      podsByUid: (uid) => this.prepared(RUNTIME_NAMES_SQL.podsByUid).raw().all({ snapshot: this.row, uid }) as PodRow[],
    };
    this.source = this.perSnapshot;
    this.spans = range ? new NameSpans(db, range) : null;
  }

  at(row: number): this {
    if (row !== this.row) {
      this.podCache.clear();
      this.known = null;
      this.source = this.spans?.at(row) ? this.spans : this.perSnapshot;
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
      const rows = this.source.podsByUid(toDbText(uid));
      pods = new Set(rows.filter((r) => r[0] !== null).map((r) => `${fromDbText(r[0] as string)}/${fromDbText(r[1])}`));
      this.podCache.set(uid, pods);
    }
    return pods;
  }

  /** The containers with `name` and `pod` added where the files name them. */
  name(containers: ContainerView[]): ContainerView[] {
    if (containers.length === 0) return containers;
    this.known ??= this.source.any();
    if (!this.known) return containers;
    return containers.map((c) => {
      const rows = this.source.byId(toDbText(c.id));
      const names = new Set(rows.filter((r) => r[0] !== null).map((r) => text(r[0]) as string));
      const pods = new Set<string>();
      const uid = c.podUid ?? single(new Set(rows.filter((r) => r[1] !== null).map((r) => text(r[1]) as string)));
      if (uid !== undefined) for (const p of this.podsOfUid(uid)) pods.add(p);
      else for (const r of rows) if (r[2] !== null && r[3] !== null) pods.add(`${text(r[2])}/${text(r[3])}`);
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

/** A span of `NAME_SPANS_SQL`: first, first_at, last, last_at, then the fact's columns. */
type Span = [number, string, number, string, ...(string | null)[]];

const NAME_SPANS_SQL = {
  containers: `SELECT first, first_at, last, last_at, container_id, name, pod_uid, pod_namespace, pod_name FROM runtime_container_spans
    WHERE host = (SELECT id FROM hosts WHERE label = @host) AND last_at >= @since AND first_at <= @until`,
  pods: `SELECT first, first_at, last, last_at, pod_uid, namespace, name FROM runtime_pod_spans
    WHERE host = (SELECT id FROM hosts WHERE label = @host) AND last_at >= @since AND first_at <= @until`,
  snapshot: 'SELECT h.label, s.taken_at FROM snapshots s JOIN hosts h ON h.id = s.host WHERE s.id = ?',
} as const;

/** (at, row) order of a host's snapshots, as `holdsAt` has it; an open end (`OPEN_AT`) sorts after every time. */
const order = (at: string, row: number, at2: string, row2: number) => (at < at2 ? -1 : at > at2 ? 1 : row - row2);

/**
 * The name spans of one host over a range, read once: the spans held at a snapshot are kept as the
 * snapshot moves forward (a span joins when it starts, leaves after it ends), and looked up by id
 * and uid as `RUNTIME_NAMES_SQL` does through the views. A snapshot before the last one starts over.
 */
class NameSpans implements NameSource {
  private readonly lists: { spans: Span[]; byStart: Span[]; byEnd: Span[]; held: Set<Span>; started: number; ended: number }[];
  private readonly snapshot: Statement;
  private point: [string, number] | null = null;
  private changed = true;
  private ids = new Map<string, NameRow[]>();
  private uids = new Map<string, PodRow[]>();

  constructor(
    db: Database,
    private readonly range: NameRange,
  ) {
    this.lists = [NAME_SPANS_SQL.containers, NAME_SPANS_SQL.pods].map((sql) => {
      const spans = db.prepare(sql).raw().all(range) as Span[];
      return {
        spans,
        byStart: [...spans].sort((x, y) => order(x[1], x[0], y[1], y[0])),
        byEnd: [...spans].sort((x, y) => order(x[3], x[2], y[3], y[2])),
        held: new Set<Span>(),
        started: 0,
        ended: 0,
      };
    });
    this.snapshot = db.prepare(NAME_SPANS_SQL.snapshot).raw();
  }

  /** Moves to snapshot `row`; false when it is not one of the range's (then the views answer). */
  at(row: number): boolean {
    const s = this.snapshot.get(row) as [string, string] | undefined;
    if (!s || s[0] !== this.range.host || s[1] < this.range.since || s[1] > this.range.until) return false;
    const at = s[1];
    if (this.point && order(at, row, this.point[0], this.point[1]) < 0) {
      for (const l of this.lists) {
        l.held.clear();
        l.started = 0;
        l.ended = 0;
      }
    }
    this.point = [at, row];
    for (const l of this.lists) {
      for (; l.started < l.byStart.length; l.started++) {
        const x = l.byStart[l.started] as Span;
        if (order(x[1], x[0], at, row) > 0) break;
        if (order(x[3], x[2], at, row) >= 0) {
          l.held.add(x);
          this.changed = true;
        }
      }
      for (; l.ended < l.byEnd.length; l.ended++) {
        const x = l.byEnd[l.ended] as Span;
        if (order(x[3], x[2], at, row) >= 0) break;
        if (l.held.delete(x)) this.changed = true;
      }
    }
    return true;
  }

  /** The lookups of the spans held now, made again only when those changed. */
  private index(): void {
    if (!this.changed) return;
    this.changed = false;
    this.ids = new Map();
    this.uids = new Map();
    const pods = (uid: string) => {
      let list = this.uids.get(uid);
      if (!list) this.uids.set(uid, (list = []));
      return list;
    };
    const [containers, podSpans] = this.lists as [(typeof this.lists)[number], (typeof this.lists)[number]];
    for (const x of containers.held) {
      const [id, name, podUid, podNamespace, podName] = x.slice(4) as [string, string | null, string | null, string | null, string | null];
      let list = this.ids.get(id);
      if (!list) this.ids.set(id, (list = []));
      list.push([name, podUid, podNamespace, podName]);
      if (podUid !== null && podName !== null) pods(podUid).push([podNamespace, podName]);
    }
    for (const x of podSpans.held) {
      const [uid, namespace, name] = x.slice(4) as [string, string | null, string | null];
      if (name !== null) pods(uid).push([namespace, name]);
    }
  }

  any(): boolean {
    return this.lists.some((l) => l.held.size > 0);
  }

  byId(id: string): NameRow[] {
    this.index();
    return this.ids.get(id) ?? [];
  }

  podsByUid(uid: string): PodRow[] {
    this.index();
    return this.uids.get(uid) ?? [];
  }
}
