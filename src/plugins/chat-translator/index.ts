import { BytesCache, HistoryPrefixes, PrefixUnusable, cachedCatalog, type ConvertedTools, definePlugin, keepTexts, rememberRequestModel, MODELS_TIMEOUT_MS, GatewayError, isObject, readApiKeyEnv, refuseStateful, tapTranslatedStreams, translatedVerdict, type Exchange, type JsonObject, type KeptBody, type KeptTextPlaces, type Logger, type PluginApi, type Reply, type ResponseStoreHandle, type TranslatorStreams } from '../../index.js';
import { upstreamHttpError } from './errors.js';
import { codexCatalog, parseModelList, type UpstreamModel } from './models.js';
import { completionChunks, translateCompletion } from './non-stream.js';
import { matchPattern, resolveSettings, type Settings } from './presets.js';
import { ReasoningCache } from './reasoning-carrier.js';
import type { ChatHistory } from './history.js';
import { translateRequest, type TranslatedRequest } from './request.js';
import { optionsSchema, type ChatTranslatorOptions } from './schema.js';
import { ResponseStream, type StreamOptions } from './stream-state.js';

export type { ChatTranslatorOptions } from './schema.js';

const NAME = 'chat-translator';
const STATE = Symbol(NAME);
const TOOLS_CACHE_ENTRIES = 16;
/** Sessions whose history is remembered at once (each request is compared with these, first bytes first). */
const HISTORY_ENTRIES = 8;

/**
 * The translator moves call arguments and image URLs as they are (messages.ts), so they too can stay bytes; the
 * tools are converted once per distinct array (request.ts), so they are parsed only then.
 */
const KEPT_PLACES: KeptTextPlaces = { functionArguments: true, imageUrls: true, encryptedContent: true, tools: true };

type ExchangeState = { kind: 'models' } | { kind: 'responses'; request: TranslatedRequest; reading: Reading; stream: ResponseStream | undefined };

/**
 * Lets Codex (Responses API only) use any OpenAI-compatible Chat Completions upstream: requests are rebuilt as Chat
 * bodies, Chat chunks come back as the full Responses event sequence, errors in the codes Codex acts on.
 */
const plugin = definePlugin<ChatTranslatorOptions>({
  name: NAME,
  schema: optionsSchema,
  // Only translated exchanges need their stream parsed; in routed mode the others stay byte pipes.
  streamEventsOnDemand: true,
  apply(api, options) {
    const settings = resolveSettings(options);
    // Without a base URL (and preset) the translator is routed: it translates only the exchanges an earlier plugin
    // sent to a Chat Completions endpoint (upstream.wire), keeping that plugin's URL, headers and credentials.
    const baseUrl = settings.baseUrl;
    if (baseUrl === undefined) return applyRouted(api, options, settings);
    const apiKey = options.apiKey ?? readApiKeyEnv(api.env, settings.apiKeyEnv);
    if (!apiKey && settings.apiKeyEnv) api.log.warn({ env: settings.apiKeyEnv }, 'chat-translator: no API key (set apiKey or the environment variable); requests will fail');
    const cache = new ReasoningCache(options.reasoningCacheSize);
    const catalog = catalogSource(baseUrl, settings, options, apiKey, api.log);
    // A Chat upstream keeps no conversation: previous_response_id and item_reference are answered from the store.
    const { translate, history } = translator(options, settings, cache, api.log, api.responseStore());
    const extraHeaders = lowerKeys(settings.headers);

    api.hooks.request.tapPromise(NAME, async (ex) => {
      setUpstreamHeaders(ex, extraHeaders, 'application/json');
      if (ex.inbound.route === 'models') {
        if (ex.inbound.query.has('client_version')) return catalog();
        ex.upstream.url = new URL(`${baseUrl}/models`);
        ex.state.set(STATE, { kind: 'models' });
        return undefined;
      }
      ex.upstream.url = new URL(`${baseUrl}/chat/completions`);
      translate(ex);
      return undefined;
    });

    api.hooks.authorize.tap(NAME, (_ex, context) => {
      if (apiKey) return { authorization: `Bearer ${apiKey}`, source: 'api-key', refreshable: false };
      if (settings.apiKeyEnv) context.failures.push(missingKey(settings.apiKeyEnv));
      return undefined;
    });

    tapResponseSide(api, options, settings, cache, apiKey);

    api.hooks.health.tap(NAME, (report) => {
      report.checks[NAME] = { ok: Boolean(apiKey) || !settings.apiKeyEnv, upstream: baseUrl, preset: options.preset ?? null, apiKey: apiKey ? 'configured' : settings.apiKeyEnv ? `missing (${settings.apiKeyEnv})` : 'not needed', history: history() };
    });
  },
});

type Api = PluginApi;

/**
 * Rebuilds an exchange's upstream body as a Chat request and prepares its response stream (both modes). With a
 * store (a chain whose whole upstream is Chat), a request that chains, references or is kept goes through it
 * first; without one (routed mode, beside a Responses upstream), such a request is refused rather than sent
 * without its conversation.
 */
