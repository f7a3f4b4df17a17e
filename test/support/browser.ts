/// <reference lib="dom" />
// page.evaluate callbacks run in the page: they name its DOM.
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium package (scripts/setup.mjs installs it): playwright-core drives it and downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A report opened from its file, with every request that left the file and every page error seen while it loaded and was used. */
export interface OpenedReport {
  page: Page;
  /** Requests not for file:, data: or blob: URLs: a self-contained report makes none. */
  outside: string[];
  /** Uncaught exceptions, console errors (a CSP violation is one) and dialogs the page opened. */
  errors: string[];
}

export async function openReport(browser: Browser, file: string): Promise<OpenedReport> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const outside: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (!/^(file|data|blob):/.test(r.url())) outside.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 60_000 });
  return { page, outside, errors };
}

/** Types into the search box, clicks the first result whose text contains `pick`, and returns the details panel's text. */
export async function searchAndPick(page: Page, query: string, pick: string): Promise<string> {
  await page.fill('#search', query);
  const hit = page.locator('#results li', { hasText: pick }).first();
  await hit.click();
  return page.locator('#details').innerText();
}
