import type { Logger } from 'pino';
import { loadConfig, resolveConfig, type ResolvedConfig } from './core/config.js';
import { createKernel, verifyConfig, type RouterHandle } from './core/kernel.js';
import type { RouterConfig } from './core/types.js';

export interface CreateRouterOptions {
  /** Directory relative plugin paths resolve from. Default: the current directory. */
  baseDir?: string;
  /** Environment that feeds option defaults. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides of the config's server settings (e.g. `port: 0` in tests). */
  overrides?: { host?: string; port?: number; logLevel?: string; allowRemote?: boolean };
  logger?: Logger;
}

/**
 * Builds a gateway from a config object, for embedding or tests: `await (await createRouter(cfg)).listen()`.
 * Without `plugins`, the top-level chain is the built-in default (the Copilot chain).
 */
export async function createRouter(config: RouterConfig = {}, options: CreateRouterOptions = {}): Promise<RouterHandle> {
  const { builtins, defaultConfig } = await builtinPlugins();
  const resolved = resolveConfig(config, { defaults: defaultConfig, env: options.env, overrides: options.overrides, file: undefined, baseDir: options.baseDir ?? process.cwd() });
  return createKernel(resolved, { builtins, logger: options.logger });
}

/** Finds and loads the config file (or `configFile`), as `ccrx serve` does, and builds the gateway. */
export async function loadRouter(options: CreateRouterOptions & { configFile?: string; cwd?: string } = {}): Promise<RouterHandle> {
  const { builtins, defaultConfig } = await builtinPlugins();
  const resolved: ResolvedConfig = await loadConfig({ configFile: options.configFile, cwd: options.cwd, env: options.env, defaults: defaultConfig, overrides: options.overrides });
  return createKernel(resolved, { builtins, logger: options.logger });
}

/**
 * Finds and loads the config as `ccrx serve` does and checks everything serve would check before it listens (plugins
 * found, options valid, every `apply` passing), without starting anything. Throws serve's ConfigError.
 */
export async function checkConfig(options: { configFile?: string; cwd?: string; env?: Readonly<Record<string, string | undefined>>; overrides?: CreateRouterOptions['overrides'] } = {}): Promise<ResolvedConfig> {
  const { builtins, defaultConfig } = await builtinPlugins();
  const resolved = await loadConfig({ configFile: options.configFile, cwd: options.cwd, env: options.env, defaults: defaultConfig, overrides: options.overrides });
  await verifyConfig(resolved, { builtins });
  return resolved;
}

/**
 * The built-in plugins, loaded on first use. Built-in plugins import the package root like any npm plugin, so a
 * static import here would make a cycle (root → router → plugins → root) whose outcome depends on which module a
 * program happens to import first.
 */
function builtinPlugins() {
  return import('../plugins.config.js');
}
