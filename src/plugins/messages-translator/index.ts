import { BytesCache, HistoryPrefixes, PrefixUnusable, cachedCatalog, type ConvertedTools, definePlugin, MODELS_TIMEOUT_MS, GatewayError, isObject, keepTexts, rememberRequestModel, readApiKeyEnv, refuseStateful, tapTranslatedStreams, translatedVerdict, type Exchange, type JsonObject, type KeptBody, type ResponseStoreHandle, type Logger, type PluginApi, type Reply, type TranslatorStreams, type UpstreamModelInfo } from '../../index.js';
import { upstreamHttpError } from './errors.js';
import { codexCatalog, parseModelList } from './models.js';
import { messageEvents, translateMessage } from './non-stream.js';
import { resolveSettings, type Settings } from './presets.js';
import { translateRequest, type TranslatedRequest, type TranslateContext } from './request.js';
import { optionsSchema, type MessagesTranslatorOptions } from './schema.js';
import { MessagesStream, type MessagesStreamOptions } from './stream.js';
import type { MessagesHistory } from './history.js';
import { KEPT_PLACES, translateKept, type UpstreamBody } from './upstream-body.js';

export type { MessagesTranslatorOptions } from './schema.js';

const NAME = 'messages-translator';
const STATE = Symbol(NAME);
const TOOLS_CACHE_ENTRIES = 16;
/** Sessions whose history is remembered at once (each request is compared with these, first bytes first). */
const HISTORY_ENTRIES = 8;
/** The Messages wire name plugins agree on (`upstream.wire`). */
export const MESSAGES_WIRE = 'anthropic-messages';
/** What Copilot's editor client asks for on models without adaptive thinking (docs/messages-translator.md). */
const INTERLEAVED_THINKING = 'interleaved-thinking-2025-05-14';

interface ExchangeState {
  request: TranslatedRequest;
  /** How the answer is read back (a blocking answer is replayed through a stream of its own). */
  answer: MessagesStreamOptions;
  stream: MessagesStream | undefined;
}

/**
 * Lets Codex (Responses API only) use Claude and Anthropic-compatible Messages upstreams: requests are rebuilt as
 * Messages bodies, Messages events come back as the full Responses event sequence, errors in the codes Codex acts on.
 * With a base URL (or preset) it is the chain's upstream; without, it translates the exchanges an earlier plugin
 * routed to a Messages endpoint (`upstream.wire = "anthropic-messages"`, copilot-models for Copilot's Claude).
 */
const plugin = definePlugin<MessagesTranslatorOptions>({
  name: NAME,
  schema: optionsSchema,
  // Only translated exchanges need their stream parsed; in routed mode the others stay byte pipes.
  streamEventsOnDemand: true,
  apply(api, options) {
    const settings = resolveSettings(options);
    const baseUrl = settings.baseUrl;
    if (baseUrl === undefined) return applyRouted(api, options, settings);
    const apiKey = options.apiKey ?? readApiKeyEnv(api.env, settings.apiKeyEnv);
    if (!apiKey) api.log.warn({ env: settings.apiKeyEnv }, 'messages-translator: no API key (set apiKey or the environment variable); requests will fail');
    const catalog = catalogSource(baseUrl, settings, options, apiKey, api.log);
    // A Messages upstream keeps no conversation: previous_response_id and item_reference are answered from the store.
    const { translate, history } = translator(options, settings, api.log, api.responseStore());

    api.hooks.request.tapPromise(NAME, async (ex) => {
      if (ex.inbound.route === 'models') {
        if (ex.inbound.query.has('client_version')) return catalog();
        ex.upstream.url = new URL(`${baseUrl}/v1/models`);
        Object.assign(ex.upstream.headers, upstreamHeaders(settings, options), keyHeader(settings, apiKey));
        return undefined;
      }
      ex.upstream.url = new URL(`${baseUrl}/v1/messages`);
      // The headers a Messages upstream needs, set over the map; headers an earlier plugin set for this upstream stay.
      Object.assign(ex.upstream.headers, upstreamHeaders(settings, options), keyHeader(settings, apiKey));
      translate(ex, settings.betas, settings.interleavedThinking);
      return undefined;
    });

    api.hooks.authorize.tap(NAME, (_ex, context) => {
      if (apiKey && settings.authHeader === 'authorization') return { authorization: `Bearer ${apiKey}`, source: 'api-key', refreshable: false };
      if (!apiKey) context.failures.push(missingKey(settings.apiKeyEnv));
      return undefined;
    });

    tapResponseSide(api, apiKey ? undefined : settings.apiKeyEnv ?? 'apiKey');
    api.hooks.health.tap(NAME, (report) => {
      report.checks[NAME] = { ok: Boolean(apiKey), upstream: baseUrl, preset: options.preset ?? null, apiKey: apiKey ? 'configured' : `missing (${settings.apiKeyEnv ?? 'apiKey'})`, history: history() };
    });
  },
});

