import { randomUUID } from 'node:crypto';
import { copilotClientEnv, copilotClientHeaders, definePlugin, type HeaderMap } from '../../index.js';
import { classifyInitiator } from './initiator.js';
import { schema, type HeaderInjectorOptions } from './schema.js';

/** Inbound headers that travel upstream by name; plus every `x-codex-*` header. Everything else is dropped. */
const FORWARDED = new Set(['content-type', 'accept', 'accept-encoding', 'content-encoding', 'x-client-request-id', 'x-openai-subagent']);

/**
 * Sets the upstream headers VS Code's Copilot Chat would send: the allow-listed inbound headers, the Copilot
 * identification headers, `x-initiator` per request, and a fresh `x-request-id` per attempt. Inbound headers off the
 * list never reach the upstream map (the kernel starts it with content-type and accept only); headers that earlier
 * plugins set stay unless this plugin sets the same name. `authorization` is added afterwards from the auth plugins.
 */
export default definePlugin<HeaderInjectorOptions>({
  name: 'header-injector',
  schema,
  env: { ...copilotClientEnv, initiator: 'COPILOT_INITIATOR' },
  apply({ hooks, log }, options) {
    const fixed: HeaderMap = {
      'copilot-integration-id': options.integrationId,
      ...copilotClientHeaders(options),
      ...(options.userAgent && { 'user-agent': options.userAgent }),
      'openai-intent': options.openaiIntent,
      'x-github-api-version': options.githubApiVersion,
      ...(options.libraryVersion && { 'x-vscode-user-agent-library-version': options.libraryVersion }),
    };
    const extra = Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k.toLowerCase(), v]));
    for (const [name, value] of Object.entries({ ...fixed, ...extra })) {
      if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`header ${name} must be printable ASCII`);
    }

    hooks.request.tap('header-injector', (ex) => {
      const inbound = ex.inbound.headers;
      const isResponses = ex.inbound.route === 'responses';
      const headers = ex.upstream.headers;
      for (const name in inbound) {
        if (FORWARDED.has(name) || name.startsWith('x-codex-')) headers[name] = inbound[name]!;
      }
      if (isResponses) headers['content-type'] ??= 'application/json';
      headers.accept ??= isResponses ? 'text/event-stream' : 'application/json';

      let initiator = options.initiator;
      if (initiator === 'auto') {
        const decision = classifyInitiator(ex);
        initiator = decision.initiator;
        // Checked on the plugin's logger first: touching `ex.log` makes a per-request child logger.
        if (log.isLevelEnabled('debug')) ex.log.debug({ initiator, reason: decision.reason }, 'x-initiator');
      }
      Object.assign(headers, fixed, { 'x-initiator': initiator }, extra);
      return undefined;
    });

    hooks.attempt.tap('header-injector', (ex) => {
      ex.upstream.headers['x-request-id'] = randomUUID();
    });
  },
});
