import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { reportHtml } from './html.js';
import type { ReportData } from './model.js';
import { PAGE_CSS } from './page-css.js';

const DATA: ReportData = { version: 1, title: '</script><script>alert(1)</script>"\'&\u0000', topology: null, diff: null, timeline: null };
const SCRIPT = 'document.body.dataset.ran = "1";';
const hash = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;

describe('the report file', () => {
  it('allows its own script and styles by their hashes, and nothing else', () => {
    const html = reportHtml(DATA, SCRIPT);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      `script-src ${hash(SCRIPT)}`,
      `style-src ${hash(PAGE_CSS)}`,
      'img-src data: blob:',
      "base-uri 'none'",
      "form-action 'none'",
    ]);
    expect(html).toContain(`<script>${SCRIPT}</script>`);
    expect(html).toContain(`>${PAGE_CSS}</style>`);
  });

  it('carries the data gzip-compressed in base64, and nothing of it in the markup', () => {
    const html = reportHtml(DATA, SCRIPT);
    const packed = /<script type="application\/gzip;base64" id="nsnap-data">([A-Za-z0-9+/=]+)<\/script>/.exec(html)?.[1] ?? '';
    expect(JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8'))).toEqual(DATA);
    expect(html).not.toContain('alert');
    expect(html.match(/<script/g)).toHaveLength(2);
  });

  it('refuses a page script that would end its element early', () => {
    expect(() => reportHtml(DATA, 'var s = "</script>";')).toThrow(/cannot be inlined/);
    expect(() => reportHtml(DATA, 'var s = "<!--";')).toThrow(/cannot be inlined/);
  });
});
