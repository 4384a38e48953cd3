import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string | undefined; version: string } | undefined;

/** This package's version, read from the nearest package.json above this file (src or dist alike). */
export function packageVersion(): string {
  return (cached ??= findPackage(dirname(fileURLToPath(import.meta.url)))).version;
}

/** The directory of this package's package.json (a clone, a global install, npm's npx cache...). */
export function packageRoot(): string | undefined {
  return (cached ??= findPackage(dirname(fileURLToPath(import.meta.url)))).root;
}

/** The codex-code-router package that `start` (a directory or file) lies in, walking up. */
export function findPackage(start: string): { root: string | undefined; version: string } {
  let dir = start;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'codex-code-router') return { root: dir, version: pkg.version ?? '0.0.0' };
    } catch {
      // not here; keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return { root: undefined, version: '0.0.0' };
    dir = parent;
  }
}
