import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { reportLimits, reportScope } from './run-report.js';
import { TIMELINE_LIMITS } from './timeline.js';

describe('the scope of nsnap report', () => {
  it('is the latest snapshot without a choice, else what the flags name', () => {
    expect(reportScope({ out: 'x.html' })).toEqual({ kind: 'snapshot', snapshot: 'latest', host: null });
    expect(reportScope({ out: 'x.html', snapshot: 'latest~1', host: 'web-1' })).toEqual({ kind: 'snapshot', snapshot: 'latest~1', host: 'web-1' });
    expect(reportScope({ out: 'x.html', from: 'latest~1' })).toEqual({ kind: 'diff', from: 'latest~1', to: 'latest', host: null });
    expect(reportScope({ out: 'x.html', since: '2026-11-29T10:00Z', until: '2026-11-29' })).toEqual({ kind: 'range', since: '2026-11-29T10:00:00.000Z', until: expect.stringMatching(/^2026-11-29T23:59:59/), host: null });
  });

  it('refuses two kinds of scope at once, and --to without --from', () => {
    expect(() => reportScope({ out: 'x.html', snapshot: 'latest', from: 'latest~1' })).toThrow(UsageError);
    expect(() => reportScope({ out: 'x.html', from: 'latest~1', since: '1d' })).toThrow(/one of --snapshot, --from\/--to, --since\/--until/);
    expect(() => reportScope({ out: 'x.html', to: 'latest' })).toThrow(/--to needs --from/);
  });

  it('takes --max-snapshots from 1 up to the default only: the timeline stays bounded', () => {
    expect(reportLimits({})).toEqual(TIMELINE_LIMITS);
    expect(reportLimits({ maxSnapshots: '10' })).toEqual({ ...TIMELINE_LIMITS, snapshots: 10 });
    expect(reportLimits({ maxSnapshots: String(TIMELINE_LIMITS.snapshots) }).snapshots).toBe(TIMELINE_LIMITS.snapshots);
    for (const bad of ['0', String(TIMELINE_LIMITS.snapshots + 1), '1e3', '-5', '', ' 7']) expect(() => reportLimits({ maxSnapshots: bad }), bad).toThrow(/--max-snapshots/);
  });
});
