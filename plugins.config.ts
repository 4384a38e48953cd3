import { defineConfig } from './src/index.js';

/** Every built-in plugin, by the name a config uses. */
export const builtins = {};

/** The built-in default chain: the Copilot chain, used when no config file is found. */
export const defaultConfig = defineConfig({
  plugins: [],
});
