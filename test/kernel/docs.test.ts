import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigReference, spliceGenerated } from '../../scripts/config-reference.js';
import { createHooks, Stage } from '../../src/core/hooks.js';
import { createLogger } from '../../src/core/logger.js';

const docs = (name: string) => readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', name), 'utf8');

describe('docs follow the code', () => {
  it('every hook has a section in docs/hooks.md, and every section is a hook', () => {
    const hooks = Object.keys(createHooks(createLogger({ level: 'silent', pretty: false }))).sort();
    const headings = [...docs('hooks.md').matchAll(/^### (\w+)$/gm)].map((m) => m[1]).sort();
    expect(headings).toEqual(hooks);
  });

  it('every stage is documented with its value', () => {
    for (const [name, value] of Object.entries(Stage)) expect(docs('hooks.md')).toContain(`| \`Stage.${name}\` | ${value} |`);
  });

  it('docs/config.md holds the reference generated from the ajv schemas (run `npm run docs` after changing one)', async () => {
    const doc = docs('config.md');
    expect(spliceGenerated(doc, await renderConfigReference())).toBe(doc);
  });
});
