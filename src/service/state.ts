import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** Where the background service keeps its pid file, log and options. */
export interface StatePaths {
  dir: string;
  pidFile: string;
  logFile: string;
  /** Folder for raw diagnostics (JSONL), shared with the diagnostics plugin. */
  rawDir: string;
  /** The options `start` was given, so `restart` and `update` keep them. */
  serviceFile: string;
}

/** `CODEX_CODE_ROUTER_STATE_DIR`, else `~/.codex-code-router`. */
export function statePaths(env: Readonly<Record<string, string | undefined>> = process.env): StatePaths {
  const override = env.CODEX_CODE_ROUTER_STATE_DIR?.trim();
  const home = env.HOME?.trim() || homedir();
  if (!override && !home) throw new Error('cannot find the state directory: HOME is not set (or set CODEX_CODE_ROUTER_STATE_DIR)');
  const dir = resolve(override || join(home, '.codex-code-router'));
  return {
    dir,
    pidFile: join(dir, 'codex-code-router.pid'),
    logFile: join(dir, 'codex-code-router.log'),
    rawDir: join(dir, 'raw'),
    serviceFile: join(dir, 'service.json'),
  };
}

export function ensureStateDir(paths: StatePaths): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
}

/**
 * The command-line options of `start` (never env values or secrets): replayed by `restart` and `update`.
 * `cwd` matters because without `--config` the service searches `router.config.*` from there.
 */
export interface ServiceOptions {
  config?: string;
  host?: string;
  port?: string;
  logLevel?: string;
  allowRemote?: boolean;
  cwd: string;
}

export function readServiceOptions(paths: StatePaths): ServiceOptions | undefined {
  try {
    const raw = JSON.parse(readFileSync(paths.serviceFile, 'utf8')) as Partial<ServiceOptions>;
    if (typeof raw !== 'object' || raw === null || typeof raw.cwd !== 'string') return undefined;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { cwd: raw.cwd, config: str(raw.config), host: str(raw.host), port: str(raw.port), logLevel: str(raw.logLevel), allowRemote: raw.allowRemote === true || undefined };
  } catch {
    return undefined;
  }
}

export function writeServiceOptions(paths: StatePaths, options: ServiceOptions): void {
  ensureStateDir(paths);
  writeFileAtomic.sync(paths.serviceFile, `${JSON.stringify(options, null, 2)}\n`, { mode: 0o600 });
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}
