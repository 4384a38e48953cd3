/**
 * `npm run test:compat`: the real-Codex e2e suite against several Codex versions (docs/compatibility.md).
 *
 *   npm run test:compat                              # 0.150.0, 0.166.0, the pinned one, the newest published
 *   npm run test:compat -- --versions latest         # what CI adds to the pinned run of `npm run test:e2e`
 *   npm run test:compat -- --versions 0.160.0,pinned
 *
 * Each version other than the pinned dev dependency is installed from the npm registry into
 * node_modules/.cache/codex-compat/<version> (`npm install --prefix`, no install scripts), once; its native binary
 * must come inside its platform package, an optional dependency on the registry. The suite then runs with
 * CCRX_CODEX_BIN pointing at that binary. Exit code 1 when any version fails or cannot be installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'codex-compat');
const DEFAULT_VERSIONS = ['0.150.0', '0.166.0', 'pinned', 'latest'];
const PACKAGE = '@openai/codex';

interface Result {
  version: string;
  label: string;
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
  error?: string;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function argVersions(): string[] {
  const i = process.argv.indexOf('--versions');
  const raw = i >= 0 ? process.argv[i + 1] : process.env.CCRX_COMPAT_VERSIONS;
  return raw ? raw.split(',').map((v) => v.trim()).filter(Boolean) : DEFAULT_VERSIONS;
}

function pinnedVersion(): string {
  const pkg = readJson<{ devDependencies?: Record<string, string> }>(join(ROOT, 'package.json'));
  const pinned = pkg.devDependencies?.[PACKAGE];
  if (!pinned || !/^\d+\.\d+\.\d+/.test(pinned)) throw new Error(`package.json must pin ${PACKAGE} to an exact version (found ${pinned ?? 'none'})`);
  return pinned;
}

function npm(args: string[], cwd = ROOT): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** `pinned` and `latest` resolved to versions; duplicates dropped, the first label kept. */
function resolveVersions(asked: string[]): { version: string; label: string }[] {
  const out: { version: string; label: string }[] = [];
  for (const token of asked) {
    const version = token === 'pinned' ? pinnedVersion() : token === 'latest' || token === 'newest' ? npm(['view', PACKAGE, 'version']) : token;
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) throw new Error(`not a Codex version: ${token}`);
    const label = token === 'pinned' ? 'pinned' : token === 'latest' || token === 'newest' ? 'newest' : '';
    const seen = out.find((v) => v.version === version);
    if (seen) seen.label = [seen.label, label].filter(Boolean).join(', ');
    else out.push({ version, label });
  }
  return out;
}

/** The platform package npm installs as the optional dependency `@openai/codex-<platform>-<arch>`. */
const platformPackage = () => `${PACKAGE}-${process.platform}-${process.arch}`;

/** Installs one version under the cache (once) and checks where its binary came from; returns the `codex` path. */
function install(version: string): string {
  const dir = join(CACHE, version);
  const bin = join(dir, 'node_modules', '.bin', 'codex');
  const installed = join(dir, 'node_modules', PACKAGE, 'package.json');
  if (!existsSync(installed) || readJson<{ version: string }>(installed).version !== version) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    process.stdout.write(`\n== installing ${PACKAGE}@${version} into ${dir}\n`);
    // --ignore-scripts: a binary fetched by an install script (from anywhere) would be missing, and fail the check below.
    npm(['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', `${PACKAGE}@${version}`]);
  }
  checkInstall(dir, version);
  return bin;
}

