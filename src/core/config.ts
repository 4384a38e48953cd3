import { Ajv } from 'ajv';
import { dirname, join, relative, resolve } from 'node:path';
import { statePaths } from '../service/state.js';
import { ConfigError } from './errors.js';
import { formatAjvErrors, parseEnvValue, type ChainSource } from './loader.js';
import { loadModule } from './modules.js';
import type { PluginEntry, RouterConfig, UpstreamConfig } from './types.js';

export interface ResolvedChain {
  provider: string;
  /** Route prefix: `` for the top level, `/<name>` for a provider. */
  prefix: string;
  entries: readonly PluginEntry[];
  source: ChainSource;
  upstream: Required<UpstreamConfig>;
}

export interface ResolvedConfig {
  /** The config file in use, or undefined for the built-in default chain alone. */
  file: string | undefined;
  server: {
    host: string;
    port: number;
    allowRemote: boolean;
    shutdownGraceMs: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    bodyIdleTimeoutMs: number;
    /** Largest request body on every chain; 0 means none. */
    maxBodyBytes: number;
    allowedHosts: readonly string[];
    allowedOrigins: readonly string[];
    apiKey: string | undefined;
  };
  logLevel: string;
  /** The response store for chains whose upstream keeps no state (docs/response-store.md). */
  responseStore: ResolvedResponseStore;
  chains: readonly ResolvedChain[];
  /** The environment the config was resolved against; plugin option defaults are read from it. */
  env: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedResponseStore {
  enabled: boolean;
  /** The SQLite file. */
  path: string;
  maxResponses: number;
  maxBytes: number;
  maxAgeDays: number;
}

export interface LoadConfigOptions {
  /** `--config FILE`; wins over the search. */
  configFile?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** The built-in default config (its top-level chain serves when a config has no `plugins`). */
  defaults: RouterConfig;
  /** Command-line overrides; they win over the file. */
  overrides?: { host?: string; port?: number; logLevel?: string; allowRemote?: boolean };
}

const MODULE_NAME = 'ccrx';
const SEARCH_PLACES = [
  'router.config.ts', 'router.config.mts', 'router.config.js', 'router.config.mjs', 'router.config.cjs',
  'router.config.json', 'router.config.yaml', 'router.config.yml',
  `.${MODULE_NAME}rc`, `.${MODULE_NAME}rc.json`, `.${MODULE_NAME}rc.yaml`, 'package.json',
];

const moduleLoader = (file: string) => loadModule(file);

/** Finds (or reads `--config`), validates and normalizes the config in one pass. */
export async function loadConfig(options: LoadConfigOptions): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  // Imported here, not at the top: embedding with createRouter(config) never searches for files.
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig(MODULE_NAME, {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'global',
    loaders: { '.ts': moduleLoader, '.mts': moduleLoader, '.js': moduleLoader, '.mjs': moduleLoader, '.cjs': moduleLoader },
  });
  let found: { config: unknown; filepath: string } | null;
  try {
    found = options.configFile ? await explorer.load(resolve(cwd, options.configFile)) : await explorer.search(cwd);
  } catch (err) {
    const file = options.configFile ? resolve(cwd, options.configFile) : cwd;
    throw new ConfigError(`${file}: cannot load config: ${(err as Error).message}`, { cause: err });
  }
  if (!found) return resolveConfig(options.defaults, { ...options, env, file: undefined, baseDir: cwd });
  return resolveConfig(found.config, { ...options, env, file: found.filepath, baseDir: dirname(found.filepath) });
}

