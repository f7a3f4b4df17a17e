/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the page: they name its DOM.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openReport, searchAndPick } from './support/browser.js';
import { ANALYZER_BIN, COLLECTOR_BIN, runCli } from './support/cli.js';
import { Lab, netnsSkipReason } from './support/netns.js';

const skip = netnsSkipReason();
/** Where the screenshots go: NSNAP_REPORT_SCREENSHOTS when set, else the test's temporary directory. */
const shotsDir = (dir: string) => process.env.NSNAP_REPORT_SCREENSHOTS ?? path.join(dir, 'shots');

/** The counts `nsnap diff --json` states, keyed as the report's diff view names them (data-count). */
function diffCounts(d: Record<string, Record<string, unknown[]>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const group of ['namespaces', 'interfaces', 'pairs', 'gaps']) for (const [k, v] of Object.entries(d[group] ?? {})) out[`${group}.${k}`] = v.length;
  return out;
}

/**
 * The report of real namespaces, collected twice by nsnap-collect around real changes, ingested
 * by nsnap, written by `nsnap report` and opened in Debian's chromium from its file: no request
 * leaves the file, no page error, the diff view states `nsnap diff --json`'s numbers, and a
 * search for a host-side veth names the namespace at its other end.
 */
describe.skipIf(skip)('nsnap report in a real browser, over real namespaces', () => {
  const lab = new Lab();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-report-e2e-'));
  const db = path.join(dir, 'nsnap.db');
  const host = `rep-${lab.prefix}`;
  const shots = shotsDir(dir);
  let browser: Browser;
  let ids: string[] = [];
  const named: Record<string, { name: string; hostEnd: string; inode: number }> = {};

  const collect = async () => {
    const r = await runCli(COLLECTOR_BIN, ['--out', path.join(dir, 'bundles'), '--host', host, '--quiet']);
    expect([0, 1], String(r.stderr)).toContain(r.exitCode);
  };
  const nsnap = async (...args: string[]) => {
    const r = await runCli(ANALYZER_BIN, ['--db', db, ...args]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return String(r.stdout);
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await launchChromium();
    const br = lab.ownHostLink(lab.name('br'));
    await lab.ip('link', 'add', br, 'type', 'bridge');
    await lab.ip('link', 'set', br, 'up');
    for (const s of ['a', 'b']) named[s] = await lab.addContainer(s, br);
    await lab.ip('link', 'add', 'x1', 'netns', named.a!.name, 'type', 'veth', 'peer', 'name', 'x2', 'netns', named.b!.name);
    const unnamed = await lab.sleepInNewNetns();
    await lab.ip('link', 'add', lab.ownHostLink(lab.name('hu')), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(unnamed.pid));
    await collect();

    // Between the two snapshots: a container starts, one loses its veth pair, one's MTU changes, and a namespace goes.
    named.c = await lab.addContainer('c', br);
    await lab.ip('link', 'del', named.a!.hostEnd);
    await lab.ip('-n', named.b!.name, 'link', 'set', 'eth0', 'mtu', '1400');
    process.kill(unnamed.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    await collect();
    await nsnap('ingest', '--quiet', path.join(dir, 'bundles'));
    ids = (JSON.parse(await nsnap('snapshots', '--json', '--host', host)) as { snapshots: { id: string }[] }).snapshots.map((s) => s.id);
    expect(ids).toHaveLength(2);
  });

  afterAll(async () => {
    await browser?.close();
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('topology: offline, no error, and a search for a host veth names the namespace at its other end', async () => {
    const file = path.join(dir, 'topology.html');
    await nsnap('report', '--host', host, '--snapshot', ids[1]!, '--out', file);
    const { page, outside, errors } = await openReport(browser, file);
    expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
    const details = await searchAndPick(page, named.b!.hostEnd, named.b!.hostEnd);
    expect(details).toContain(named.b!.hostEnd);
    expect(details).toContain(`owner: netns ${named.b!.name}`);
    expect(details).toContain(String(named.b!.inode));
    // The container's own eth0: its details name its owner and its peer, the host end.
    const eth0 = await searchAndPick(page, String(named.c!.inode), `namespace ${named.c!.inode}`);
    expect(eth0).toContain(named.c!.name);
    await page.screenshot({ path: path.join(shots, 'report-topology.png') });
    expect(statSync(path.join(shots, 'report-topology.png')).size).toBeGreaterThan(1000);
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('diff: states the numbers nsnap diff --json states, and lists what changed', async () => {
    const file = path.join(dir, 'diff.html');
    await nsnap('report', '--host', host, '--from', ids[0]!, '--to', ids[1]!, '--out', file);
    const expected = diffCounts(JSON.parse(await nsnap('diff', ids[0]!, ids[1]!, '--host', host, '--json')));
    const { page, outside, errors } = await openReport(browser, file);
    const shown = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll<HTMLElement>('[data-count]')].map((e) => [e.dataset.count, Number(e.textContent)])));
    expect(shown).toEqual(expected);
    // What this test changed is among them (the host is shared: other tests' changes may be too).
    expect(expected['namespaces.added']).toBeGreaterThanOrEqual(1);
    expect(expected['pairs.removed']).toBeGreaterThanOrEqual(2);
    const lines = await page.locator('#diff li').allInnerTexts();
    expect(lines.some((l) => l.startsWith('+ namespace') && l.includes(named.c!.name))).toBe(true);
    expect(lines.some((l) => l.startsWith('~ eth0') && l.includes(named.b!.name) && l.includes('mtu 1500 → 1400'))).toBe(true);
    expect(lines.some((l) => l.startsWith('- veth') && l.includes(named.a!.hostEnd))).toBe(true);
    await page.screenshot({ path: path.join(shots, 'report-diff.png') });
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('timeline: a bar per namespace, pair and device period; a click shows its owner and changes, or its whois --all period', async () => {
    const file = path.join(dir, 'timeline.html');
    await nsnap('report', '--host', host, '--since', '2000-01-01', '--out', file);
    const { page, outside, errors } = await openReport(browser, file);
    await page.getByRole('button', { name: 'Timeline' }).click();
    await page.locator('.row', { hasText: `netns ${named.b!.name}` }).first().click();
    const details = await page.locator('#details').innerText();
    expect(details).toContain(`owner: netns ${named.b!.name}`);
    expect(details).toMatch(/~ eth0 #\d+: mtu 1500 → 1400/);
    await page.locator('.row', { hasText: `⇄ eth0` }).first().waitFor();
    // The container's eth0 as whois --all states it: its period, owner and peer (the host end).
    await page.locator('.row', { hasText: `▭ eth0 — netns ${named.b!.name}` }).first().click();
    const period = await page.locator('#details').innerText();
    expect(period).toContain('whois eth0 --all: a period');
    expect(period).toContain(`owner: netns ${named.b!.name}`);
    expect(period).toMatch(new RegExp(`peer\n${named.b!.hostEnd} #\\d+ in host`));
    await page.screenshot({ path: path.join(shots, 'report-timeline.png') });
    expect(existsSync(path.join(shots, 'report-timeline.png'))).toBe(true);
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  });
});