/** The binary is inside the platform package from the registry, and neither package runs install scripts. */
function checkInstall(dir: string, version: string): void {
  const modules = join(dir, 'node_modules');
  const main = readJson<{ version: string; scripts?: Record<string, string>; optionalDependencies?: Record<string, string> }>(join(modules, PACKAGE, 'package.json'));
  const platform = platformPackage();
  const spec = main.optionalDependencies?.[platform];
  if (!spec?.startsWith(`npm:${PACKAGE}@`)) throw new Error(`${PACKAGE}@${version} names no registry package for ${platform} (optionalDependencies: ${JSON.stringify(main.optionalDependencies)})`);
  const platformJson = join(modules, platform, 'package.json');
  if (!existsSync(platformJson)) throw new Error(`${platform} (${spec}) was not installed: no Codex binary for this machine`);
  const native = readJson<{ version: string; scripts?: Record<string, string> }>(platformJson);
  for (const [name, pkg] of [[PACKAGE, main], [platform, native]] as const) {
    const hooks = Object.keys(pkg.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall'].includes(s));
    if (hooks.length) throw new Error(`${name}@${pkg.version} has install scripts (${hooks.join(', ')}): its binary may come from outside the registry`);
  }
  const lock = join(modules, '.package-lock.json');
  const registry = npm(['config', 'get', 'registry']).replace(/\/?$/, '/');
  if (existsSync(lock)) {
    for (const [path, entry] of Object.entries(readJson<{ packages: Record<string, { resolved?: string }> }>(lock).packages)) {
      if (entry.resolved && !entry.resolved.startsWith(registry)) throw new Error(`${path} was fetched from ${entry.resolved}, not from ${registry}`);
    }
  }
  const printed = execFileSync(join(modules, '.bin', 'codex'), ['--version'], { encoding: 'utf8' });
  if (!printed.includes(version)) throw new Error(`the installed codex prints ${printed.trim()}, not ${version}`);
}

function runSuite(version: string, label: string, bin: string | undefined): Result {
  const report = join(CACHE, `results-${version}.json`);
  process.stdout.write(`\n== Codex ${version}${label ? ` (${label})` : ''}: npm run test:e2e suite\n`);
  const vitest = join(ROOT, 'node_modules', '.bin', 'vitest');
  const env = { ...process.env, ...(bin ? { CCRX_CODEX_BIN: bin } : {}) };
  if (!bin) delete env.CCRX_CODEX_BIN;
  spawnSync(vitest, ['run', '--config', 'vitest.e2e.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], { cwd: ROOT, env, stdio: 'inherit' });
  if (!existsSync(report)) return { version, label, passed: 0, failed: 0, skipped: 0, failures: [], error: 'vitest wrote no report' };
  const json = readJson<{ numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: { assertionResults: { fullName: string; status: string }[] }[] }>(report);
  const failures = json.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName));
  return { version, label, passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests + json.numTodoTests, failures };
}

function table(results: Result[]): string {
  const rows = results.map((r) => `| ${r.version}${r.label ? ` (${r.label})` : ''} | ${r.error ? 'not run' : r.passed} | ${r.error ? '—' : r.failed} | ${r.error ? '—' : r.skipped} | ${r.error ?? (r.failures.join('; ') || '')} |`);
  return ['| Codex | Passed | Failed | Skipped | Failed scenarios |', '|---|---|---|---|---|', ...rows].join('\n');
}

mkdirSync(CACHE, { recursive: true });
let targets: { version: string; label: string }[];
let pinned: string;
try {
  targets = resolveVersions(argVersions());
  pinned = pinnedVersion();
} catch (err) {
  process.stderr.write(`test:compat: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
process.stdout.write(`Codex versions: ${targets.map((t) => `${t.version}${t.label ? ` (${t.label})` : ''}`).join(', ')}\n`);
const results: Result[] = [];
for (const { version, label } of targets) {
  try {
    // The pinned version is the dev dependency itself: the binary `npm run test:e2e` uses.
    const bin = version === pinned ? undefined : install(version);
    if (!bin) checkInstall(ROOT, version);
    results.push(runSuite(version, label, bin));
  } catch (err) {
    results.push({ version, label, passed: 0, failed: 0, skipped: 0, failures: [], error: err instanceof Error ? err.message : String(err) });
  }
}
const summary = table(results);
writeFileSync(join(CACHE, 'results.json'), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, results }, null, 2)}\n`);
process.stdout.write(`\n== Codex compatibility (${new Date().toISOString().slice(0, 10)})\n${summary}\n`);
process.exit(results.some((r) => r.error || r.failed > 0) ? 1 : 0);
