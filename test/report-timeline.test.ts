/// <reference lib="dom" />
// page.evaluate callbacks run in the page: they name its DOM.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANSWERS } from '@nsnap/analyzer';
import { launchChromium, openReport } from './support/browser.js';
import { BundleBuilder, writeBundle } from './support/bundle-builder.js';
import { ANALYZER_BIN, runCli } from './support/cli.js';

const HOST = 4026531840;
const SNAPSHOTS = 7;
const time = (k: number) => new Date(Date.UTC(2026, 10, 29, 10, k)).toISOString();

/** Snapshot k: pods k and k+1, each a named namespace whose eth0 pairs with the host's veth<p>. */
function bundle(k: number) {
  const pods = [k, k + 1];
  const b = new BundleBuilder({ host: 'tl-e2e', takenAt: time(k) }).namespace({
    inode: HOST,
    host: true,
    links: pods.map((p, nsid) => ({ ifindex: 10 + p, ifname: `veth${p}`, kind: 'veth', linkIndex: 2, linkNetnsid: nsid })),
  });
  for (const p of pods) b.namespace({ inode: 4026532000 + p, names: [`pod${p}`], links: [{ ifindex: 2, ifname: 'eth0', kind: 'veth', linkIndex: 10 + p, linkNetnsid: 0 }] });
  b.lsns(HOST, pods.map((p, nsid) => ({ inode: 4026532000 + p, nsid })));
  return b.build();
}

/**
 * A range longer than the timeline may draw: the report draws the latest snapshots, states on the
 * page and in --json what it left out and how to see it, and draws the whois --all periods of the
 * devices in what it draws, each with the peer `nsnap whois NAME --all` names.
 */
describe('a report timeline over more snapshots than it draws', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nsnap-report-timeline-'));
  const db = path.join(dir, 'nsnap.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('draws the latest, says what it left out, and draws whois --all periods', async () => {
    const files = Array.from({ length: SNAPSHOTS }, (_, k) => writeBundle(path.join(dir, 'bundles'), bundle(k)));
    const ingest = await runCli(ANALYZER_BIN, ['ingest', '-q', ...files, '--db', db]);
    expect(ingest.exitCode, String(ingest.stderr)).toBe(0);
    const file = path.join(dir, 'timeline.html');
    const r = await runCli(ANALYZER_BIN, ['--db', db, 'report', '--host', 'tl-e2e', '--since', '2026-11-29', '--max-snapshots', '4', '--out', file, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const answer = JSON.parse(String(r.stdout));
    const parsed = ANSWERS.report.schema.safeParse(answer);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toStrictEqual(answer);
    expect(answer.timeline).toMatchObject({ rangeSnapshots: SNAPSHOTS, snapshots: 4, omitted: { snapshots: { count: 3, from: time(0), to: time(2) }, bars: null } });
    expect(answer.timeline.omitted.hints[0]).toContain(`--until ${time(2)}`);
    // The same line on stderr: a run that leaves something out says so.
    expect(String(r.stderr)).toContain(`left out: the 3 earliest snapshots`);

    // In the 4 snapshots drawn (3 to 6): pods 3 to 7, so eth0 in 5 namespaces and veth3 to veth7.
    expect(answer.timeline.bars.device).toBe(10);
    const whois = JSON.parse(String((await runCli(ANALYZER_BIN, ['--db', db, 'whois', 'eth0', '--all', '--host', 'tl-e2e', '--json'])).stdout));
    const pod5 = whois.periods.find((p: { match: { names: string[] } }) => p.match.names.includes('pod5'));
    expect(pod5.match.peer.ifname).toBe('veth5');

    const browser = await launchChromium();
    try {
      const { page, outside, errors } = await openReport(browser, file);
      expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
      await page.getByRole('button', { name: 'Timeline' }).click();
      const omitted = await page.locator('[data-role=omitted]').innerText();
      expect(omitted).toContain(`left out: the 3 earliest snapshots (${time(0)} → ${time(2)}) are not drawn`);
      expect(await page.locator('#timeline > p').first().innerText()).toMatch(/^4 of 7 snapshots/);
      expect(await page.locator('.row .bar.device').count()).toBe(10);
      await page.locator('.row', { hasText: '▭ eth0 — netns pod5' }).click();
      const details = await page.locator('#details').innerText();
      expect(details).toContain('whois eth0 --all: a period');
      expect(details).toContain(`${pod5.first.takenAt} (${pod5.first.id}) → ${pod5.last.takenAt} (${pod5.last.id})`);
      expect(details).toMatch(/peer\nveth5 #15 in host/);
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('refuses a --max-snapshots above the default: the file stays bounded', async () => {
    const r = await runCli(ANALYZER_BIN, ['--db', db, 'report', '--host', 'tl-e2e', '--since', '2026-11-29', '--max-snapshots', '5000', '--out', path.join(dir, 'x.html')]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('--max-snapshots');
  });
});
