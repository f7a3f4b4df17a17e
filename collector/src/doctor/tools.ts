import { liveBinding, parseIpBatchJson, SPECS, type Capture } from '@nsnap/shared/core';
import type { Runner } from '../exec/run.js';
import type { Check, CheckStatus } from './check.js';

const versionArgv = (tool: string): readonly string[] => {
  const binding = SPECS.tool_version.live.find((b) => b.argv[0] === tool);
  if (!binding) throw new Error(`no tool_version binding for ${tool}`);
  return binding.argv;
};

const TOOLS: ReadonlyArray<{ name: string; spec: 'ip_version' | 'tool_version'; argv: readonly string[]; whenMissing: CheckStatus; without: string }> = [
  { name: 'ip', spec: 'ip_version', argv: liveBinding('ip_version', 'host').argv, whenMissing: 'fail', without: 'no link dumps at all' },
  { name: 'nsenter', spec: 'tool_version', argv: versionArgv('nsenter'), whenMissing: 'fail', without: 'no namespace but the host can be entered' },
  { name: 'find', spec: 'tool_version', argv: versionArgv('find'), whenMissing: 'warn', without: 'no bulk capture: every namespace costs its own spawn, a slower run' },
  { name: 'unshare', spec: 'tool_version', argv: versionArgv('unshare'), whenMissing: 'warn', without: 'bulk capture enters each namespace with nsenter: two execs per namespace instead of one' },
  { name: 'lsns', spec: 'tool_version', argv: versionArgv('lsns'), whenMissing: 'warn', without: 'no lsns nsid maps: a veth pair only link data supports is reported unconfirmed, not paired, where namespaces are out of sight' },
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
    const capture = await run([...tool.argv], { spec: tool.spec, timeoutMs });
    const version = firstLine(capture.stdout) || firstLine(capture.stderr);
    if (capture.failure === null && version !== '') checks.push({ name: tool.name, status: 'ok', detail: version });
    else checks.push({ name: tool.name, status: tool.whenMissing, detail: `${tool.argv.join(' ')} failed (${failureText(capture)}): ${tool.without}` });
  }
  checks.push(await ipJsonCheck(run, timeoutMs));
  return checks;
}

/** The host's dump exactly as the collector takes it (the spec table's binding); without `ip -j` it falls back to text dumps. */
async function ipJsonCheck(run: Runner, timeoutMs: number): Promise<Check> {
  const { argv, stdin } = liveBinding('ip_batch_json', 'host');
  const capture = await run([...argv], { spec: 'ip_batch_json', input: stdin, timeoutMs });
  if (capture.failure?.reason === 'unsupported') {
    return { name: 'ip-json', status: 'warn', detail: `this ip has no JSON output (${capture.failure.detail}): the collector falls back to text dumps, parsed offline` };
  }
  if (capture.failure) return { name: 'ip-json', status: 'fail', detail: `${argv.join(' ')}: ${failureText(capture)}` };
  const parsed = parseIpBatchJson(capture.stdout, { commands: stdin });
  if (parsed.status !== 'parsed') return { name: 'ip-json', status: 'fail', detail: `${argv.join(' ')} printed no usable JSON (${parsed.status === 'unusable' ? parsed.reason : 'nothing'})` };
  return { name: 'ip-json', status: 'ok', detail: `ip -j works: ${parsed.value.links.length} links in the host namespace` };
}
