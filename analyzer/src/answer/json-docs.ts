import { z } from 'zod';
import { ANSWERS } from './index.js';

/** A JSON Schema node, as much of it as the outline reads. */
interface Node {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  anyOf?: Node[];
  enum?: unknown[];
  const?: unknown;
  additionalProperties?: Node | boolean;
}

const INTRO = `# JSON answers (\`--json\`, \`--format json\`)

<!-- Generated from the zod schemas in analyzer/src/answer/ by \`node scripts/json-docs.mjs\`;
     analyzer/src/answer/json-docs.test.ts fails when this file and the schemas disagree. Do not edit. -->

Every query prints one JSON document on stdout with \`--json\` (the same as \`--format json\`). Its
first field, \`answerVersion\`, says which version of that answer's schema it follows. The schemas
are the zod types in \`analyzer/src/answer/\` (one file per question), the very types the queries
produce; the tests parse every command's output with them.

**Versions.** Each answer has its own version, starting at 1. Adding a field, or a value to a field
that lists kinds or reasons, keeps the version: readers must ignore fields they do not know. Removing
or renaming a field, or changing its type or meaning, bumps the version of that answer. A reader
should check \`answerVersion\` and refuse a version it does not know.

**Text.** Names, aliases, comms, paths and details are exact: what the host had. A byte that was not
UTF-8 is the lone surrogate U+DC00+byte (docs/bundle.md), written \`\\udc80\`…\`\\udcff\`; control
characters, DEL, C1 controls, bidi controls and the line and paragraph separators are written as
\`\\uXXXX\` escapes, so the output is safe to print and parses to the same values.

Each field below is listed with its type; \`optional\` fields may be absent, \`| null\` ones present
and null.

**Times** are ISO-8601 UTC with milliseconds (\`2026-11-29T03:12:00.000Z\`); \`netns\` is a namespace
inode (a number), \`ifindex\` an interface index within its namespace.
`;

const typeOf = (n: Node): string => {
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (n.anyOf) return n.anyOf.map(typeOf).join(' \\| ');
  if (n.type === 'array') return `array of ${n.items ? typeOf(n.items) : 'any'}`;
  if (n.type === 'object' && !n.properties && typeof n.additionalProperties === 'object') return `object of ${typeOf(n.additionalProperties)}`;
  if (Array.isArray(n.type)) return n.type.join(' \\| ');
  return n.type ?? 'any';
};

/** The object whose fields a node lists, if any: itself, its array items, or the object among `anyOf` (a nullable one). */
function fieldsOf(n: Node): Node | null {
  if (n.properties) return n;
  if (n.items) return fieldsOf(n.items);
  if (n.anyOf) for (const m of n.anyOf) if (fieldsOf(m)) return fieldsOf(m);
  if (typeof n.additionalProperties === 'object') return fieldsOf(n.additionalProperties);
  return null;
}

function outline(n: Node, depth: number, lines: string[]): void {
  const required = new Set(n.required ?? []);
  for (const [name, field] of Object.entries(n.properties ?? {})) {
    const inner = fieldsOf(field);
    const type = typeOf(field);
    const optional = required.has(name) ? '' : ', optional';
    const description = field.description ?? field.items?.description ?? field.anyOf?.find((m) => m.description)?.description;
    lines.push(`${'  '.repeat(depth)}- \`${name}\` (${type}${optional})${description ? ` — ${description}` : ''}`);
    if (inner) outline(inner, depth + 1, lines);
  }
}

/** docs/json.md: the rules, then each answer's fields (from its JSON Schema) as an outline. */
export function jsonDocs(): string {
  const parts = [INTRO];
  for (const [name, { command, schema }] of Object.entries(ANSWERS)) {
    const json = z.toJSONSchema(schema, { io: 'input' }) as Node;
    const lines: string[] = [];
    outline(json, 0, lines);
    const version = (json.properties?.answerVersion?.const as number | undefined) ?? 0;
    parts.push(`## ${name}: \`${command}\`\n\nanswerVersion ${version}.\n\n${lines.join('\n')}\n`);
  }
  return parts.join('\n');
}
