/**
 * The version each `--json` answer carries as `answerVersion` (docs/json.md). Kept apart from the zod
 * schemas: the queries stamp it at run time, and a query must not load zod (analyzer/build.mjs).
 *
 * The rule: adding a field, or a value to an enumeration, keeps the version (readers ignore what they
 * do not know); removing or renaming a field, changing its type or meaning bumps it, for that answer only.
 */
export const ANSWER_VERSIONS = {
  snapshots: 1,
  show: 1,
  peers: 1,
  diff: 1,
  history: 1,
  whois: 1,
  whoisAll: 1,
  check: 1,
  capture: 1,
  forget: 1,
  ingest: 1,
  report: 1,
} as const;
