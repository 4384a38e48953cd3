import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ExchangeAbort } from './abort.js';
import { errors } from './errors.js';
import type { JsonObject } from '../json/is-object.js';
import type { CredentialInfo, Exchange, HeaderMap, InboundRequest, KeepAlive, ReplayInfo, RouteName, UpstreamRequest } from './types.js';

/** The kernel's writable view of an exchange; plugins see the readonly `Exchange`. */
export interface KernelExchange extends Exchange {
  attempt: number;
  replay: ReplayInfo | undefined;
  credential: CredentialInfo | undefined;
  headersSent: boolean;
  keepAlive: KeepAlive | undefined;
  streamEvents: boolean | undefined;
  /** Set by the response store: receives the terminal response object the client gets. */
  keepResponse: ((response: JsonObject) => void) | undefined;
  /** Every credential sent upstream so far (see `collectSecrets`): scrubbed from what goes back to the client. */
  readonly sentSecrets: Set<string>;
  /** The cancellation behind `signal`; the kernel reads it without making an AbortSignal. */
  readonly abort: ExchangeAbort;
  /** Metadata only: never a body, a header value or a token. */
  toJSON(): Record<string, unknown>;
}

export interface InboundInit {
  method: string;
  path: string;
  route: RouteName;
  responseId?: string;
  /** The raw query string, without `?`; parsed on first read of `query`. */
  search: string;
  headers: HeaderMap;
  contentLength: number | undefined;
}

const EMPTY = Buffer.alloc(0);

/**
 * The inbound request; its body is filled in by `setInboundBody` once read. Classes rather than object literals
 * with getters: an exchange is built per request, and literals with accessors are slow to create.
 */
class Inbound implements InboundRequest {
  readonly method: string;
  readonly path: string;
  readonly route: RouteName;
  readonly responseId: string | undefined;
  readonly headers: HeaderMap;
  readonly contentLength: number | undefined;
  body: Buffer = EMPTY;
  #search: string;
  #query: URLSearchParams | undefined;
  #parsed: { value: unknown } | undefined;

  constructor(init: InboundInit) {
    this.method = init.method;
    this.path = init.path;
    this.route = init.route;
    this.responseId = init.responseId;
    this.headers = init.headers;
    this.contentLength = init.contentLength;
    this.#search = init.search;
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#search));
  }

  json(): unknown {
    if (!this.#parsed) {
      try {
        this.#parsed = { value: JSON.parse(this.body.toString('utf8')) };
      } catch (err) {
        throw errors.invalidJson(err);
      }
    }
    return this.#parsed.value;
  }
}

/** Stores the body once read; the upstream request starts as the same bytes. */
export function setInboundBody(ex: KernelExchange, body: Buffer): void {
  (ex.inbound as Inbound).body = body;
  if (ex.upstream.method === 'POST') ex.upstream.body = body;
}

/** The kernel routes only these methods to an exchange (see ROUTES in kernel.ts). */
function upstreamMethod(inbound: Inbound): UpstreamRequest['method'] {
  if (inbound.route === 'responses') return 'POST';
  return inbound.method === 'DELETE' ? 'DELETE' : 'GET';
}

class ExchangeRecord implements KernelExchange {
  readonly id = randomUUID();
  readonly provider: string;
  readonly inbound: Inbound;
  readonly upstream: UpstreamRequest;
  readonly abort: ExchangeAbort;
  readonly startedAt = Date.now();
  attempt = 0;
  replay: ReplayInfo | undefined = undefined;
  credential: CredentialInfo | undefined = undefined;
  headersSent = false;
  keepAlive: KeepAlive | undefined = undefined;
  streamEvents: boolean | undefined = undefined;
  keepResponse: ((response: JsonObject) => void) | undefined = undefined;
  readonly sentSecrets = new Set<string>();
  // The child logger and the state map are made on first use: most exchanges never log past the summary line.
  #rootLog: Logger;
  #log: Logger | undefined;
  #state: Map<symbol, unknown> | undefined;

  constructor(o: { provider: string; inbound: InboundInit; log: Logger; abort: ExchangeAbort }) {
    this.provider = o.provider;
    this.inbound = new Inbound(o.inbound);
    this.upstream = {
      url: undefined,
      method: upstreamMethod(this.inbound),
      wire: 'responses',
      headers: pickHeaders(this.inbound.headers, ['content-type', 'accept']),
      body: undefined,
    };
    // Types say readonly; this holds for JavaScript plugins too: assigning a new map throws (ESM code is strict)
    // instead of silently dropping what earlier plugins set.
    Object.defineProperty(this.upstream, 'headers', { writable: false, configurable: false });
    this.abort = o.abort;
    this.#rootLog = o.log;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get state(): Map<symbol, unknown> {
    return (this.#state ??= new Map());
  }

  get log(): Logger {
    return (this.#log ??= this.#rootLog.child({ reqId: this.id }));
  }

  // Like Koa's context: serializing an exchange never dumps a body, a header value or a token.
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      provider: this.provider,
      method: this.inbound.method,
      path: this.inbound.path,
      bodyBytes: this.inbound.body.length,
      attempt: this.attempt,
      authSource: this.credential?.source,
    };
  }
}

export function createExchange(o: { provider: string; inbound: InboundInit; log: Logger; abort: ExchangeAbort }): KernelExchange {
  return new ExchangeRecord(o);
}

function pickHeaders(headers: HeaderMap, names: string[]): HeaderMap {
  const out: HeaderMap = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
