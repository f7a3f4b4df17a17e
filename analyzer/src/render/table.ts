import { terminalWidth } from './terminal.js';

/**
 * Left-aligned columns separated by two spaces, of raw cells: each is padded to the width its
 * terminal escape takes, so the lines line up once `terminalLines` has escaped them.
 */
export function table(header: string[], rows: string[][], indent = ''): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => terminalWidth(r[i] ?? ''))));
  const line = (cells: string[]) => `${indent}${cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - terminalWidth(c))))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}
