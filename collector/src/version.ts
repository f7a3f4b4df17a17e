/** Written into every bundle; kept in step with collector/package.json by a test. */
export const COLLECTOR_VERSION = '0.1.0';
