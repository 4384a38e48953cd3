import { resolve } from 'node:path';
import { loadConfig } from '../core/config.js';
import { readServiceOptions, type StatePaths } from './state.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The local API key the background service requires, resolved as `start` and `serve` resolve it: the config's
 * `server.apiKey`, else `CCRX_API_KEY`. The config is the one `start` was given (its stored `--config` and
 * directory), else the one `serve` would find from here. A config that no longer loads leaves `CCRX_API_KEY`: status
 * and stop still work, and a gateway that wants another key answers 401, which they report.
 */
export async function serviceApiKey(paths: StatePaths, env: Env = process.env, cwd = process.cwd()): Promise<string | undefined> {
  const stored = readServiceOptions(paths);
  const dir = stored?.cwd ?? cwd;
  try {
    // Only `server` matters here: no default chain, no plugin is loaded.
    const config = await loadConfig({ configFile: stored?.config ? resolve(dir, stored.config) : undefined, cwd: dir, env, defaults: {} });
    return config.server.apiKey;
  } catch {
    return env.CCRX_API_KEY?.trim() || undefined;
  }
}
