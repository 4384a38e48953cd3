import type { Plugin, PluginFactory, RouterConfig } from './types.js';

/** Identity helper that types a plugin (or plugin factory) for its options type `O`. */
export function definePlugin<O extends object = Record<string, unknown>>(plugin: Plugin<O>): Plugin<O>;
export function definePlugin<O extends object = Record<string, unknown>>(factory: PluginFactory<O>): PluginFactory<O>;
export function definePlugin(plugin: unknown): unknown {
  return plugin;
}

/** Identity helper that types a config file's default export. */
export function defineConfig(config: RouterConfig): RouterConfig {
  return config;
}
