/** Downloads in flight at once when ingesting from a store; kept apart so `--help` needs no ingest code. */
export const DEFAULT_CONCURRENCY = 8;
