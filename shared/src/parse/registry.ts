import type { Capture } from '../schema/bundle.js';
import type { ParseResult } from '../model.js';
import { parseIpBatchJson, type DumpOptions, type NamespaceDump } from './ip-batch-json.js';
import { parseIpLinkText } from './ip-link-text.js';

export type NamespaceDumpResult = NamespaceDump;

type DumpParser = (stdout: string, options?: DumpOptions) => ParseResult<NamespaceDump>;

/**
 * One parser per spec name, serving the live capture and the imported file
 * alike. Only link-dump specs are listed; lsns_net_json has its own parser.
 */
const DUMP_PARSERS: Partial<Record<Capture['spec'], DumpParser>> = {
  ip_batch_json: parseIpBatchJson,
  ip_link_json: parseIpBatchJson,
  ip_link_text: parseIpLinkText,
};

export function parseCapture(capture: Capture, options: DumpOptions = {}): ParseResult<NamespaceDump> {
  const parser = DUMP_PARSERS[capture.spec];
  if (!parser) return { status: 'unusable', reason: `no link-dump parser for spec ${capture.spec}`, issues: [] };
  try {
    return parser(capture.stdout, options);
  } catch (error) {
    return { status: 'unusable', reason: `parser failed: ${(error as Error).message}`, issues: [] };
  }
}