export default plugin;

/** Routed mode: translate exchanges an earlier plugin sent to a Messages endpoint, keeping its URL and credentials. */
function applyRouted(api: PluginApi, options: MessagesTranslatorOptions, settings: Settings): void {
  const unused = [options.apiKey !== undefined && 'apiKey', options.apiKeyEnv !== undefined && 'apiKeyEnv', options.models.length > 0 && 'models'].filter(Boolean);
  if (unused.length) api.log.warn({ options: unused }, 'messages-translator: no baseUrl, so it only translates exchanges routed to it by an earlier plugin; these options have no upstream to apply to');
  const { translate, history } = translator(options, settings, api.log);
  api.hooks.request.tap(NAME, (ex) => {
    if (ex.inbound.route !== 'responses' || ex.upstream.wire !== MESSAGES_WIRE) return undefined;
    Object.assign(ex.upstream.headers, upstreamHeaders(settings, options));
    // Models without adaptive thinking interleave it with tool calls only under this beta, as Copilot's client asks.
    translate(ex, ex.upstream.model?.adaptiveThinking ? settings.betas : [...new Set([...settings.betas, INTERLEAVED_THINKING])]);
    return undefined;
  });
  tapResponseSide(api, undefined);
  api.hooks.health.tap(NAME, (report) => {
    report.checks[NAME] = { ok: true, mode: 'routed: translates models an earlier plugin sends to /v1/messages', history: history() };
  });
}

function upstreamHeaders(settings: Settings, options: MessagesTranslatorOptions): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json', 'accept-encoding': 'identity', 'anthropic-version': options.anthropicVersion, ...settings.headers };
}

function keyHeader(settings: Settings, apiKey: string | undefined): Record<string, string> {
  return apiKey && settings.authHeader === 'x-api-key' ? { 'x-api-key': apiKey } : {};
}

/**
 * Rebuilds an exchange's upstream body as a Messages request and prepares its response stream (both modes). With a
 * store (a chain whose whole upstream is Messages), a request that chains, references or is kept goes through it
 * first; without one (routed mode, beside a Responses upstream), such a request is refused rather than sent without
 * its conversation.
 */
function translator(options: MessagesTranslatorOptions, settings: Settings, log: Logger, store?: ResponseStoreHandle) {
  // A few sessions' tools at once (Codex's differ with its version, its features and MCP servers).
  const toolsCache = new BytesCache<ConvertedTools>(TOOLS_CACHE_ENTRIES);
  const histories = options.historyCacheBytes > 0 ? new HistoryPrefixes<MessagesHistory>(HISTORY_ENTRIES, options.historyCacheBytes) : undefined;
  const history = () => histories?.stats() ?? { sessions: 0, bytes: 0, resumed: 0 };
  const translate = (ex: Exchange, betas: string[], interleave = false): void => {
    const context: TranslateContext = { log: ex.log, carrierKey: options.carrierKey, model: hintOf(ex.upstream.model), toolsCache };
    // Long texts stay the bytes Codex sent (upstream-body.ts); the store reads and keeps the request parsed whole.
    const inbound = ex.inbound.body;
    let resumed = histories?.resume(inbound, KEPT_PLACES);
    let kept = resumed?.kept ?? keepTexts(inbound, KEPT_PLACES, undefined, toolsCache.keys());
    if (kept) rememberRequestModel(ex.inbound, kept.json);
    const head = kept ? kept.json : ex.inbound.json();
    let upstream: UpstreamBody;
    if (store?.wants(head) && isObject(head)) {
      const request = translateRequest(store.prepare(ex, (kept ? ex.inbound.json() : head) as JsonObject), settings, context);
      upstream = { request, body: Buffer.from(JSON.stringify(request.body)), kept: false };
    } else {
      if (!store) refuseStateful(head, 'Anthropic Messages');
      const viaKept = (body: KeptBody | undefined) => translateKept(body, () => ex.inbound.json(), settings, { ...context, history: histories && body ? { kept: body, from: resumed?.match.prefix.state, cache: histories } : undefined });
      try {
        upstream = viaKept(kept);
      } catch (err) {
        if (!(err instanceof PrefixUnusable)) throw err;
        resumed = undefined;
        kept = keepTexts(inbound, KEPT_PLACES, undefined, toolsCache.keys());
        upstream = viaKept(kept);
      }
      if (kept && upstream.kept) histories?.keep(inbound, kept, upstream.request.history, resumed?.match);
    }
    const { request } = upstream;
    ex.upstream.wire = MESSAGES_WIRE;
    ex.upstream.body = upstream.body;
    ex.upstream.headers.accept = request.stream ? 'text/event-stream' : 'application/json';
    // Direct mode: the beta only where it does something, a request with budget thinking.
    const all = interleave && request.budgetThinking ? [...new Set([...betas, INTERLEAVED_THINKING])] : betas;
    if (all.length) ex.upstream.headers['anthropic-beta'] = all.join(',');
    if (request.stream) {
      ex.keepAlive = { commitAfterMs: options.commitAfterMs, intervalMs: options.keepAliveMs };
      ex.streamEvents = true;
    }
    const answer: MessagesStreamOptions = { model: request.codexModel, upstreamModel: request.upstreamModel, map: request.map, carrierKey: options.carrierKey };
    ex.state.set(STATE, { request, answer, stream: request.stream ? new MessagesStream(answer) : undefined } satisfies ExchangeState);
    if (log.isLevelEnabled('debug')) ex.log.debug({ upstreamModel: request.upstreamModel, thinking: request.thinking, tools: [...request.map.byUpstream.keys()], resumedItems: resumed?.match.prefix.items }, 'messages-translator: request translated');
  };
  return { translate, history };
}

