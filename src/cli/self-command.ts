import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, sep } from 'node:path';
import { findPackage, packageRoot } from '../core/version.js';
import { CLIError } from './errors.js';

/** npm's npx cache (`~/.npm/_npx/<hash>/`): npm may clear or rebuild it at any time. */
const isNpxCache = (path: string) => path.split(sep).includes('_npx');
/** A project's `node_modules/.bin`: on PATH only while npm runs a script or npx, in that project. */
const isProjectBin = (dir: string) => dir.split(sep).slice(-2).join('/') === 'node_modules/.bin';

/**
 * The command line that runs this package's `ccrx` later, from Codex's `auth.command`: `ccrx` when a `ccrx` on PATH
 * is this package (a global install), else node with the absolute path of the `bin/ccrx.js` running now (a clone).
 * A copy inside npm's npx cache is never written: the command would break when npm clears the cache.
 */
export function selfCommand(o: { env?: Readonly<Record<string, string | undefined>>; execPath?: string; root?: string } = {}): string[] {
  const env = o.env ?? process.env;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || isNpxCache(dir) || isProjectBin(dir)) continue;
    for (const name of process.platform === 'win32' ? ['ccrx.cmd', 'ccrx'] : ['ccrx']) {
      const candidate = join(dir, name);
      if (!existsSync(candidate)) continue;
      let real: string;
      try {
        real = realpathSync(candidate);
      } catch {
        continue;
      }
      const found = findPackage(dirname(real)).root;
      if (found && !isNpxCache(found)) return ['ccrx'];
    }
  }
  const root = o.root ?? packageRoot();
  if (!root) throw new CLIError('cannot tell where this codex-code-router is installed, so no auth command can be written');
  const script = realpathSync(join(root, 'bin', 'ccrx.js'));
  if (isNpxCache(script)) {
    throw new CLIError(`this ccrx runs from npm's npx cache (${script}), which npm may clear, so Codex's auth command would break; install it (a global install puts ccrx on PATH) or run it from a clone (node <clone>/bin/ccrx.js codex-config), then run codex-config again`);
  }
  return [o.execPath ?? process.execPath, script];
}
