import type { Capture } from '../schema/bundle.js';
import type { ParseResult } from '../model.js';
import { SPECS } from '../specs/catalogue.js';
import type { DumpOptions, NamespaceDump } from './ip-batch-json.js';

export type NamespaceDumpResult = NamespaceDump;

/**
 * A namespace dump through the parser the spec table registers for the
 * capture's spec, serving the live capture and the imported file alike; the
 * batch it was fed (stdin) tells its output arrays apart.
 */
export function parseCapture(capture: Capture, options: DumpOptions = {}): ParseResult<NamespaceDump> {
  const parser = SPECS[capture.spec]?.parser;
  if (parser?.yields !== 'namespace-dump') return { status: 'unusable', reason: `no link-dump parser for spec ${capture.spec}`, issues: [] };
  try {
    return parser.parse(capture.stdout, { commands: capture.stdin, ...options });
  } catch (error) {
    return { status: 'unusable', reason: `parser failed: ${(error as Error).message}`, issues: [] };
  }
}
