export { openDatabase, defaultDbPath } from './db/open.js';
export { migrate } from './db/migrate.js';
export { MIGRATIONS, type Migration } from './db/migrations.js';
export { ingestSources, type FileOutcome, type IngestSummary } from './ingest/ingest.js';
export { normalizeBundle, type SnapshotRows } from './ingest/normalize.js';
export { selectSnapshot, SelectionError, type Selection, type SnapshotRef } from './query/select.js';
export { listSnapshots, type SnapshotListEntry } from './query/snapshots.js';
export { showSnapshot, type ShowResult, type NamespaceView, type InterfaceView } from './query/show.js';
export { peersOf, type PeersResult, type PairView, type UnpairedView, type EndView } from './query/peers.js';
