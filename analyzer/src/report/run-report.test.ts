import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { reportScope } from './run-report.js';

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
});
