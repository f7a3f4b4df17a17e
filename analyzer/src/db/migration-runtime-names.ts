/**
 * Names from the container runtimes' own files (bundle section `runtimeNames`):
 * new tables only, joined to `containers` by container id and pod uid at query
 * time. Names are stored as `toDbText` keeps them.
 */
export const runtimeNamesMigration = `
CREATE TABLE runtime_pods (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  pod_uid TEXT NOT NULL,
  namespace TEXT,
  name TEXT
) STRICT;
CREATE INDEX runtime_pods_snapshot_uid ON runtime_pods(snapshot, pod_uid);
CREATE INDEX runtime_pods_snapshot_name ON runtime_pods(snapshot, name, namespace);

CREATE TABLE runtime_containers (
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  container_id TEXT NOT NULL,
  name TEXT,
  image TEXT,
  pod_uid TEXT,
  pod_namespace TEXT,
  pod_name TEXT
) STRICT;
CREATE INDEX runtime_containers_snapshot_id ON runtime_containers(snapshot, container_id);
CREATE INDEX runtime_containers_snapshot_name ON runtime_containers(snapshot, name);
CREATE INDEX runtime_containers_snapshot_pod_uid ON runtime_containers(snapshot, pod_uid) WHERE pod_uid IS NOT NULL;
CREATE INDEX runtime_containers_snapshot_pod_name ON runtime_containers(snapshot, pod_name, pod_namespace) WHERE pod_name IS NOT NULL;

-- As snapshots_delete_cascade does for the older tables: removed with their snapshot even with foreign keys off.
CREATE TRIGGER snapshots_delete_runtime_names AFTER DELETE ON snapshots
BEGIN
  DELETE FROM runtime_pods WHERE snapshot = old.id;
  DELETE FROM runtime_containers WHERE snapshot = old.id;
END;
`;
