export { collect, statsOf, type CollectOptions, type CollectStats } from './collect.js';
export { encodeBundle } from './encode.js';
export { EXIT } from './exit-codes.js';
export { runCommand, type Runner } from './exec/run.js';
export { scanProc, parseStartTime, type ProcFs } from './probes/proc-scan.js';
export { nsfsMounts } from './probes/netns-handles.js';
