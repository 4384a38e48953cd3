import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * npm as a user runs it, but quiet and cache-friendly. `prefer-offline` rather than `offline`: `npm ci` fills the
 * cache with tarballs but no package metadata, so on a machine whose cache was empty before `npm ci` an offline
 * install of a packed tarball cannot resolve its dependencies' ranges (ENOTCACHED). Preferring the cache keeps a
 * warm machine off the network and lets a cold one fetch the metadata from the registry.
 */
export function npmEnv(): Record<string, string> {
  const cache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  return { npm_config_cache: cache, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };
}

export interface NpmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs npm to its end; throws with npm's own output when it fails. */
export function npm(args: string[], cwd: string, env: Record<string, string> = npmEnv()): NpmResult {
  const res = spawnSync('npm', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { code: res.status, stdout: res.stdout, stderr: res.stderr };
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${res.status}) in ${cwd}:\n${res.stderr}${res.stdout}`);
  return out;
}

export interface Packed {
  /** Absolute path of the tarball. */
  file: string;
  /** Paths inside the package, as `npm pack` lists them. */
  files: string[];
}

/**
 * Packs the package in `dir` into `dest` without running its scripts (the tests build `dist/` first), as
 * `npm pack` would for a user.
 */
export function pack(dir: string, dest: string, env?: Record<string, string>): Packed {
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], dir, env);
  const [entry] = JSON.parse(out.stdout) as { filename: string; files: { path: string }[] }[];
  return { file: join(dest, entry!.filename), files: entry!.files.map((f) => f.path) };
}
