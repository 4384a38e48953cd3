import type { Logger } from 'pino';
import type { GatewayError } from './errors.js';
import type { Hooks } from './hooks.js';
import type { JsonObject } from '../json/is-object.js';

// ----- Routes -----

/** The routes a chain serves: `POST {prefix}/v1/responses` and `GET {prefix}/v1/models`. */
export type RouteName = 'responses' | 'models';

/** Header map with lowercase names. Repeated inbound headers are joined with `, `. */
export type HeaderMap = Record<string, string>;

// ----- Exchange -----

/** What the kernel knows of an inbound request before its body is read (see the `requestHead` hook). */
export interface InboundHead {
  /** The exchange id this request will carry (for correlating logs). */
  readonly id: string;
  readonly method: string;
  /** Path as received, e.g. `/deepseek/v1/responses`. */
  readonly path: string;
  readonly route: RouteName;
  readonly query: URLSearchParams;
  readonly headers: Readonly<HeaderMap>;
  /** The declared `content-length`, when the client sent one. */
  readonly contentLength: number | undefined;
  /**
   * Refuse bodies larger than `bytes`: a declared length over the limit is refused before reading, and reading
   * stops as soon as the limit is passed. The error is what Codex receives. It can only lower `server.maxBodyBytes`,
   * which applies to every chain.
   */
  limitBody(bytes: number, error: () => GatewayError): void;
}

/** The inbound request with its body. The raw bytes are the source of truth; a replay resends them. */
export interface InboundRequest extends Omit<InboundHead, 'limitBody' | 'id'> {
  readonly body: Buffer;
  /** Parses the body as JSON once and caches it. Throws a 400 `invalid_json` GatewayError when it is not JSON. */
  json(): unknown;
}

/** The upstream request that the next attempt sends. Plugins edit it in `request`, `authorize` and `attempt`. */
export interface UpstreamRequest {
  /** Full upstream URL; a chain must set it (usually in `request`) or the kernel answers `no_upstream`. */
  url: URL | undefined;
  /**
   * The API the upstream request speaks: `responses` (the default, Codex's own), `chat-completions` or
   * `anthropic-messages` once a plugin routes the exchange to such an endpoint. Plugins agree through it; the kernel
   * does not read it.
   */
  wire: 'responses' | 'chat-completions' | 'anthropic-messages' | (string & {});
  /**
   * What the plugin that chose the upstream knows of the model (e.g. from Copilot's `/models`), for the plugin that
   * builds the body. The kernel does not read it.
   */
  model?: UpstreamModelInfo;
  method: 'GET' | 'POST';
  /**
   * One map for the whole exchange: edit it in place (`headers[name] = value`, `delete headers[name]`). It cannot be
   * replaced, so a header one plugin sets survives the plugins after it unless one of them deletes that very header.
   */
  readonly headers: HeaderMap;
  /** Body bytes; starts as the inbound body, byte for byte. */
  body: Buffer | undefined;
}

/** A model as the upstream's own list describes it; every field is optional because lists differ. */
export interface UpstreamModelInfo {
  id: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  vision?: boolean;
  /** The model takes `thinking: {type: "adaptive"}` (Anthropic Messages). */
  adaptiveThinking?: boolean;
  minThinkingBudget?: number;
  maxThinkingBudget?: number;
}

/** Metadata about the credential in use. The secret itself is only in the upstream `authorization` header. */
export interface CredentialInfo {
  /** Kind of source, e.g. `env`, `token-file`, `inbound`, `api-key`. Safe to log. */
  readonly source: string;
  /** Whether the source can mint a new token when asked (`authorize` with `force`). */
  readonly refreshable: boolean;
  /** Expiry of the token, epoch seconds, when known. */
  readonly expiresAt?: number;
}

/** Why the current attempt replays the request. */
export interface ReplayInfo {
  readonly reason: string;
  readonly refreshCredentials: boolean;
  readonly afterMs: number;
}

/** Keeps Codex's idle timer alive while the upstream is slow (see `streamIdle`). */
export interface KeepAlive {
  /** Commit a 200 event stream to Codex when upstream headers have not arrived after this long. */
  commitAfterMs: number;
  /** Call `streamIdle` when nothing was written to Codex for this long. */
  intervalMs: number;
}

/** One request through one chain: everything a plugin may read or change, grouped by phase. */
export interface Exchange {
  /** Local id, never sent upstream. */
  readonly id: string;
  /** Name of the chain serving the request (`default` for the top level). */
  readonly provider: string;
  readonly inbound: InboundRequest;
  readonly upstream: UpstreamRequest;
  /** 1 for the first upstream attempt, +1 per replay. */
  readonly attempt: number;
  /** Set when the current attempt is a replay. */
  readonly replay: ReplayInfo | undefined;
  /** The credential chosen by `authorize`, if any. */
  readonly credential: CredentialInfo | undefined;
  /** Per-exchange plugin state: use a module-level symbol as key. */
  readonly state: Map<symbol, unknown>;
  readonly log: Logger;
  /** Aborted when the client goes away; pass it to anything that waits. */
  readonly signal: AbortSignal;
  readonly startedAt: number;
  /** Whether the status line was already sent to Codex. */
  readonly headersSent: boolean;
  /** Set by a plugin in `request` to have the kernel keep Codex's stream alive. */
  keepAlive: KeepAlive | undefined;
  /**
   * Whether the upstream event stream goes through the stream hooks. Undefined means the chain default: yes when a
   * plugin without `streamEventsOnDemand` taps a stream hook. A plugin with on-demand stream taps sets it to true
   * for the exchanges it must see; everything else is piped as bytes.
   */
  streamEvents: boolean | undefined;
}

