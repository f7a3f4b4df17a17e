import { parseIpBatchJson, type Capture, type SpecName } from '@nsnap/shared/core';
import type { Runner } from '../exec/run.js';
import { BATCH_INPUT } from '../probes/namespace-links.js';
import type { Check, CheckStatus } from './check.js';

// The runner labels every command with a spec name; doctor's captures never reach a bundle, so all version lines share this one.
const VERSION_SPEC: SpecName = 'tool_version';

const TOOLS: ReadonlyArray<{ name: string; argv: string[]; whenMissing: CheckStatus; without: string }> = [
  { name: 'ip', argv: ['ip', '-V'], whenMissing: 'fail', without: 'no link dumps at all' },
  { name: 'nsenter', argv: ['nsenter', '--version'], whenMissing: 'fail', without: 'no namespace but the host can be entered' },
  { name: 'find', argv: ['find', '--version'], whenMissing: 'warn', without: 'no bulk capture: every namespace costs its own spawn, a slower run' },
  { name: 'unshare', argv: ['unshare', '--version'], whenMissing: 'warn', without: 'bulk capture enters each namespace with nsenter: two execs per namespace instead of one' },
  { name: 'lsns', argv: ['lsns', '--version'], whenMissing: 'warn', without: 'no lsns nsid maps: a veth pair only link data supports is reported unconfirmed, not paired, where namespaces are out of sight' },
];

/** The first non-empty line of a command's output, bounded for a one-line report. */
function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 200);
}

function failureText(capture: Capture): string {
  return capture.failure ? `${capture.failure.reason}: ${capture.failure.detail}` : `exit code ${capture.exitCode}`;
}

/** Each tool the collector execs: present, and which version (iproute2 and util-linux differ in what they print). */
export async function toolChecks(run: Runner, timeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [];
  for (const tool of TOOLS) {
    const capture = await run(tool.argv, { spec: VERSION_SPEC, timeoutMs });
    const version = firstLine(capture.stdout) || firstLine(capture.stderr);
    if (capture.failure === null && version !== '') checks.push({ name: tool.name, status: 'ok', detail: version });
    else checks.push({ name: tool.name, status: tool.whenMissing, detail: `${tool.argv.join(' ')} failed (${failureText(capture)}): ${tool.without}` });
  }
  checks.push(await ipJsonCheck(run, timeoutMs));
  return checks;
}

/** The host's dump exactly as the collector takes it; without `ip -j` it falls back to text dumps. */
async function ipJsonCheck(run: Runner, timeoutMs: number): Promise<Check> {
  const argv = ['ip', '-d', '-j', '-force', '-batch', '-'];
  const capture = await run(argv, { spec: 'ip_batch_json', input: BATCH_INPUT, timeoutMs });
  if (capture.failure?.reason === 'unsupported') {
    return { name: 'ip-json', status: 'warn', detail: `this ip has no JSON output (${capture.failure.detail}): the collector falls back to text dumps, parsed offline` };
  }
  if (capture.failure) return { name: 'ip-json', status: 'fail', detail: `${argv.join(' ')}: ${failureText(capture)}` };
  const parsed = parseIpBatchJson(capture.stdout);
  if (parsed.status !== 'parsed') return { name: 'ip-json', status: 'fail', detail: `${argv.join(' ')} printed no usable JSON (${parsed.status === 'unusable' ? parsed.reason : 'nothing'})` };
  return { name: 'ip-json', status: 'ok', detail: `ip -j works: ${parsed.value.links.length} links in the host namespace` };
}
