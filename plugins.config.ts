import authCopilotTokenfile from './src/plugins/auth-copilot-tokenfile/index.js';
import authEnvBearer from './src/plugins/auth-env-bearer/index.js';
import bodyLimit from './src/plugins/body-limit/index.js';
import chatTranslator from './src/plugins/chat-translator/index.js';
import copilotModels from './src/plugins/copilot-models/index.js';
import copilotQuota from './src/plugins/copilot-quota/index.js';
import copilotTools from './src/plugins/copilot-tools/index.js';
import copilotUpstream from './src/plugins/copilot-upstream/index.js';
import headerInjector from './src/plugins/header-injector/index.js';
import metrics from './src/plugins/metrics/index.js';
import rawDiagnostics from './src/plugins/raw-diagnostics/index.js';
import refresh401 from './src/plugins/refresh-401/index.js';
import retry429 from './src/plugins/retry-429/index.js';
import { defineConfig } from './src/index.js';

/** Every built-in plugin, by the name a config uses. This is the only file that names them. */
export const builtins = {
  'auth-copilot-tokenfile': authCopilotTokenfile,
  'auth-env-bearer': authEnvBearer,
  'body-limit': bodyLimit,
  'chat-translator': chatTranslator,
  'copilot-models': copilotModels,
  'copilot-quota': copilotQuota,
  'copilot-tools': copilotTools,
  'copilot-upstream': copilotUpstream,
  'header-injector': headerInjector,
  metrics,
  'raw-diagnostics': rawDiagnostics,
  'refresh-401': refresh401,
  'retry-429': retry429,
};

/**
 * The built-in default chain: the Copilot chain of the original codex-code-router, used when no config file is
 * found (and for the top level of a config without `plugins`). Order matters:
 * - body-limit first: it refuses oversized bodies before they are read;
 * - raw-diagnostics next (inert at level off, the default): it observes at Stage.Guard/Observe where it must;
 * - copilot-upstream sets the URL that auth-copilot-tokenfile may move to the account's own API host;
 * - copilot-models then sends chat-only models (Claude, Gemini...) to /chat/completions (upstream.wire);
 * - header-injector builds the upstream headers from scratch, so header-setting plugins come after it;
 * - auth-env-bearer before auth-copilot-tokenfile: an env token wins over the file, as in the original
 *   (its inbound-header fallback runs at Stage.Fallback, after both);
 * - refresh-401 before retry-429: a 401 is answered by fresh credentials, a 429 by a wait;
 * - copilot-quota adds Codex's rate-limit headers from the cached quota;
 * - copilot-tools and chat-translator last: they rewrite bodies and streams only for the exchanges that need it
 *   (custom tools on /responses; chat-only models), after the retry plugins decided on every upstream status.
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
  ],
});
