import { copilotClientEnv, definePlugin, GatewayError, readErrorBody, requestModel, type UpstreamResponse, type Verdict } from '../../index.js';
import { ModelCache } from './cache.js';
import { createModelsLoader } from './fetch-models.js';
import { copilotCatalog, routeOf, routePath, upstreamModelInfo, type CopilotModel, type Route, type RouteOptions } from './models.js';
import { schema, type CopilotModelsOptions } from './schema.js';

export type { CopilotModelsOptions } from './schema.js';

const NAME = 'copilot-models';
const STATE = Symbol(NAME);
/** Copilot's codes for "this model is not served on this endpoint" and "no such model". */
const MODEL_CODES = new Set(['unsupported_api_for_model', 'model_not_supported', 'model_not_found']);

interface ExchangeState {
  model: string;
  /** Undefined when the model is not in Copilot's list (passed through as asked). */
  route: Route | undefined;
}

/**
 * Routes each Codex request by Copilot's `/models`: models that list `/responses` stay on it; Claude models that
 * list `/v1/messages` go there with `upstream.wire = 'anthropic-messages'` (and what the list says of the model in
 * `upstream.model`) for the messages-translator; other chat-only models go to Copilot's `/chat/completions` with
 * `upstream.wire = 'chat-completions'` for the chat-translator. Serves Codex's model catalogue on
 * `GET /v1/models?client_version=…` from the same list.
 */
export default definePlugin<CopilotModelsOptions>({
  name: NAME,
  schema,
  env: {
    modelsUrl: 'COPILOT_MODELS_URL',
    token: 'COPILOT_BEARER_TOKEN',
    tokenFile: 'COPILOT_TOKEN_FILE',
    tokenUrl: 'COPILOT_TOKEN_URL',
    tokenRefresh: 'COPILOT_TOKEN_REFRESH',
    tokenExpiryBufferSeconds: 'COPILOT_TOKEN_EXPIRY_BUFFER_SECONDS',
    accountEndpoint: 'COPILOT_ACCOUNT_ENDPOINT',
    ...copilotClientEnv,
  },
  apply(api, options) {
    const { hooks, log } = api;
    const routes: RouteOptions = { chat: api.chain.plugins.includes('chat-translator'), messages: api.chain.plugins.includes('messages-translator'), preferMessages: options.preferMessages };
    const chatUrl = options.chatUrl ? new URL(options.chatUrl) : undefined;
    const messagesUrl = options.messagesUrl ? new URL(options.messagesUrl) : undefined;
    const cache = new ModelCache(createModelsLoader(options, log), { ttlMs: (options.refreshSeconds || 900) * 1000, retryMs: options.retrySeconds * 1000, log });
    let timer: NodeJS.Timeout | undefined;
    const working = () => (cache.peek() ?? []).filter((m) => routeOf(m, routes) !== 'none').map((m) => m.id);

    hooks.startup.tapPromise(NAME, async () => {
      cache.refreshInBackground('startup');
      if (options.refreshSeconds > 0) timer = setInterval(() => cache.refreshInBackground('timer'), options.refreshSeconds * 1000).unref();
    });
    hooks.shutdown.tapPromise(NAME, async () => clearInterval(timer));

    hooks.request.tapPromise(NAME, async (ex) => {
      if (ex.inbound.route === 'models') {
        if (!ex.inbound.query.has('client_version')) return undefined;
        const models = await cache.current();
        if (!models) throw new GatewayError({ status: 503, type: 'server_error', code: 'models_unavailable', message: `Copilot's model list is unavailable (${cache.status().error ?? 'not fetched yet'}); Codex keeps its bundled catalogue`, expose: true });
        return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: copilotCatalog(models, routes) };
      }
      const model = requestModel(ex.inbound);
      if (!model) return undefined;
      const models = await cache.current();
      // Without a list, behave like the original: everything goes to /responses and Copilot answers.
      if (!models) return undefined;
      const entry = models.find((m) => m.id === model);
      const route = entry ? routeOf(entry, routes) : undefined;
      ex.state.set(STATE, { model, route } satisfies ExchangeState);
      if (route === 'none') throw noEndpoint(model, entry!, working(), routes);
      if (route === 'chat-completions') {
        ex.upstream.url = chatUrl ? new URL(chatUrl.href) : siblingUrl(ex.upstream.url, options.modelsUrl, '/chat/completions');
        ex.upstream.wire = 'chat-completions';
        ex.log.debug({ model }, 'copilot-models: chat-only model, routed to /chat/completions');
      }
      if (route === 'messages') {
        ex.upstream.url = messagesUrl ? new URL(messagesUrl.href) : siblingUrl(ex.upstream.url, options.modelsUrl, '/v1/messages');
        ex.upstream.wire = 'anthropic-messages';
        ex.upstream.model = upstreamModelInfo(entry!);
        ex.log.debug({ model }, 'copilot-models: Messages model, routed to /v1/messages');
      }
      return undefined;
    });

    hooks.upstreamResponse.tapPromise(NAME, async (ex, response) => {
      const state = ex.state.get(STATE) as ExchangeState | undefined;
      if (!state || (response.status !== 400 && response.status !== 404)) return undefined;
      const code = await errorCode(response);
      if (!code || !MODEL_CODES.has(code)) return undefined;
      cache.refreshInBackground(code);
      return modelRefused(state, code, working());
    });

    hooks.health.tapPromise(NAME, async (report) => {
      const status = cache.status();
      const models = cache.peek();
      if (!models) {
        report.checks[NAME] = { ok: status.error === undefined, message: status.error ? `cannot fetch Copilot's model list: ${status.error}` : "Copilot's model list is not fetched yet", ...(status.error && { fix: 'check `ccrx login` and the network; chat-only models are unavailable until the list is fetched' }) };
        return;
      }
      const chosen = models.map((m) => routeOf(m, routes));
      const count = (r: Route) => chosen.filter((x) => x === r).length;
      const missing = [!routes.chat && 'chat-translator', !routes.messages && 'messages-translator'].filter(Boolean);
      report.checks[NAME] = {
        ok: true,
        message: `${count('responses')} model(s) via /responses, ${count('messages')} via /v1/messages, ${count('chat-completions')} via /chat/completions${missing.length ? ` (no ${missing.join(' or ')} in this chain)` : ''}`,
        models: models.length,
        fetchedAt: status.fetchedAt === undefined ? undefined : new Date(status.fetchedAt).toISOString(),
        ...(status.error && { lastError: status.error }),
      };
    });
  },
});

