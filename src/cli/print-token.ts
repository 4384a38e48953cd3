import { defineCommand } from 'citty';
// The package root first: it evaluates the core before the built-in plugins that import it.
import { resolvePluginOptions } from '../index.js';
import { stripBearer } from '../copilot/index.js';
import authEnvBearer from '../plugins/auth-env-bearer/index.js';
import authTokenFile, { createTokenStore } from '../plugins/auth-copilot-tokenfile/index.js';
import { CLIError } from './errors.js';

/**
 * For Codex's command auth (`[model_providers.<id>.auth] command = "ccrx", args = ["print-token"]`): stdout holds
 * only the bearer token, without a newline; failures go to stderr with exit code 1. The token comes from
 * COPILOT_BEARER_TOKEN or the token file, refreshed (and the file rewritten) when it is near expiry; Codex re-runs
 * the command after an upstream 401. Never starts a device login and never reads an inbound header.
 */
export default defineCommand({
  meta: { name: 'print-token', description: 'Print the Copilot bearer token (for Codex command auth); refreshes it when needed' },
  async run() {
    let token: string;
    try {
      token = stripBearer(resolvePluginOptions(authEnvBearer, {}, process.env).token);
      if (!token) token = (await createTokenStore(resolvePluginOptions(authTokenFile, {}, process.env)).get()).token;
    } catch (err) {
      throw new CLIError(err instanceof Error ? err.message : String(err));
    }
    process.stdout.write(token);
  },
});
