import { CATALOGUE, type ColumnType } from './catalogue.js';

/** A column type as the docs write it: the Parquet/DuckDB reading of it. */
function typeText(t: ColumnType): string {
  const scalar: Record<string, string> = { string: 'VARCHAR', int32: 'INTEGER', int64: 'BIGINT', bool: 'BOOLEAN', double: 'DOUBLE', timestamp: 'TIMESTAMP (UTC, ms)' };
  if (typeof t === 'string') return scalar[t] as string;
  if (typeof t.list === 'string') return `${scalar[t.list]}[]`;
  return `STRUCT(${Object.entries(t.list.struct).map(([n, f]) => `${n} ${scalar[f.type]}`).join(', ')})[]`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The lake's tables as Markdown, for docs/fleet.md (a test checks that the file holds exactly this). */
export function catalogueMarkdown(): string {
  const parts: string[] = [];
  for (const t of CATALOGUE) {
    parts.push(`### ${t.name}\n\n${t.doc} Key within a snapshot: ${t.key.map((k) => `\`${k}\``).join(', ')}.\n`);
    parts.push('| column | type | null | meaning |\n| --- | --- | --- | --- |');
    for (const c of t.columns) parts.push(`| \`${c.name}\` | ${typeText(c.type)} | ${c.nullable ? 'yes' : 'no'} | ${cell(c.doc)} |`);
    parts.push('');
  }
  return parts.join('\n');
}
