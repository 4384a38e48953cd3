#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ caches compiled modules on disk: a much faster cold start for every later `ccrx` run.
module.enableCompileCache?.();

const { main } = await import('../dist/src/cli/index.js');
await main(process.argv.slice(2));
