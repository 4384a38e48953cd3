import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { CLIError } from '../cli/errors.js';

const PACKAGE = 'codex-code-router';

/**
 * The npm global prefix a script was installed under: `<prefix>/lib/node_modules/codex-code-router/…`
 * (POSIX) or `<prefix>\node_modules\codex-code-router\…` (Windows). Undefined for a git checkout.
 */
export function installPrefix(realScript: string): string | undefined {
  const parts = realScript.split(/[\\/]/);
  for (let i = parts.length - 2; i > 0; i--) {
    if (parts[i] === PACKAGE && parts[i - 1] === 'node_modules') {
      const end = parts[i - 2] === 'lib' ? i - 2 : i - 1;
      return parts.slice(0, end).join(sep) || sep;
    }
  }
  return undefined;
}

export interface UpdatePlan {
  description: string;
  prefix: string;
  args: string[];
}

/** What to install and how: `--from FILE` (a packed tarball) or the registry's `--version` (default latest). */
export function planUpdate(o: { prefix: string; version?: string; from?: string; registry?: string; cwd?: string }): UpdatePlan {
  if (o.from && o.version) throw new CLIError('--from and --version cannot be combined: a package file has its own version');
  const spec = o.from ? resolve(o.cwd ?? process.cwd(), o.from) : `${PACKAGE}@${o.version ?? 'latest'}`;
  const description = o.from ? `package file ${spec}` : o.version ? `npm package ${PACKAGE}@${o.version}` : `latest npm package ${PACKAGE}`;
  const args = ['install', '--global', '--prefix', o.prefix, '--no-audit', '--no-fund'];
  if (o.registry) args.push('--registry', o.registry);
  args.push(spec);
  return { description: o.registry && !o.from ? `${description} (registry ${o.registry})` : description, prefix: o.prefix, args };
}

/** Runs npm with its output on our terminal; resolves with the exit status. */
export function runNpm(args: string[]): Promise<number> {
  const win = process.platform === 'win32';
  return new Promise((done, fail) => {
    const child = spawn(win ? 'npm.cmd' : 'npm', args, { stdio: ['ignore', 'inherit', 'inherit'], shell: win });
    child.once('error', (err) => fail(new CLIError(`cannot run npm: ${err.message}`)));
    child.once('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** The version now installed under `prefix`, read from its package.json. */
export function installedVersion(prefix: string): string | undefined {
  const candidates = [join(prefix, 'lib', 'node_modules', PACKAGE, 'package.json'), join(prefix, 'node_modules', PACKAGE, 'package.json')];
  for (const file of candidates) {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
    } catch {
      // try the other layout
    }
  }
  return undefined;
}
