import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
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

  it('every Codex provider block in README.md and docs/ uses the ids `ccrx codex-config` writes', () => {
    const root = resolve(import.meta.dirname, '..', '..');
    const files = ['README.md', ...readdirSync(resolve(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const ids: string[] = [];
    for (const file of files) {
      for (const block of readFileSync(resolve(root, file), 'utf8').matchAll(/```toml\n([\s\S]*?)```/g)) {
        const doc = parse(block[1]!) as { model_provider?: string; model_providers?: Record<string, unknown> };
        ids.push(...[doc.model_provider, ...Object.keys(doc.model_providers ?? {})].filter((id): id is string => id !== undefined).map((id) => `${file}: ${id}`));
      }
    }
    expect(ids.length).toBeGreaterThan(3);
    // codex-config's rule: `ccrx` for the top-level chain, `ccrx-<provider>` for a provider chain.
    expect(ids.filter((id) => !/: ccrx(-[a-z0-9_-]+)?$/.test(id))).toEqual([]);
  });

  it('docs/config.md holds the reference generated from the ajv schemas (run `npm run docs` after changing one)', async () => {
    const doc = docs('config.md');
    expect(spliceGenerated(doc, await renderConfigReference())).toBe(doc);
  });
});
