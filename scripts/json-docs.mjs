#!/usr/bin/env node
// Writes docs/json.md from the zod answer schemas (analyzer/src/answer/), as built by `tsc -b`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { jsonDocs } = await import(path.join(root, 'analyzer/dist/answer/json-docs.js'));
writeFileSync(path.join(root, 'docs/json.md'), jsonDocs());
process.stderr.write('docs/json.md written\n');