/** Copilot's model facts as the request translator reads them. */
function hintOf(model: UpstreamModelInfo | undefined): TranslateContext['model'] {
  if (!model) return undefined;
  const hint: NonNullable<TranslateContext['model']> = {};
  if (model.contextWindow) hint.contextWindow = model.contextWindow;
  if (model.maxOutputTokens) hint.maxOutputTokens = model.maxOutputTokens;
  if (model.vision !== undefined) hint.images = model.vision;
  if (model.adaptiveThinking) hint.thinking = 'adaptive';
  else if (model.maxThinkingBudget) hint.thinking = 'budget';
  if (model.minThinkingBudget) hint.minThinkingBudget = model.minThinkingBudget;
  if (model.maxThinkingBudget) hint.maxThinkingBudget = model.maxThinkingBudget;
  return hint;
}

/** Upstream answers and the event stream back to Codex: the same in both modes. */
function tapResponseSide(api: PluginApi, keyHint: string | undefined): void {
  const state = (ex: Exchange) => ex.state.get(STATE) as ExchangeState | undefined;
  const side: TranslatorStreams<MessagesStream> = { name: NAME, streamOf: (ex) => state(ex)?.stream, feed: (stream, data) => stream.event(data) };
  api.hooks.upstreamResponse.tapPromise(NAME, async (ex, response) => {
    const s = state(ex);
    if (!s) return undefined;
    return translatedVerdict(ex, response, side, {
      httpError: (status, body, headers) => upstreamHttpError(status, body, headers, keyHint),
      blocking: (message) => translateMessage(message, s.answer),
      events: messageEvents,
      stream: s.stream,
    });
  });
  tapTranslatedStreams(api, side);
}

function missingKey(env: string | undefined): GatewayError {
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'missing_api_key', message: `messages-translator has no upstream API key: set ${env ? `the ${env} environment variable or ` : ''}the apiKey option` });
}

/** `GET /v1/models?client_version=…`: the Codex catalogue, from the upstream list when it answers, cached briefly. */
function catalogSource(baseUrl: string, settings: Settings, options: MessagesTranslatorOptions, apiKey: string | undefined, log: Logger): () => Promise<Reply> {
  return cachedCatalog(() => fetchModels(baseUrl, settings, options, apiKey, log), (upstream) => codexCatalog(upstream ?? [], settings, options.models));
}

async function fetchModels(baseUrl: string, settings: Settings, options: MessagesTranslatorOptions, apiKey: string | undefined, log: Logger) {
  try {
    const headers: Record<string, string> = { ...upstreamHeaders(settings, options), ...keyHeader(settings, apiKey) };
    delete headers['content-type'];
    if (apiKey && settings.authHeader === 'authorization') headers.authorization = `Bearer ${apiKey}`;
    const res = await fetch(`${baseUrl}/v1/models`, { headers, signal: AbortSignal.timeout(MODELS_TIMEOUT_MS) });
    if (!res.ok) {
      log.warn({ status: res.status }, 'messages-translator: upstream model list failed; serving the configured models');
      return undefined;
    }
    return parseModelList(await res.json());
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'messages-translator: upstream model list unreachable; serving the configured models');
    return undefined;
  }
}