function translator(options: ChatTranslatorOptions, settings: Settings, cache: ReasoningCache, log: Logger, store?: ResponseStoreHandle) {
  // A few sessions' tools at once (Codex's differ with its version, its features and MCP servers).
  const toolsCache = new BytesCache<ConvertedTools>(TOOLS_CACHE_ENTRIES);
  const histories = options.historyCacheBytes > 0 ? new HistoryPrefixes<ChatHistory>(HISTORY_ENTRIES, options.historyCacheBytes) : undefined;
  const history = () => histories?.stats() ?? { sessions: 0, bytes: 0, resumed: 0 };
  const translate = (ex: Exchange): void => {
    const context = { log: ex.log, carrierKey: options.carrierKey, cache };
    const { request, body, resumedItems } = tooDeepIsInvalid(() => {
      const inbound = ex.inbound.body;
      let resumed = histories?.resume(inbound, KEPT_PLACES);
      let deferred = resumed?.kept ?? keepTexts(inbound, KEPT_PLACES, undefined, toolsCache.keys());
      if (deferred) rememberRequestModel(ex.inbound, deferred.json);
      const parsed = deferred ? deferred.json : ex.inbound.json();
      if (store?.wants(parsed) && isObject(parsed)) {
        const request = translateRequest(store.prepare(ex, (deferred ? ex.inbound.json() : parsed) as JsonObject), settings, context);
        return { request, body: Buffer.from(JSON.stringify(request.body)), resumedItems: undefined };
      }
      if (!store) refuseStateful(parsed, 'Chat Completions');
      const viaKept = (kept: KeptBody, from: ChatHistory | undefined) => {
        const tools = kept.toolsBytes ? { bytes: kept.toolsBytes, keepJson: kept.keepJson, cache: toolsCache } : undefined;
        const history = histories ? { kept, from, cache: histories } : undefined;
        return translateKept(() => translateRequest(kept.json, settings, { ...context, keep: kept.keep, original: kept.original, tools, history }));
      };
      let kept: TranslatedRequest | undefined;
      try {
        kept = deferred ? viaKept(deferred, resumed?.match.prefix.state) : translateRequest(parsed, settings, context);
      } catch (err) {
        if (!(err instanceof PrefixUnusable)) throw err;
        resumed = undefined;
        deferred = keepTexts(inbound, KEPT_PLACES, undefined, toolsCache.keys());
        kept = deferred && viaKept(deferred, undefined);
      }
      const body = kept && deferred ? deferred.restore(JSON.stringify(kept.body)) : undefined;
      if (kept && body) {
        histories?.keep(inbound, deferred!, kept.history, resumed?.match);
        return { request: kept, body, resumedItems: resumed?.match.prefix.items };
      }
      // Parsed whole (or never kept): the same Chat body, or the error the request deserves.
      const request = deferred || !kept ? translateRequest(ex.inbound.json(), settings, context) : kept;
      return { request, body: Buffer.from(JSON.stringify(request.body)), resumedItems: undefined };
    });
    ex.upstream.wire = 'chat-completions';
    ex.upstream.body = body;
    Object.assign(ex.upstream.headers, { 'content-type': 'application/json', accept: request.stream ? 'text/event-stream' : 'application/json', 'accept-encoding': 'identity' });
    if (request.stream) {
      ex.keepAlive = { commitAfterMs: options.commitAfterMs, intervalMs: options.keepAliveMs };
      ex.streamEvents = true;
    }
    const refusalAs = refusalFor(options.refusalAs, ex.inbound.headers);
    const thinkTags = settings.quirks.thinkTags.some((pattern) => matchPattern(pattern, request.upstreamModel));
    const reading = { refusalAs, thinkTags };
    ex.state.set(STATE, { kind: 'responses', request, reading, stream: request.stream ? new ResponseStream(streamOptionsOf(request, options, cache, reading)) : undefined });
    if (log.isLevelEnabled('debug')) ex.log.debug({ upstreamModel: request.upstreamModel, tools: [...request.map.byUpstream.keys()], resumedItems }, 'chat-translator: request translated');
  };
  return { translate, history };
}

/** A kept body's tools are parsed only when read: tools that are not valid JSON send the request down the parse path. */
function translateKept(translate: () => TranslatedRequest): TranslatedRequest | undefined {
  try {
    return translate();
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/**
 * JSON.parse takes any depth, but serializing or walking it runs out of stack: a body nested that deep (a tool schema
 * 100,000 levels down) is the client's mistake, a 400, not the gateway's 500.
 */
function tooDeepIsInvalid<T>(translate: () => T): T {
  try {
    return translate();
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'invalid_request', message: 'the request body nests too deeply to translate', cause: err });
  }
}

/** How this exchange's answer is read: per request, from its client and its upstream model. */
interface Reading {
  refusalAs: RefusalAs;
  thinkTags: boolean;
}

