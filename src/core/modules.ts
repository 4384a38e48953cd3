import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Jiti } from 'jiti';

/** The package root (`src/index` or `dist/src/index`), so configs and local plugins import the running copy. */
const selfEntry = (() => {
  const here = fileURLToPath(import.meta.url);
  return resolve(dirname(here), '..', `index${extname(here)}`);
})();

const jitiCache = new Map<string, Jiti>();
let jitiModule: typeof import('jiti') | undefined;

/** jiti is imported on first use: a gateway without a config file or local plugins never pays for it. */
async function jitiFor(fromDir: string): Promise<Jiti> {
  jitiModule ??= await import('jiti');
  let jiti = jitiCache.get(fromDir);
  if (!jiti) {
    jiti = jitiModule.createJiti(pathToFileURL(resolve(fromDir, 'noop.js')).href, {
      interopDefault: true,
      moduleCache: true,
      // A config or local plugin importing `codex-code-router` gets this very copy, wherever it lives.
      alias: { 'codex-code-router': selfEntry },
    });
    jitiCache.set(fromDir, jiti);
  }
  return jiti;
}

/** Resolves a relative path, absolute path or package name the way Node would from `fromDir`. */
export async function resolveModule(specifier: string, fromDir: string): Promise<string> {
  if (specifier.startsWith('.') || isAbsolute(specifier)) return resolve(fromDir, specifier);
  const resolved = (await jitiFor(fromDir)).esmResolve(specifier, { parentURL: pathToFileURL(resolve(fromDir, 'noop.js')).href });
  return resolved.startsWith('file:') ? fileURLToPath(resolved) : resolved;
}

/**
 * Loads a config or plugin module through jiti: TypeScript needs no build step, and `codex-code-router` imports
 * resolve to the running copy even from a linked package (a `file:` dependency has no node_modules of its own).
 * Returns the default export when there is one.
 */
export async function loadModule(file: string): Promise<unknown> {
  return (await jitiFor(dirname(file))).import(file, { default: true });
}
