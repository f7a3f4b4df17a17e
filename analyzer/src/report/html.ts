import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ReportData } from './model.js';
import { PAGE_CSS } from './page-css.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The report as one HTML file: the page's script (cytoscape and ui/, bundled
 * by build.mjs) and styles inline, allowed by their hashes in a
 * Content-Security-Policy that allows nothing else — no request leaves the
 * file, and nothing in the data can run. The style element has the id cytoscape
 * looks for before it adds its own (which the policy would block). The data goes in gzip-compressed
 * and base64-encoded (no character of it can end the element it is in),
 * inside a script element of a type the browser does not run; the page
 * unpacks it with DecompressionStream. No text of the data is put into the
 * markup: the page shows it with textContent only.
 */
export function reportHtml(data: ReportData, script: string): string {
  if (/<\/script/i.test(script) || /<!--/.test(script)) throw new Error('the report script holds "</script" or "<!--": it cannot be inlined');
  const packed = gzipSync(JSON.stringify(data), { level: 9 }).toString('base64');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(PAGE_CSS)}`,
    'img-src data: blob:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nsnap report</title>
<style id="__________cytoscape_stylesheet">${PAGE_CSS}</style>
</head>
<body>
<header>
  <strong id="title">nsnap report</strong>
  <nav id="tabs"></nav>
  <button id="fit" type="button" title="show the whole graph">Fit</button>
  <input id="search" type="search" placeholder="search: interface, namespace, container, pod, IP" autocomplete="off" spellcheck="false">
</header>
<main>
  <section id="diff" hidden></section>
  <div id="graph"></div>
  <div id="timeline" hidden></div>
  <aside>
    <ol id="results"></ol>
    <div id="details"><p class="hint">Click a namespace, an interface or a veth, or search.</p></div>
  </aside>
</main>
<p id="status" role="status">unpacking…</p>
<script type="application/gzip;base64" id="nsnap-data">${packed}</script>
<script>${script}</script>
</body>
</html>
`;
}
