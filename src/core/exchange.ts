import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { errors } from './errors.js';
import type { CredentialInfo, Exchange, HeaderMap, InboundRequest, KeepAlive, ReplayInfo, RouteName, UpstreamRequest } from './types.js';

/** The kernel's writable view of an exchange; plugins see the readonly `Exchange`. */
export interface KernelExchange extends Exchange {
  attempt: number;
  replay: ReplayInfo | undefined;
  credential: CredentialInfo | undefined;
  headersSent: boolean;
  keepAlive: KeepAlive | undefined;
  streamEvents: boolean | undefined;
  /** Metadata only: never a body, a header value or a token. */
  toJSON(): Record<string, unknown>;
}

export interface InboundInit {
  method: string;
  path: string;
  route: RouteName;
  /** The raw query string, without `?`; parsed on first read of `query`. */
  search: string;
  headers: HeaderMap;
  contentLength: number | undefined;
}

/** The inbound request; its body is filled in by `setInboundBody` once read. */
function createInbound(init: InboundInit): InboundRequest & { body: Buffer } {
  let parsed: { value: unknown } | undefined;
  let query: URLSearchParams | undefined;
  const inbound = {
    method: init.method,
    path: init.path,
    route: init.route,
    headers: init.headers,
    contentLength: init.contentLength,
    body: EMPTY,
    get query() {
      return (query ??= new URLSearchParams(init.search));
    },
    json() {
      if (!parsed) {
        try {
          parsed = { value: JSON.parse(inbound.body.toString('utf8')) };
        } catch (err) {
          throw errors.invalidJson(err);
        }
      }
      return parsed.value;
    },
  };
  return inbound;
}

const EMPTY = Buffer.alloc(0);

/** Stores the body once read; the upstream request starts as the same bytes. */
export function setInboundBody(ex: KernelExchange, body: Buffer): void {
  (ex.inbound as { body: Buffer }).body = body;
  if (ex.upstream.method === 'POST') ex.upstream.body = body;
}

export function createExchange(o: { provider: string; inbound: InboundInit; log: Logger; signal: AbortSignal }): KernelExchange {
  const id = randomUUID();
  const inbound = createInbound(o.inbound);
  const upstream: UpstreamRequest = {
    url: undefined,
    method: inbound.route === 'models' ? 'GET' : 'POST',
    wire: 'responses',
    headers: pickHeaders(inbound.headers, ['content-type', 'accept']),
    body: undefined,
  };
  // The child logger and the state map are made on first use: most exchanges never log past the summary line.
  let log: Logger | undefined;
  let state: Map<symbol, unknown> | undefined;
  const exchange: KernelExchange = {
    id,
    provider: o.provider,
    inbound,
    upstream,
    attempt: 0,
    replay: undefined,
    credential: undefined,
    get state() {
      return (state ??= new Map());
    },
    get log() {
      return (log ??= o.log.child({ reqId: id }));
    },
    signal: o.signal,
    startedAt: Date.now(),
    headersSent: false,
    keepAlive: undefined,
    streamEvents: undefined,
    // Like Koa's context: serializing an exchange never dumps a body, a header value or a token.
    toJSON: () => ({
      id,
      provider: o.provider,
      method: inbound.method,
      path: inbound.path,
      bodyBytes: inbound.body.length,
      attempt: exchange.attempt,
      authSource: exchange.credential?.source,
    }),
  };
  return exchange;
}

function pickHeaders(headers: HeaderMap, names: string[]): HeaderMap {
  const out: HeaderMap = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
