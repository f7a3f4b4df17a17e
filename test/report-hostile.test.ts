/// <reference lib="dom" />
// page.evaluate callbacks run in the page: they name its DOM.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openReport, searchAndPick } from './support/browser.js';
import { writeBundle } from './support/bundle-builder.js';
import { hostileBundle } from './support/hostile-bundle.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';

/** Markup that runs if interpreted (it marks the page), quotes, an entity, NUL, ESC, C1 and bidi characters. */
const EVIL = `<script>document.body.dataset.pwned='script'</script><img src=x onerror="document.body.dataset.pwned='img'">"'&amp;\u0000\u001b[31m\u009b\u202e`;

/** Every string a bundle may choose is hostile: names, kinds, states, aliases, comms, mounts, tags, gaps. */
function hostile(takenAt: string, variant: string) {
  return hostileBundle({
    takenAt,
    variant,
    evil: EVIL,
    hostLinks: [
      { ifindex: 3, ifname: `br${EVIL}`, kind: 'bridge', operstate: `${EVIL}${variant}`, alias: `${EVIL}alias` },
      { ifindex: 4, ifname: `veth${EVIL}`, kind: 'veth', linkIndex: 2, linkNetnsid: 0, master: `br${EVIL}`, mtu: variant === 'a' ? 1500 : 9000 },
      { ifindex: 5, ifname: 'plain0', kind: `${EVIL}kind${variant}`, operstate: EVIL, alias: `${EVIL}${variant}` },
      { ifindex: 6, ifname: `lost${EVIL}`, kind: 'veth', linkIndex: 9, linkNetnsid: 7 },
      ...(variant === 'b' ? [{ ifindex: 7, ifname: `new${EVIL}`, kind: `${EVIL}newkind`, operstate: `${EVIL}newstate` }] : []),
    ],
    nsLinks: [{ ifindex: 2, ifname: `eth0${EVIL}`, kind: 'veth', linkIndex: 4, linkNetnsid: 0, operstate: `${EVIL}${variant}` }],
  });
}

describe('a report of hostile names shows them as text, never as markup', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-report-hostile-'));
  const db = path.join(dir, 'hostile.db');
  const a = hostile('2026-11-29T10:00:00.000Z', 'a');
  const b = hostile('2026-11-29T11:00:00.000Z', 'b');
  let browser: Browser;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    const ingest = await runCli(ANALYZER_BIN, ['ingest', '-q', writeBundle(dir, a), writeBundle(dir, b), '--db', db]);
    expect(ingest.exitCode, String(ingest.stderr)).toBe(0);
    const scopes: Record<string, string[]> = { topology: [], diff: ['--from', a.snapshotId, '--to', b.snapshotId], timeline: ['--since', '2026-11-29'] };
    for (const [name, args] of Object.entries(scopes)) {
      files[name] = path.join(dir, `${name}.html`);
      const r = await runCli(ANALYZER_BIN, ['--db', db, 'report', ...args, '--out', files[name]!]);
      expect(r.exitCode, String(r.stderr)).toBe(0);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the file holds no text of the data outside its base64 block', () => {
    for (const file of Object.values(files)) {
      const html = readFileSync(file, 'utf8');
      const outsideData = html.replace(/<script type="application\/gzip;base64" id="nsnap-data">[A-Za-z0-9+/=]*<\/script>/, '');
      expect(outsideData).not.toContain('pwned');
      expect(outsideData).not.toContain('evil-host');
    }
  });

  it.each(['topology', 'diff', 'timeline'])('%s: nothing runs, nothing is requested, and the names read as they are', async (name) => {
    const { page, outside, errors } = await openReport(browser, files[name]!);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
    if (name === 'timeline') {
      await page.getByRole('button', { name: 'Timeline' }).click();
      await page.locator('.row', { hasText: 'veth<script>' }).first().click();
      // A device's whois --all period, its kind hostile; the names whois --all cannot follow are named as text.
      await page.locator('.row', { hasText: '▭ plain0' }).first().click();
      const period = await page.locator('#details').innerText();
      expect(period).toContain('whois plain0 --all: a period');
      expect(period).toMatch(/\nkind\n<script>document\.body\.dataset\.pwned='script'<\/script><img src=x onerror="document\.body\.dataset\.pwned='img'">/);
      expect(await page.locator('[data-role=omitted]').innerText()).toMatch(/interface names are not followed: whois --all takes no name with whitespace/);
    } else {
      const details = await searchAndPick(page, 'plain0', 'plain0');
      // innerText drops NUL; the rest of the name is there as written.
      expect(details).toContain(`${EVIL.slice(0, EVIL.indexOf('\u0000'))}`);
      const peer = await searchAndPick(page, 'veth<script>', 'veth<script>');
      expect(peer).toContain('/run/<script>');
    }
    if (name === 'diff') expect(await page.locator('#diff').innerText()).toContain(`new<script>document.body.dataset.pwned='script'</script>`);
    expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    expect(await page.evaluate(() => document.querySelectorAll('img, iframe, object, embed').length)).toBe(0);
    expect(await page.evaluate(() => document.querySelectorAll('script').length)).toBe(2);
    expect(requests).toEqual([]);
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('an uncaptured namespace reads as unknown, with why, not as empty', async () => {
    const { page, errors } = await openReport(browser, files.topology!);
    const details = await searchAndPick(page, '4026532702', 'namespace 4026532702');
    expect(details).toContain('captured');
    expect(details).toContain('no — unknown, not empty');
    expect(errors).toEqual([]);
  });
});