/** Validates a config object (from a file or from code) and fills every default. */
export function resolveConfig(
  raw: unknown,
  o: Omit<LoadConfigOptions, 'configFile' | 'cwd'> & { file: string | undefined; baseDir: string },
): ResolvedConfig {
  const env = o.env ?? process.env;
  const shown = o.file ? displayPath(o.file) : 'built-in default config';
  const config = structuredCloneConfig(raw, shown);
  if (!validateConfig(config)) throw new ConfigError(formatAjvErrors(shown, validateConfig.errors ?? [], configSchema));

  const timeout = envNumber(env, 'REQUEST_TIMEOUT_MS', shown);
  const upstream = (u: UpstreamConfig | undefined): Required<UpstreamConfig> => ({
    connectTimeoutMs: u?.connectTimeoutMs ?? config.upstream?.connectTimeoutMs ?? 10_000,
    headersTimeoutMs: u?.headersTimeoutMs ?? config.upstream?.headersTimeoutMs ?? timeout ?? 300_000,
    idleTimeoutMs: u?.idleTimeoutMs ?? config.upstream?.idleTimeoutMs ?? timeout ?? 300_000,
    maxAttempts: u?.maxAttempts ?? config.upstream?.maxAttempts ?? 10,
    maxEventChars: u?.maxEventChars ?? config.upstream?.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS,
    maxStreamBytes: u?.maxStreamBytes ?? config.upstream?.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES,
  });

  const topLevel = config.plugins ?? o.defaults.plugins ?? [];
  const topSource: ChainSource = config.plugins
    ? { file: shown, baseDir: o.baseDir, path: 'plugins' }
    : { file: 'built-in default chain', baseDir: o.baseDir, path: 'plugins' };
  const chains: ResolvedChain[] = [{ provider: 'default', prefix: '', entries: topLevel, source: topSource, upstream: upstream(undefined) }];
  for (const [name, provider] of Object.entries(config.providers ?? {})) {
    chains.push({ provider: name, prefix: `/${name}`, entries: provider.plugins, source: { file: shown, baseDir: o.baseDir, path: `providers.${name}.plugins` }, upstream: upstream(provider.upstream) });
  }

  const headersTimeoutMs = config.server?.headersTimeoutMs ?? 20_000;
  const requestTimeoutMs = config.server?.requestTimeoutMs ?? 120_000;
  // Node refuses the server otherwise; say so in the config's terms.
  if (requestTimeoutMs < headersTimeoutMs) throw new ConfigError(`${shown} > server.requestTimeoutMs (${requestTimeoutMs}) must not be less than server.headersTimeoutMs (${headersTimeoutMs})`);

  const port = o.overrides?.port ?? config.server?.port ?? envNumber(env, 'PORT', shown) ?? 60001;
  return Object.freeze({
    file: o.file,
    server: {
      host: o.overrides?.host ?? config.server?.host ?? nonEmpty(env.HOST) ?? '127.0.0.1',
      port,
      allowRemote: o.overrides?.allowRemote ?? config.server?.allowRemote ?? false,
      shutdownGraceMs: config.server?.shutdownGraceMs ?? 10_000,
      headersTimeoutMs,
      requestTimeoutMs,
      bodyIdleTimeoutMs: config.server?.bodyIdleTimeoutMs ?? 30_000,
      maxBodyBytes: config.server?.maxBodyBytes ?? envBodyLimit(env, shown) ?? DEFAULT_MAX_BODY_BYTES,
      allowedHosts: config.server?.allowedHosts ?? [],
      allowedOrigins: config.server?.allowedOrigins ?? [],
      apiKey: config.server?.apiKey ?? nonEmpty(env.CCRX_API_KEY),
    },
    logLevel: o.overrides?.logLevel ?? config.logLevel ?? nonEmpty(env.LOG_LEVEL) ?? 'info',
    responseStore: {
      enabled: config.responseStore?.enabled ?? true,
      path: config.responseStore?.path ? resolve(o.baseDir, config.responseStore.path) : join(statePaths(env).dir, 'responses', 'responses.db'),
      maxResponses: config.responseStore?.maxResponses ?? 10_000,
      maxBytes: config.responseStore?.maxBytes ?? 256 * 1024 * 1024,
      maxAgeDays: config.responseStore?.maxAgeDays ?? 30,
    },
    chains,
    env,
  });
}

