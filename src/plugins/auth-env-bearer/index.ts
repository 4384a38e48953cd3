import { Stage, definePlugin, missingAuthError, refuseInbound, stripBearer, type Credential } from '../../index.js';
import { schema, type AuthEnvBearerOptions } from './schema.js';

/**
 * Service-owned bearer token from the environment (first in the original's precedence), and the last-resort
 * fallback to the `Authorization` header Codex sent, which runs after every other auth plugin (`Stage.Fallback`).
 */
export default definePlugin<AuthEnvBearerOptions>({
  name: 'auth-env-bearer',
  schema,
  env: { token: 'COPILOT_BEARER_TOKEN', inboundAuth: 'COPILOT_INBOUND_AUTH' },
  apply({ hooks }, options) {
    const token = stripBearer(options.token);
    if (token && !/^[\x21-\x7e]+$/.test(token)) throw new Error('token (COPILOT_BEARER_TOKEN) must be visible ASCII without spaces');

    if (token) {
      const credential: Credential = { authorization: `Bearer ${token}`, source: 'env', refreshable: false };
      hooks.authorize.tap('auth-env-bearer', () => credential);
    }

    hooks.authorize.tap({ name: 'auth-env-bearer', stage: Stage.Fallback }, (ex, context) => {
      const header = ex.inbound.headers.authorization ?? '';
      const scheme = /^(\S+)\s+\S/.exec(header.trim())?.[1];
      const inbound = scheme && scheme.toLowerCase() !== 'bearer' ? '' : stripBearer(header);
      const refused = scheme && scheme.toLowerCase() !== 'bearer' ? `inbound Authorization uses the ${scheme} scheme` : refuseInbound(inbound, options.inboundAuth);
      if (!refused) return { authorization: `Bearer ${inbound}`, source: 'inbound', refreshable: false } satisfies Credential;
      if (header) ex.log.warn({ reason: refused }, 'not forwarding the Authorization header Codex sent');
      if (context.failures.length === 0) {
        context.failures.push(missingAuthError(header ? `no token is configured and ${refused} (not forwarded)` : 'no token is configured'));
      }
      return undefined;
    });

    hooks.health.tapPromise('auth-env-bearer', async (report) => {
      if (report.checks.auth?.ok) return;
      report.checks.auth = token
        ? { ok: true, source: 'env' }
        : { ok: false, message: `no COPILOT_BEARER_TOKEN${options.inboundAuth === 'off' ? '' : '; a Copilot token sent by Codex would be used'}`, fix: 'ccrx login' };
    });
  },
});
