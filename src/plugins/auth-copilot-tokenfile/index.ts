import { CopilotAuthError, copilotClientEnv, CopilotTokenStore, definePlugin, resolveTokenFilePath, type Logger } from '../../index.js';
import { schema, type AuthCopilotTokenFileOptions } from './schema.js';

export type { AuthCopilotTokenFileOptions } from './schema.js';

const PUBLIC_API_HOST = 'api.githubcopilot.com';

/** Per exchange: the token this exchange sent (to tell a stale token from a fresh one) and the URL before routing. */
const STATE = Symbol('auth-copilot-tokenfile');
interface ExchangeState {
  token?: string;
  configuredUrl?: URL;
}

/** The store the plugin and the CLI commands build from the same options (shared with other Copilot plugins). */
export function createTokenStore(options: AuthCopilotTokenFileOptions, log?: Logger): CopilotTokenStore {
  return CopilotTokenStore.shared({
    path: resolveTokenFilePath(options.tokenFile),
    expiryBufferSeconds: options.expiryBufferSeconds,
    refresh: options.refresh,
    tokenUrl: options.tokenUrl,
    chatVersion: options.chatVersion,
    editorVersion: options.editorVersion,
    timeoutMs: options.requestTimeoutMs,
    log,
  });
}

/**
 * Copilot token from the token file written by `ccrx login`: cached in memory, refreshed before expiry (one call to
 * GitHub however many requests wait), force-refreshed when refresh-401 asks, rewritten atomically. File errors go to
 * `context.failures`, so a later fallback may still authorize and Codex otherwise gets a clear 401.
 */
export default definePlugin<AuthCopilotTokenFileOptions>({
  name: 'auth-copilot-tokenfile',
  schema,
  env: {
    tokenFile: 'COPILOT_TOKEN_FILE',
    expiryBufferSeconds: 'COPILOT_TOKEN_EXPIRY_BUFFER_SECONDS',
    refresh: 'COPILOT_TOKEN_REFRESH',
    tokenUrl: 'COPILOT_TOKEN_URL',
    accountEndpoint: 'COPILOT_ACCOUNT_ENDPOINT',
    chatVersion: copilotClientEnv.chatVersion,
    editorVersion: copilotClientEnv.editorVersion,
    deviceCodeUrl: 'GITHUB_DEVICE_CODE_URL',
    accessTokenUrl: 'GITHUB_ACCESS_TOKEN_URL',
    clientId: 'GITHUB_OAUTH_CLIENT_ID',
    scope: 'GITHUB_OAUTH_SCOPE',
  },
  apply({ hooks, log }, options) {
    const store = createTokenStore(options, log);

    hooks.authorize.tapPromise('auth-copilot-tokenfile', async (ex, context) => {
      let state = ex.state.get(STATE) as ExchangeState | undefined;
      if (!state) ex.state.set(STATE, (state = {}));
      let token;
      try {
        token = await store.get({ force: context.force, rejected: context.force ? state.token : undefined });
      } catch (err) {
        if (!(err instanceof CopilotAuthError)) throw err;
        ex.log[err.status === 401 && err.reason === 'missing' ? 'debug' : 'warn']({ reason: err.reason }, 'token file did not yield a Copilot token');
        context.failures.push(err);
        return undefined;
      }
      state.token = token.token;
      if (token.refreshed) ex.log.info({ forced: context.force }, 'using refreshed Copilot token from token file');

      state.configuredUrl ??= ex.upstream.url;
      const configured = state.configuredUrl;
      if (options.accountEndpoint && token.apiBase && configured?.protocol === 'https:' && configured.hostname === PUBLIC_API_HOST) {
        const routed = new URL(`${token.apiBase}${configured.pathname}${configured.search}`);
        if (routed.host !== configured.host) {
          ex.log.debug({ host: routed.host }, 'routing to the account API host');
          ex.upstream.url = routed;
        }
      }
      return { authorization: `Bearer ${token.token}`, source: 'token-file', refreshable: token.refreshable, expiresAt: token.expiresAt };
    });

    hooks.health.tapPromise('auth-copilot-tokenfile', async (report) => {
      if (report.checks.auth?.ok) return;
      const status = await store.status();
      report.checks.auth = status.ok
        ? { ok: true, source: 'token-file', ...(status.expiresAt !== undefined && { expiresAt: status.expiresAt }), ...(status.message && { message: status.message }) }
        : { ok: false, ...(status.expiresAt !== undefined && { expiresAt: status.expiresAt }), message: status.message ?? 'Copilot auth is unavailable', fix: 'ccrx login' };
    });
  },
});
