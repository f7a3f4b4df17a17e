#!/usr/bin/env node
// Runs the whole suite with vitest and ends with a line CI can read:
// "N passed, N failed, N skipped", from vitest's JSON report.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const report = path.join(root, '.test-results', 'vitest.json');
rmSync(report, { force: true });
mkdirSync(path.dirname(report), { recursive: true });

const r = spawnSync(
  path.join(root, 'node_modules/.bin/vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);

let summary;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch (error) {
  console.error(`no test report at ${report}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(r.status || 1);
}
const passed = summary.numPassedTests ?? 0;
const failed = Math.max(summary.numFailedTests ?? 0, (summary.numFailedTestSuites ?? 0) > 0 && !(summary.numFailedTests > 0) ? summary.numFailedTestSuites : 0);
const skipped = (summary.numPendingTests ?? 0) + (summary.numTodoTests ?? 0);
const skippedNames = [];
for (const file of summary.testResults ?? []) {
  for (const t of file.assertionResults ?? []) {
    if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') skippedNames.push(`${path.relative(root, file.name)} › ${t.fullName}`);
  }
}
if (skippedNames.length) console.log(`skipped:\n  ${skippedNames.join('\n  ')}`);
let status = r.status ?? 1;
if (passed === 0) {
  console.error('no test passed: treating the run as failed');
  status = 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status);
