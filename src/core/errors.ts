/**
 * Every error the gateway itself makes, and the one place errors become bytes (`toWire`).
 * Wire `type`/`code` use the vocabulary Codex reads (shared spec codex-contract §3.4).
 */

export interface GatewayErrorInit {
  status: number;
  type: string;
  code?: string | null;
  message: string;
  /** Whether `message` may be shown to the client; defaults to true below 500. */
  expose?: boolean;
  /** Extra headers for the HTTP answer, e.g. `retry-after`. */
  headers?: Record<string, string>;
  /** Extra fields merged into the wire `error` object (e.g. `plan_type`, `resets_at`). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Marks gateway errors across copies of this package (a plugin may bundle or load its own copy). */
const BRAND = Symbol.for('codex-code-router.GatewayError');

export class GatewayError extends Error {
  /** `instanceof GatewayError` holds for errors made by any copy of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== GatewayError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  readonly [BRAND] = true;
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly expose: boolean;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown>;

  constructor(init: GatewayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatewayError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code ?? null;
    this.expose = init.expose ?? init.status < 500;
    this.headers = init.headers ?? {};
    this.details = init.details ?? {};
  }
}

/** Whatever a plugin throws, named with the plugin and hook it came from; the original error is `cause`. */
export class PluginError extends GatewayError {
  readonly plugin: string;
  readonly hook: string;

  constructor(plugin: string, hook: string, cause: unknown) {
    const inner = cause instanceof GatewayError ? cause : undefined;
    super({
      status: inner?.status ?? 500,
      type: inner?.type ?? 'server_error',
      code: inner ? inner.code : 'plugin_error',
      message: inner?.message ?? `plugin ${plugin} failed in ${hook}: ${describe(cause)}`,
      expose: inner?.expose ?? false,
      headers: inner?.headers,
      details: inner?.details,
      cause,
    });
    this.name = 'PluginError';
    this.plugin = plugin;
    this.hook = hook;
  }
}

/** A config file that cannot be used; the message names file, entry and path. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ----- The error table -----

export const errors = {
  notFound: (path: string, supported: string) =>
    new GatewayError({ status: 404, type: 'invalid_request_error', code: 'not_found', message: `no route for ${path}; supported endpoints: ${supported}` }),
  methodNotAllowed: (method: string, path: string, allow: string[]) =>
    new GatewayError({
      status: 405,
      type: 'invalid_request_error',
      code: 'method_not_allowed',
      message: `${method} is not allowed on ${path}; use ${allow.join(', ')}`,
      headers: { allow: allow.join(', ') },
    }),
  websocketUnsupported: () =>
    new GatewayError({ status: 426, type: 'invalid_request_error', code: 'websocket_unsupported', message: 'WebSocket transport is not supported; use HTTP (supports_websockets = false)', headers: { upgrade: 'HTTP/1.1' } }),
  invalidJson: (cause: unknown) =>
    new GatewayError({ status: 400, type: 'invalid_request_error', code: 'invalid_json', message: `request body is not valid JSON: ${describe(cause)}`, cause }),
  bodyUnreadable: (cause: unknown) =>
    new GatewayError({ status: 400, type: 'invalid_request_error', code: 'body_unreadable', message: 'the request body could not be read', cause }),
  requestBodyTooLarge: (limit: number, declared: number | undefined) =>
    new GatewayError({
      status: 413,
      type: 'invalid_request_error',
      code: 'request_body_too_large',
      message: `the request body is ${declared === undefined ? `more than ${limit} bytes` : `${declared} bytes (limit ${limit})`}; raise server.maxBodyBytes (REQUEST_BODY_LIMIT_BYTES), or set it to 0 for no limit`,
      headers: { connection: 'close' },
    }),
  bodyTimeout: (idleMs: number) =>
    new GatewayError({ status: 408, type: 'invalid_request_error', code: 'request_timeout', message: `the request body stalled: nothing arrived for ${idleMs} ms (server.bodyIdleTimeoutMs)` }),
  noUpstream: (provider: string, route: string) =>
    new GatewayError({ status: 500, type: 'server_error', code: 'no_upstream', message: `no plugin in chain "${provider}" set an upstream URL for ${route}`, expose: true }),
  upstreamUnreachable: (cause: unknown) =>
    new GatewayError({ status: 502, type: 'server_error', code: 'upstream_unreachable', message: `upstream request failed: ${describe(cause)}`, expose: true, cause }),
  upstreamTimeout: (cause: unknown) =>
    new GatewayError({ status: 504, type: 'server_error', code: 'upstream_timeout', message: `upstream did not answer in time: ${describe(cause)}`, expose: true, cause }),
  upstreamCut: (cause: unknown) =>
    new GatewayError({ status: 502, type: 'server_error', code: 'upstream_stream_error', message: `upstream stream broke: ${describe(cause)}`, expose: true, cause }),
  upstreamBadResponse: (message: string) =>
    new GatewayError({ status: 502, type: 'server_error', code: 'upstream_bad_response', message, expose: true }),
  upstreamEventTooLarge: (limit: number) =>
    new GatewayError({ status: 502, type: 'server_error', code: 'upstream_event_too_large', message: `the upstream sent a stream event (or a line) longer than ${limit} characters (upstream.maxEventChars)`, expose: true }),
  upstreamStreamTooLarge: (limit: number) =>
    new GatewayError({ status: 502, type: 'server_error', code: 'upstream_stream_too_large', message: `the upstream's event stream passed ${limit} bytes (upstream.maxStreamBytes)`, expose: true }),
  bodyTooLarge: (limit: number) =>
    new GatewayError({ status: 502, type: 'server_error', code: 'upstream_body_too_large', message: `upstream body is larger than ${limit} bytes`, expose: true }),
  shuttingDown: () =>
    new GatewayError({ status: 503, type: 'server_error', code: 'shutting_down', message: 'the gateway is shutting down', expose: true, headers: { 'retry-after': '1' } }),
} as const;

// ----- Errors to bytes -----

/** The OpenAI error body: `{"error":{"message","type","code", ...details}}`. */
export function errorBody(err: GatewayError): { error: Record<string, unknown> } {
  const message = err.expose ? err.message : 'internal gateway error';
  return { error: { message, type: err.type, code: err.code, ...err.details } };
}

/** Normalizes anything thrown into a GatewayError. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError({ status: 500, type: 'server_error', code: 'internal_error', message: describe(err), expose: false, cause: err });
}

/**
 * The `response.failed` event for an error after headers were sent: Codex reads `response.error.code` and
 * retries any code it does not treat as fatal (codex-contract §3.4).
 */
export function failedEvent(err: GatewayError, responseId: string, shown: { code?: string; message?: string; sequenceNumber?: number } = {}): { event: string; data: string } {
  const { error } = errorBody(err);
  // Besides code and message, Codex reads `plan_type` and `resets_at` here.
  const extra = Object.fromEntries(['plan_type', 'resets_at'].filter((k) => error[k] !== undefined).map((k) => [k, error[k]]));
  const data = {
    type: 'response.failed',
    ...(shown.sequenceNumber !== undefined && { sequence_number: shown.sequenceNumber }),
    response: { id: responseId, object: 'response', status: 'failed', output: [], error: { code: shown.code ?? error.code, message: shown.message ?? error.message, ...extra } },
  };
  return { event: 'response.failed', data: JSON.stringify(data) };
}
