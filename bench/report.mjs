#!/usr/bin/env node
// `nsnap report` at size: two snapshots of a docker-like host of N containers (bench/analyzer-bundles.mjs:
// shapes from one real collector run, cloned, 5 % churn between the two), ingested, written as a diff
// report, a topology report and a timeline (range) report, then opened in headless Debian chromium (playwright-core).
// Figures: the file's size against the 1 MB budget, and the page's render time (navigation start to
// drawn, read from the page) against the 1 s budget, each as a ratio (< 1 is within budget).
//   node bench/report.mjs [--namespaces 400] [--runs 5] [--screenshots DIR]   (root: the template is a real collector run)
// With --screenshots, the first run of each report is saved as DIR/report-<name>.png (the README's
// come from `--namespaces 24 --screenshots docs/img`), the topology with a veth searched and picked, then the whole graph shown.
// With --profile DIR, the first run of each report is profiled by chromium's CDP Profiler, saved as
// DIR/report-<name>.cpuprofile (open it in DevTools' Performance panel; the page script is minified:
// build it unminified to read function names).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimHost, captureTemplate, templateParts, writeSnapshots } from './analyzer-bundles.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const namespaces = Number(opt('--namespaces', '400'));
const runs = Number(opt('--runs', '5'));
const screenshots = opt('--screenshots', null);
const profiles = opt('--profile', null);
const MB = 1_000_000;
const BUDGET_MS = 1000;
const log = (m) => process.stderr.write(`${m}\n`);
const nsnap = (args) => {
  const r = spawnSync(process.execPath, [path.join(root, 'analyzer/dist/nsnap.cjs'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nsnap ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r;
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsnap-bench-report-'));
try {
  const parts = templateParts(await captureTemplate(path.join(root, 'collector/dist/bin.js')));
  const host = new SimHost(parts, { label: 'big-1', namespaces, churn: 0.05, seed: 3, start: '2026-11-29T10:00:00Z' });
  await writeSnapshots(host, path.join(tmp, 'bundles'), 2);
  const db = path.join(tmp, 'nsnap.db');
  nsnap(['--db', db, 'ingest', '--quiet', path.join(tmp, 'bundles')]);
  const reports = {
    diff: ['--from', 'latest~1', '--to', 'latest'],
    topology: ['--snapshot', 'latest'],
    // The timeline of both (bars for namespaces, pairs and whois --all device periods) and the topology at its end.
    range: ['--since', '2000-01-01'],
  };
  const { chromium } = await import(path.join(root, 'node_modules/playwright-core/index.mjs'));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const results = {};
  // The renderer processes' CPU time (all their threads) while a page loads and draws: less swayed
  // than the wall time by other work on the machine (its load average is printed with the figures).
  const cdp = await browser.newBrowserCDPSession();
  const rendererCpu = async () => (await cdp.send('SystemInfo.getProcessInfo')).processInfo.filter((p) => p.type === 'renderer').reduce((sum, p) => sum + p.cpuTime, 0);
  try {
    for (const [name, args] of Object.entries(reports)) {
      const file = path.join(tmp, `${name}.html`);
      const t0 = performance.now();
      nsnap(['--db', db, 'report', '--host', 'big-1', ...args, '--out', file]);
      const writeMs = performance.now() - t0;
      const bytes = statSync(file).size;
      const times = [];
      const cpus = [];
      for (let i = 0; i < runs; i++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto('about:blank');
        const profiler = i === 0 && profiles ? await page.context().newCDPSession(page) : null;
        if (profiler) {
          await profiler.send('Profiler.enable');
          await profiler.send('Profiler.start');
        }
        const cpu0 = await rendererCpu();
        await page.goto(`file://${file}`);
        await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
        if (profiler) writeFileSync(path.join(profiles, `report-${name}.cpuprofile`), JSON.stringify((await profiler.send('Profiler.stop')).profile));
        const ready = await page.evaluate(() => [document.body.dataset.ready, Number(document.body.dataset.renderMs), document.body.dataset.timings]);
        if (i === 0) log(`${name}: ${ready[2]}`);
        if (i === 0 && screenshots) {
          if (name === 'topology') {
            await page.fill('#search', 'veth');
            await page.locator('#results li', { hasText: 'veth' }).first().click();
            await page.click('#fit');
            await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
          }
          await page.screenshot({ path: path.join(screenshots, `report-${name}.png`) });
        }
        if (ready[0] !== 'true' || errors.length > 0) throw new Error(`${name} report did not render: ${errors.join('; ')}`);
        times.push(ready[1]);
        cpus.push(Math.round(((await rendererCpu()) - cpu0) * 1000));
        await page.close();
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      cpus.sort((a, b) => a - b);
      const cpuMs = cpus[Math.floor(cpus.length / 2)];
      results[name] = { bytes, sizeRatio: +(bytes / MB).toFixed(3), renderMs: median, renderRatio: +(median / BUDGET_MS).toFixed(3), rendererCpuMs: cpuMs, rendererCpuRatio: +(cpuMs / BUDGET_MS).toFixed(3), writeMs: Math.round(writeMs) };
      log(`${name}: ${(bytes / 1024).toFixed(0)} KiB (${results[name].sizeRatio} of 1 MB), rendered in ${median} ms median of ${runs} (${results[name].renderRatio} of 1 s; renderer CPU ${cpuMs} ms), written in ${results[name].writeMs} ms`);
    }
  } finally {
    await browser.close();
  }
  // Other work on the machine slows the browser: the load says how much the figures are worth.
  process.stdout.write(`${JSON.stringify({ machine: { cpus: os.availableParallelism(), node: process.version, loadavg: os.loadavg().map((l) => +l.toFixed(1)) }, params: { namespaces, runs }, results }, null, 2)}\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
