import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { doctorExitCode, overallStatus, type Check, type CheckStatus } from './check.js';
import { renderJson, renderText } from './render.js';

const checks: Check[] = [
  { name: 'root', status: 'ok', detail: 'running as uid 0' },
  { name: 'namespaces', status: 'warn', detail: '1 process unreadable' },
  { name: 'store', status: 'fail', detail: 'cannot write /x' },
];

describe('doctor report', () => {
  it('prints one aligned line per check, status first', () => {
    expect(renderText(checks)).toBe('ok   root: running as uid 0\nwarn namespaces: 1 process unreadable\nfail store: cannot write /x\n');
  });

  it('escapes control characters a host put into a detail (a mount path, an error text)', () => {
    const text = renderText([{ name: 'namespaces', status: 'warn', detail: 'unusable: /run/netns/\u001b[31mred\n' }]);
    expect(text).toBe('warn namespaces: unusable: /run/netns/\\x1b[31mred\\x0a\n');
  });

  it('--json is one document with the worst status and the checks unchanged', () => {
    const doc = JSON.parse(renderJson(checks, '0.1.0'));
    expect(doc).toEqual({ tool: 'nsnap-collect doctor', version: '0.1.0', status: 'fail', checks });
  });

  it('exit code 1 exactly when some check failed; the overall status is the worst one', () => {
    const status = fc.constantFrom<CheckStatus>('ok', 'warn', 'fail');
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.string(), status, detail: fc.string() })), (list) => {
        expect(doctorExitCode(list)).toBe(list.some((c) => c.status === 'fail') ? 1 : 0);
        const worst = list.some((c) => c.status === 'fail') ? 'fail' : list.some((c) => c.status === 'warn') ? 'warn' : 'ok';
        expect(overallStatus(list)).toBe(worst);
        expect(renderText(list).split('\n').slice(0, -1)).toHaveLength(list.length);
      }),
    );
  });
});