function structuredCloneConfig(raw: unknown, shown: string): RouterConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${shown}: the config must be an object (export default defineConfig({ ... }))`);
  return { ...(raw as RouterConfig) };
}

/** A config path as users recognize it: relative below the current directory, absolute elsewhere. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * 8 Mi characters: the largest real events are a Responses stream's closing `response.completed` (the whole output
 * again, a megabyte on a long turn) and a provider's one-chunk tool call; parsing an event this size still takes a
 * few tens of milliseconds of the event loop.
 */
const DEFAULT_MAX_EVENT_CHARS = 8 * 1024 * 1024;

/**
 * 128 MiB: a model's longest answer (128k output tokens, reasoning included) as Chat chunks of about 230 bytes per
 * token is about 30 MB; four times that is no real stream.
 */
const DEFAULT_MAX_STREAM_BYTES = 128 * 1024 * 1024;

/**
 * 128 MiB. Codex sends images inline as base64 data URLs at their original size, and resends the whole conversation
 * each turn, so bodies of tens of megabytes are real; but OpenAI caps the images of one request at 50 MB (67 MB as
 * base64) and no model's context holds more than a few megabytes of text, so a request past this is one no upstream
 * would take. It still bounds what one request can make the gateway hold (about 3.5x the body in memory, measured).
 */
const DEFAULT_MAX_BODY_BYTES = 128 * 1024 * 1024;

/** `REQUEST_BODY_LIMIT_BYTES`: bytes, 0 for no limit. */
function envBodyLimit(env: Readonly<Record<string, string | undefined>>, shown: string): number | undefined {
  const raw = nonEmpty(env.REQUEST_BODY_LIMIT_BYTES);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new ConfigError(`${shown} > environment variable REQUEST_BODY_LIMIT_BYTES must be a number of bytes (0 for no limit)`);
  return Number(raw);
}

function envNumber(env: Readonly<Record<string, string | undefined>>, name: string, shown: string): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const value = parseEnvValue(raw, 'integer') as number | undefined;
  if (value === undefined || value === 0) throw new ConfigError(`${shown} > environment variable ${name} must be a positive integer`);
  return value;
}

const upstreamSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Upstream HTTP client settings.',
  properties: {
    connectTimeoutMs: { type: 'integer', minimum: 1, description: 'Milliseconds to open a connection to the upstream. Default 10000.' },
    headersTimeoutMs: { type: 'integer', minimum: 1, description: 'Milliseconds to wait for the upstream response headers. Default REQUEST_TIMEOUT_MS or 300000.' },
    idleTimeoutMs: { type: 'integer', minimum: 1, description: 'Longest silence between two upstream body chunks; long streams are never cut while they talk. Default REQUEST_TIMEOUT_MS or 300000.' },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 100, description: 'Hard cap on upstream attempts per request, whatever plugins ask. Default 10.' },
    maxEventChars: { type: 'integer', minimum: 1024, description: 'Longest event (or unfinished line) of an upstream event stream the gateway parses (translated or observed streams; piped bytes are never parsed), in decoded characters; past it Codex gets response.failed (upstream_event_too_large). Default 8388608.' },
    maxStreamBytes: { type: 'integer', minimum: 0, description: 'Most bytes the gateway reads from one upstream event stream it parses; past it Codex gets response.failed (upstream_stream_too_large); 0 = no limit. Default 134217728 (128 MiB).' },
  },
} as const;

const pluginsSchema = { type: 'array', description: 'The chain, in order: "name", ["name", options], { plugin, options, enabled } or a plugin object.' } as const;

/** The schema of the config file (plugin options are validated by each plugin's own schema). */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    plugins: pluginsSchema,
    providers: {
      type: 'object',
      description: 'Extra chains served under /<name>/v1/..., each with its own plugins and upstream.',
      propertyNames: { pattern: '^[a-z0-9][a-z0-9_-]*$', not: { enum: ['v1', 'health', '_ccrx'] } },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['plugins'],
        properties: { plugins: pluginsSchema, upstream: upstreamSchema },
      },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      description: 'Local server settings.',
      properties: {
        host: { type: 'string', minLength: 1, description: 'Address to bind. Default HOST or 127.0.0.1.' },
        port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Port to bind. Default PORT or 60001.' },
        allowRemote: { type: 'boolean', description: 'Allow binding a non-loopback address. Default false.' },
        shutdownGraceMs: { type: 'integer', minimum: 0, description: 'Milliseconds in-flight requests may take to finish on shutdown. Default 10000.' },
        headersTimeoutMs: { type: 'integer', minimum: 100, description: 'Milliseconds a client may take to send its request headers (counted from the connection or the request start); then 408 and the connection closes. Default 20000.' },
        requestTimeoutMs: { type: 'integer', minimum: 100, description: 'Milliseconds a client may take to send its whole request, body included (not the answer: streams to Codex last as long as they talk). Default 120000.' },
        maxBodyBytes: { type: 'integer', minimum: 0, description: 'Largest request body, in bytes, on every chain and local route (a body-limit plugin may only lower it for its chain); 413 past it; 0 = no limit. Default REQUEST_BODY_LIMIT_BYTES or 134217728 (128 MiB: see docs/security.md).' },
        bodyIdleTimeoutMs: { type: 'integer', minimum: 100, description: 'Longest silence between two chunks of a request body; then 408 and the connection closes. Default 30000.' },
        allowedHosts: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Host header names accepted besides loopback names and the bound address (DNS-rebinding guard). Default [].' },
        allowedOrigins: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Browser origins accepted; any other request with an Origin header gets 403. Default [].' },
        apiKey: { type: 'string', minLength: 16, description: 'Local API key every request must present in x-ccrx-api-key (or as its bearer token). Default CCRX_API_KEY or none.' },
      },
    },
    upstream: upstreamSchema,
    responseStore: {
      type: 'object',
      additionalProperties: false,
      description: 'Stored responses (previous_response_id, item_reference, GET /v1/responses/{id}) for chains whose upstream keeps no state, such as chat-translator chains; the oldest go first when a bound is passed.',
      properties: {
        enabled: { type: 'boolean', description: 'Keep responses of requests whose store is not false. Off: nothing is kept and previous_response_id is refused. Default true.' },
        path: { type: 'string', minLength: 1, description: 'The SQLite file (relative paths from the config file). Default <state dir>/responses/responses.db.' },
        maxResponses: { type: 'integer', minimum: 1, description: 'Most responses kept. Default 10000.' },
        maxBytes: { type: 'integer', minimum: 1024, description: 'Most bytes of stored JSON (responses and their inputs). Default 268435456 (256 MiB).' },
        maxAgeDays: { type: 'number', exclusiveMinimum: 0, description: 'Responses older than this many days are removed. Default 30.' },
      },
    },
    logLevel: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'Log level. Default LOG_LEVEL or info.' },
  },
} as const;

const validateConfig = new Ajv({ allErrors: true, strict: false }).compile<RouterConfig>(configSchema);