// ----- Upstream response and verdicts -----

/** The head of an upstream response, with a way to read a (small) body. */
export interface UpstreamResponse {
  readonly status: number;
  /** Headers Codex will receive (hop-by-hop ones are removed later). Plugins may edit them. */
  headers: Record<string, string | string[]>;
  readonly url: URL;
  /** Milliseconds from sending the attempt to its response head. */
  readonly elapsedMs: number;
  /** Reads the whole body (at most `maxBytes`, default 1 MiB). After this the response can only be replied to. */
  readBody(maxBytes?: number): Promise<Buffer>;
  readonly bodyUsed: boolean;
}

/** A local answer. `body` may be bytes, text, or a JSON value. */
export interface Reply {
  status: number;
  headers?: HeaderMap;
  body?: Buffer | string | object;
}

/** What an `upstreamResponse` tap may ask of the kernel. Returning nothing lets the next tap decide. */
export type Verdict =
  | { replay: { afterMs?: number; reason: string; refreshCredentials?: boolean } }
  | { reply: Reply }
  | { fail: GatewayError };

/** Context of an `authorize` call. */
export interface AuthorizeContext {
  /** True when a replay asked for fresh credentials (for example after a 401). */
  readonly force: boolean;
  /** Failures noted by earlier taps; the kernel throws the first one if no tap yields a credential. */
  readonly failures: GatewayError[];
}

/** What an `authorize` tap returns to claim the request. */
export interface Credential extends CredentialInfo {
  /** The full `authorization` header value, e.g. `Bearer …`. Never logged. */
  readonly authorization: string;
}

// ----- Streams -----

/** One server-sent event. `data` is the raw text of the event's data lines. */
export interface StreamEvent {
  event?: string;
  data: string;
  id?: string;
}

/** How an event stream to Codex ends. */
export type StreamOutcome = { kind: 'eof' } | { kind: 'error'; error: GatewayError };

/** Summary handed to `exchangeEnd` once the answer to Codex is finished. */
export interface ExchangeSummary {
  /** Status sent to Codex (0 if nothing was sent). */
  readonly status: number;
  readonly upstreamStatus: number | undefined;
  readonly attempts: number;
  readonly durationMs: number;
  /** Time from start to the first byte written to Codex. */
  readonly firstByteMs: number | undefined;
  readonly bytesOut: number;
  readonly chunksOut: number;
  /** `completed`, `error` (an error reached Codex), `aborted` (client went away), `cut` (upstream broke mid-stream). */
  readonly outcome: 'completed' | 'error' | 'aborted' | 'cut';
  readonly error: GatewayError | undefined;
}

// ----- Health -----

export interface HealthCheck {
  ok: boolean;
  message?: string;
  [detail: string]: unknown;
}

/** Filled by `health` taps; served under `/health`. Never put secrets here. */
export interface HealthReport {
  readonly provider: string;
  checks: Record<string, HealthCheck>;
}

// ----- Plugins -----

/** Read-only facts about the chain a plugin is applied to. */
export interface ChainInfo {
  readonly provider: string;
  /** Route prefix, e.g. `` for the top level or `/deepseek`. */
  readonly prefix: string;
  /** Names of the enabled plugins, in chain order. */
  readonly plugins: readonly string[];
}

/** Hooks as plugins see them: they can tap, only the kernel calls. */
export type TapOnly<H> = Pick<H, Extract<keyof H, 'tap' | 'tapPromise' | 'tapAsync' | 'isUsed'>>;
export type PluginHooks = { readonly [K in keyof Hooks]: TapOnly<Hooks[K]> };

/** A local endpoint a plugin serves under its chain's prefix (e.g. `/metrics`); it never reaches an upstream. */
export interface LocalRoute {
  method: 'GET' | 'POST';
  /** Path under the chain prefix, starting with `/`. */
  path: string;
  handle(request: { query: URLSearchParams; headers: Readonly<HeaderMap>; body: Buffer }): Reply | Promise<Reply>;
}

/** What `apply` receives. */
export interface PluginApi {
  readonly hooks: PluginHooks;
  readonly log: Logger;
  readonly chain: ChainInfo;
  /**
   * The environment the config was resolved against (process.env for `ccrx serve`). Prefer `plugin.env` bindings;
   * read this only for names known at run time, such as an `apiKeyEnv` option.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Serve a local endpoint; a path the kernel already serves is a config error. */
  addRoute(route: LocalRoute): void;
  /**
   * The gateway's response store, for a plugin whose upstream keeps no conversation state (a translator). Asking
   * for it makes the chain serve `GET`/`DELETE {prefix}/v1/responses/{id}` and `…/input_items` from the store.
   */
  responseStore(): ResponseStoreHandle;
}

