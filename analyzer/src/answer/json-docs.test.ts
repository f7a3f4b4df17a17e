import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ANSWERS } from './index.js';
import { jsonDocs } from './json-docs.js';
import { ANSWER_VERSIONS } from './version.js';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/json.md');

describe('docs/json.md', () => {
  it('is what the zod answer schemas generate (node scripts/json-docs.mjs writes it)', () => {
    expect(readFileSync(docs, 'utf8')).toBe(jsonDocs());
  });

  it('documents every answer with the version the queries stamp on it', () => {
    expect(Object.keys(ANSWERS).sort()).toEqual(Object.keys(ANSWER_VERSIONS).sort());
    for (const [name, version] of Object.entries(ANSWER_VERSIONS)) {
      expect(jsonDocs()).toContain(`## ${name}: `);
      expect(ANSWERS[name as keyof typeof ANSWERS].schema.shape.answerVersion.value).toBe(version);
    }
  });
});
