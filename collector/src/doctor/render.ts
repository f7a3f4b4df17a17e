import { escapeControl } from '@nsnap/shared/core';
import { overallStatus, type Check } from './check.js';

/**
 * One line per check, `ok   name: detail`, status first and padded so the
 * names line up. Details carry host data (mount paths, store errors): control
 * characters are escaped so they cannot drive the terminal.
 */
export function renderText(checks: readonly Check[]): string {
  return checks.map((c) => `${c.status.padEnd(5)}${escapeControl(c.name)}: ${escapeControl(c.detail)}\n`).join('');
}

/** The report as one JSON document, for fleet tooling that collects preflight results. */
export function renderJson(checks: readonly Check[], version: string): string {
  return `${JSON.stringify({ tool: 'nsnap-collect doctor', version, status: overallStatus(checks), checks })}\n`;
}
