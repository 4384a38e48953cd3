import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // The example plugin package imports the package by name, as a published plugin does.
  resolve: { alias: [
    { find: /^codex-code-router\/testing$/, replacement: src('testing/index.ts') },
    { find: /^codex-code-router$/, replacement: src('index.ts') },
  ] },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.js'],
    exclude: ['test/e2e/**', 'test/live/**', '**/node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