/** `…/responses` → `…/chat/completions` (or `…/v1/messages`) on the same host, so the account-host routing of the auth plugin still applies. */
function siblingUrl(upstream: URL | undefined, modelsUrl: string, path: string): URL {
  const base = upstream ?? new URL(modelsUrl);
  const url = new URL(base.href);
  url.pathname = url.pathname.replace(/\/(responses|models)\/?$/, '') + path;
  url.search = '';
  return url;
}

function list(ids: string[]): string {
  if (ids.length === 0) return 'none (check `ccrx doctor`)';
  return ids.length > 25 ? `${ids.slice(0, 25).join(', ')}, … (${ids.length} in all)` : ids.join(', ');
}

function noEndpoint(model: string, entry: CopilotModel, working: string[], routes: RouteOptions): GatewayError {
  const endpoints = entry.endpoints.length ? entry.endpoints.join(', ') : 'none';
  const missing = [entry.endpoints.includes('/chat/completions') && !routes.chat && 'chat-translator', entry.endpoints.includes('/v1/messages') && !routes.messages && 'messages-translator'].filter(Boolean);
  const why = entry.type !== 'chat'
    ? `it is a ${entry.type} model`
    : missing.length
      ? `Copilot serves it only on ${endpoints} and this chain has no ${missing.join(' or ')}`
      : `Copilot serves it only on ${endpoints}`;
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'model_not_supported', message: `model ${model} cannot be used through this gateway: ${why}. Models that work: ${list(working)}` });
}

function modelRefused(state: ExchangeState, code: string, working: string[]): Verdict {
  const where = state.route ? routePath(state.route) : '/responses';
  const message = state.route === undefined
    ? `Copilot does not offer model ${state.model} (${code}). Models that work: ${list(working)}`
    : `Copilot refused model ${state.model} on ${where} (${code}); the model list is being refreshed, so the next request may be routed differently. Models that work: ${list(working)}`;
  return { fail: new GatewayError({ status: 400, type: 'invalid_request_error', code: 'model_not_supported', message }) };
}

async function errorCode(response: UpstreamResponse): Promise<string | undefined> {
  try {
    const raw = await readErrorBody(response);
    if (!raw) return undefined;
    const body = JSON.parse(raw.toString('utf8')) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code.split(':')[0] : undefined;
  } catch {
    return undefined;
  }
}

