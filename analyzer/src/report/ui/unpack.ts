import type { ReportData } from '../model.js';

/** The report's data: base64 text of gzip-compressed JSON in a script element the browser does not run. */
export async function unpack(id: string): Promise<ReportData> {
  const text = document.getElementById(id)?.textContent ?? '';
  const bin = atob(text.trim());
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  const data = JSON.parse(await new Response(stream).text()) as ReportData;
  if (data.version !== 1) throw new Error(`report data version ${String(data.version)}: this page reads version 1`);
  return data;
}
