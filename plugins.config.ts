import { defineConfig, type Builtins } from './src/index.js';

/**
 * Every built-in plugin, by the name a config uses, loaded only when a chain uses it (a gateway that never serves
 * /metrics never loads prom-client). This is the only file that names them.
 */
export const builtins: Builtins = {
  'auth-copilot-tokenfile': () => import('./src/plugins/auth-copilot-tokenfile/index.js').then((m) => m.default),
  'auth-env-bearer': () => import('./src/plugins/auth-env-bearer/index.js').then((m) => m.default),
  'body-limit': () => import('./src/plugins/body-limit/index.js').then((m) => m.default),
  'chat-translator': () => import('./src/plugins/chat-translator/index.js').then((m) => m.default),
  'copilot-models': () => import('./src/plugins/copilot-models/index.js').then((m) => m.default),
  'copilot-quota': () => import('./src/plugins/copilot-quota/index.js').then((m) => m.default),
  'copilot-tools': () => import('./src/plugins/copilot-tools/index.js').then((m) => m.default),
  'copilot-upstream': () => import('./src/plugins/copilot-upstream/index.js').then((m) => m.default),
  'header-injector': () => import('./src/plugins/header-injector/index.js').then((m) => m.default),
  'messages-translator': () => import('./src/plugins/messages-translator/index.js').then((m) => m.default),
  metrics: () => import('./src/plugins/metrics/index.js').then((m) => m.default),
  'raw-diagnostics': () => import('./src/plugins/raw-diagnostics/index.js').then((m) => m.default),
  'refresh-401': () => import('./src/plugins/refresh-401/index.js').then((m) => m.default),
  'retry-429': () => import('./src/plugins/retry-429/index.js').then((m) => m.default),
};

/**
 * The built-in default chain: the Copilot chain of the original codex-code-router, used when no config file is
 * found (and for the top level of a config without `plugins`). Order matters:
 * - body-limit first: it refuses oversized bodies before they are read;
 * - raw-diagnostics next (inert at level off, the default): it observes at Stage.Guard/Observe where it must;
 * - copilot-upstream sets the URL that auth-copilot-tokenfile may move to the account's own API host;
 * - copilot-models then sends Claude to /v1/messages and other chat-only models (Gemini...) to /chat/completions
 *   (upstream.wire);
 * - header-injector builds the upstream headers from scratch, so header-setting plugins come after it;
 * - auth-env-bearer before auth-copilot-tokenfile: an env token wins over the file, as in the original
 *   (its inbound-header fallback runs at Stage.Fallback, after both);
 * - refresh-401 before retry-429: a 401 is answered by fresh credentials, a 429 by a wait;
 * - copilot-quota adds Codex's rate-limit headers from the cached quota;
 * - copilot-tools, chat-translator and messages-translator last: they rewrite bodies and streams only for the
 *   exchanges that need it (custom tools on /responses; chat-only models; Messages models), after the retry plugins
 *   decided on every upstream status.
 * `metrics` is not in the default chain: add it to a config to serve /metrics.
 */
export const defaultConfig = defineConfig({
  plugins: [
    'body-limit',
    'raw-diagnostics',
    'copilot-upstream',
    'copilot-models',
    'header-injector',
    'auth-env-bearer',
    'auth-copilot-tokenfile',
    'refresh-401',
    'retry-429',
    'copilot-quota',
    'copilot-tools',
    'chat-translator',
    'messages-translator',
  ],
});
