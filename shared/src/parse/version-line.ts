import type { ParseResult } from '../model.js';
import { rejectToolFailure } from './tool-failure.js';

/**
 * A tool's version output, e.g. `ip utility, iproute2-6.1.0, libbpf 1.1.2`
 * or `nsenter from util-linux 2.38.1`: its first non-blank line, trimmed and
 * bounded (the line is shown in one-line reports).
 */
export function parseVersionLine(stdout: string): ParseResult<string> {
  const refused = rejectToolFailure(stdout);
  if (refused) return refused;
  const line = stdout.split('\n', 64).find((l) => l.trim() !== '');
  if (line === undefined) return { status: 'empty', issues: [] };
  return { status: 'parsed', value: line.trim().slice(0, 200), issues: [] };
}
