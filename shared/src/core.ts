/**
 * Everything shared except the zod schema: the bundle's types, its limits,
 * the parsers, the pairing code and the stores. The collector imports only
 * this at run time, so its single file neither carries nor loads zod
 * (~25 ms of start-up and ~35 ms for a first parse, measured); readers
 * validate with the schema from the package's main entry.
 */
export * from './schema/limits.js';
export type * from './schema/bundle.js';
export * from './model.js';
export * from './ids.js';
export * from './text.js';
export * from './bytes.js';
export { issueCount } from './parse/issues.js';
export * from './parse/json-values.js';
export * from './parse/ip-link-json.js';
export * from './parse/ip-batch-json.js';
export * from './parse/lsns-json.js';
export * from './parse/lsns-table.js';
export * from './parse/ip-link-text.js';
export * from './parse/proc-ns-listing.js';
export * from './parse/netns-list.js';
export * from './parse/netns-list-id-json.js';
export * from './parse/registry.js';
export * from './parse/version-line.js';
export * from './parse/routing-kinds.js';
export * from './specs/catalogue.js';
export * from './parse/tool-failure.js';
export * from './parse/cgroup.js';
export * from './correlate/pairing.js';
export * from './correlate/bundle-view.js';
export * from './store/store.js';
export * from './store/keys.js';
export * from './store/local.js';
export * from './store/read-file.js';
export * from './store/open.js';
