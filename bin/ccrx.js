#!/usr/bin/env node
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node 22.1+ caches compiled modules on disk: a much faster cold start for every later `ccrx` run.
module.enableCompileCache?.();

const entry = new URL('../dist/src/cli/index.js', import.meta.url);
// A packed package always holds dist/; a clone has it only once built (`npm start`, `npm test`, `npm run build`).
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ccrx: dist/ is not built yet in this clone; run `npm run build` (npm start and npm test build it too)\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