function streamOptionsOf(request: TranslatedRequest, options: ChatTranslatorOptions, cache: ReasoningCache, reading: Reading): StreamOptions {
  return { model: request.codexModel, upstreamModel: request.upstreamModel, map: request.map, carrierKey: options.carrierKey, cache, ...reading };
}

type RefusalAs = 'refusal' | 'output_text';

/**
 * Codex 0.169 knows only `output_text` parts in an assistant message: a message whose only part is a refusal is
 * dropped and the user sees an empty answer. For Codex, `auto` gives the refusal as answer text.
 */
function refusalFor(option: ChatTranslatorOptions['refusalAs'], headers: Readonly<Record<string, string>>): RefusalAs {
  if (option !== 'auto') return option;
  const originator = String(headers.originator ?? '');
  const agent = String(headers['user-agent'] ?? '');
  return /^codex/i.test(originator) || /^codex/i.test(agent) ? 'output_text' : 'refusal';
}

/** Routed mode: translate exchanges an earlier plugin sent to Chat Completions; everything else passes untouched. */
function applyRouted(api: Api, options: ChatTranslatorOptions, settings: Settings): void {
  const unused = [Object.keys(options.headers).length > 0 && 'headers', options.apiKey !== undefined && 'apiKey', settings.apiKeyEnv !== undefined && 'apiKeyEnv', options.models.length > 0 && 'models'].filter(Boolean);
  if (unused.length) api.log.warn({ options: unused }, 'chat-translator: no baseUrl, so it only translates exchanges routed to it by an earlier plugin; these options have no upstream to apply to');
  const cache = new ReasoningCache(options.reasoningCacheSize);
  const { translate, history } = translator(options, settings, cache, api.log);
  api.hooks.request.tap(NAME, (ex) => {
    if (ex.inbound.route === 'responses' && ex.upstream.wire === 'chat-completions') translate(ex);
    return undefined;
  });
  tapResponseSide(api, options, settings, cache, undefined);
  api.hooks.health.tap(NAME, (report) => {
    report.checks[NAME] = { ok: true, mode: 'routed: translates models an earlier plugin sends to /chat/completions', history: history() };
  });
}

/** Upstream answers and the event stream back to Codex: the same in both modes. */
function tapResponseSide(api: Api, options: ChatTranslatorOptions, settings: Settings, cache: ReasoningCache, apiKey: string | undefined): void {
  const state = (ex: Exchange) => ex.state.get(STATE) as ExchangeState | undefined;
  const side: TranslatorStreams<ResponseStream> = {
    name: NAME,
    streamOf: (ex) => {
      const s = state(ex);
      return s?.kind === 'responses' ? s.stream : undefined;
    },
    feed: (stream, data) => stream.chunk(data),
  };
  api.hooks.upstreamResponse.tapPromise(NAME, async (ex, response) => {
    const s = state(ex);
    if (!s || s.kind === 'models') return undefined;
    return translatedVerdict(ex, response, side, {
      httpError: (status, body, headers) => upstreamHttpError(status, body, headers, apiKey ? undefined : settings.apiKeyEnv),
      blocking: (completion) => translateCompletion(completion, streamOptionsOf(s.request, options, cache, s.reading)),
      events: completionChunks,
      stream: s.stream,
    });
  });
  tapTranslatedStreams(api, side);
}

export default plugin;

function missingKey(env: string): GatewayError {
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'missing_api_key', message: `chat-translator has no upstream API key: set the ${env} environment variable or the apiKey option` });
}

/** The headers a Chat upstream needs, set over the map; headers an earlier plugin set for this upstream stay. */
function setUpstreamHeaders(ex: Exchange, extra: Record<string, string>, accept: string): void {
  Object.assign(ex.upstream.headers, { 'content-type': 'application/json', accept, 'accept-encoding': 'identity' }, extra);
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** `GET /v1/models?client_version=…`: the Codex catalogue, from the upstream list when it answers, cached briefly. */
function catalogSource(baseUrl: string, settings: Settings, options: ChatTranslatorOptions, apiKey: string | undefined, log: Logger): () => Promise<Reply> {
  return cachedCatalog(() => fetchModels(baseUrl, settings, apiKey, log), (upstream) => codexCatalog(upstream ?? [], settings, options));
}

async function fetchModels(baseUrl: string, settings: Settings, apiKey: string | undefined, log: Logger): Promise<UpstreamModel[] | undefined> {
  try {
    const headers: Record<string, string> = { accept: 'application/json', ...lowerKeys(settings.headers) };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const res = await fetch(`${baseUrl}/models`, { headers, signal: AbortSignal.timeout(MODELS_TIMEOUT_MS) });
    if (!res.ok) {
      log.warn({ status: res.status }, 'chat-translator: upstream model list failed; serving the configured models');
      return undefined;
    }
    return parseModelList(await res.json());
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'chat-translator: upstream model list unreachable; serving the configured models');
    return undefined;
  }
}