/** What a translating plugin does with the response store, once per Responses exchange before it translates. */
export interface ResponseStoreHandle {
  /** False when the config turned the store off. */
  readonly enabled: boolean;
  /** Whether `prepare` has anything to do for this body: `store` not false, a `previous_response_id` or an `item_reference`. */
  wants(body: unknown): boolean;
  /**
   * The Responses body to translate: the stored conversation of `previous_response_id` (its inputs and outputs,
   * in order) before the new input, each `item_reference` replaced by its item. When `store` is not false, the
   * response the client then gets (its terminal event, or the JSON answer) is kept under its id. Throws the
   * OpenAI error for an unknown id (400 `previous_response_not_found`, 404 for an item).
   */
  prepare(exchange: Exchange, body: JsonObject): JsonObject;
}

/** Environment variable that feeds an option's default (an explicit option in the config wins). */
export type EnvBinding = string | { name: string; parse: (raw: string) => unknown };

/** A plugin: a plain object. `O` is its options type after validation and defaults. */
export interface Plugin<O extends object = Record<string, unknown>> {
  /** kebab-case; also the tap name and the config entry name. */
  name: string;
  /** JSON schema (ajv) of the options; every property should have a `description` and a `default`. */
  schema?: object;
  /** Environment variables feeding option defaults, by option name. */
  env?: Partial<Record<keyof O & string, EnvBinding>>;
  /** Plugins that must appear earlier in the same chain. */
  dependencies?: string[];
  /**
   * The plugin's stream taps only matter for exchanges where it sets `exchange.streamEvents = true`, so its presence
   * alone does not make the chain parse every stream.
   */
  streamEventsOnDemand?: boolean;
  apply(api: PluginApi, options: O): void | Promise<void>;
}

/** A function returning a plugin. It receives the raw options; `apply` receives the validated ones. */
export type PluginFactory<O extends object = Record<string, unknown>> = (options?: Partial<O>) => Plugin<O>;

// ----- Config -----

/** One chain entry: a name, `[name, options]`, `{ plugin, options, enabled }`, or a plugin object. */
export type PluginEntry =
  | string
  | readonly [string | Plugin<never> | PluginFactory<never>, object?]
  | { plugin: string | Plugin<never> | PluginFactory<never>; options?: object; enabled?: boolean }
  | Plugin<never>
  | false
  | null
  | undefined;

export interface UpstreamConfig {
  /** Time to connect and receive response headers. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks; a stream may last as long as it keeps talking. */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Hard cap on attempts per request, whatever plugins ask. */
  maxAttempts?: number;
  /** Longest event (or line) of an upstream event stream the gateway parses, in decoded characters. */
  maxEventChars?: number;
  /** Most bytes read from one upstream event stream the gateway parses; 0 = no limit. */
  maxStreamBytes?: number;
}

export interface ProviderConfig {
  plugins: PluginEntry[];
  upstream?: UpstreamConfig;
}

export interface ServerConfig {
  host?: string;
  port?: number;
  /** Needed to bind a non-loopback host. */
  allowRemote?: boolean;
  /** Milliseconds to let in-flight streams finish on shutdown. */
  shutdownGraceMs?: number;
  /** Milliseconds a client may take to send its request headers. */
  headersTimeoutMs?: number;
  /** Milliseconds a client may take to send its whole request (never the answer). */
  requestTimeoutMs?: number;
  /** Longest silence between two chunks of a request body. */
  bodyIdleTimeoutMs?: number;
  /** Largest request body on every chain, in bytes; 0 = no limit. */
  maxBodyBytes?: number;
  /** Host header names accepted besides loopback names and the bound address. */
  allowedHosts?: string[];
  /** Browser origins accepted; any other request carrying `Origin` is refused. */
  allowedOrigins?: string[];
  /** Local API key every request must present (`x-ccrx-api-key`). */
  apiKey?: string;
}

/** The config file's shape (`export default defineConfig({ ... })`). */
export interface RouterConfig {
  /** The top-level chain, serving `/v1/...`. Replaces the built-in default chain when present. */
  plugins?: PluginEntry[];
  /** Extra chains served under `/<name>/v1/...`. */
  providers?: Record<string, ProviderConfig>;
  server?: ServerConfig;
  upstream?: UpstreamConfig;
  /** Stored responses for chains whose upstream keeps no state (docs/response-store.md). */
  responseStore?: ResponseStoreConfig;
  logLevel?: string;
}

export interface ResponseStoreConfig {
  /** Keep responses of requests whose `store` is not false. @default true */
  enabled?: boolean;
  /** The SQLite file. @default "<state dir>/responses/responses.db" */
  path?: string;
  /** @default 10000 */
  maxResponses?: number;
  /** Bytes of stored JSON. @default 268435456 */
  maxBytes?: number;
  /** @default 30 */
  maxAgeDays?: number;
}
