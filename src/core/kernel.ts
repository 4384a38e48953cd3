import Router from '@koa/router';
import Koa from 'koa';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config.js';
import { ConfigError, errorBody, errors, toGatewayError, type GatewayError } from './errors.js';
import { ExchangeAbort } from './abort.js';
import { InFlight } from './in-flight.js';
import { createExchange, setInboundBody, type KernelExchange } from './exchange.js';
import { createHooks, hasTaps, streamHookNames, type Hooks } from './hooks.js';
import { applyChain, resolveChain, type Builtins } from './loader.js';
import { createLogger } from './logger.js';
import { runExchange } from './pipeline.js';
import { requestModel } from './request-model.js';
import { createResponder, type Responder, type StreamLimits } from './respond.js';
import { createUpstreamClient, type UpstreamClient } from './upstream.js';
import { isLoopbackHost } from './net.js';
import { createGuardCheck, guardMiddleware } from './guard.js';
import { answerMalformed, answerOnSocket } from './raw-answer.js';
import { packageVersion } from './version.js';
import type { ChainInfo, HeaderMap, HealthReport, InboundHead, LocalRoute, Reply, ResponseStoreHandle, RouteName } from './types.js';
import { chainHandle, deleteResponse, getResponse, listInputItems, ResponseStore } from '../response-store/index.js';

interface ChainRuntime {
  info: ChainInfo;
  routes: (LocalRoute & { plugin: string })[];
  hooks: Hooks;
  upstream: UpstreamClient;
  /** Parse event streams unless an exchange says otherwise. */
  eventMode: boolean;
  /** Whether any plugin can consume events at all (on demand or always). */
  anyStreamTaps: boolean;
  maxAttempts: number;
  streamLimits: StreamLimits;
  /** A plugin asked for the response store: the chain serves the stored-response routes. */
  usesResponseStore: boolean;
}

export interface RouterHandle {
  readonly config: ResolvedConfig;
  /** `http://host:port` once listening. */
  readonly url: string | undefined;
  listen(): Promise<{ url: string; host: string; port: number }>;
  /** Stops accepting, lets in-flight requests finish (up to `server.shutdownGraceMs`), then closes everything. */
  close(): Promise<void>;
  /** What `/health` answers. */
  health(): Promise<Record<string, unknown>>;
}

const ROUTES: Record<RouteName, { path: string; method: 'POST' | 'GET' }> = {
  responses: { path: '/v1/responses', method: 'POST' },
  models: { path: '/v1/models', method: 'GET' },
};

/** The model Codex asked for, for the request log; a body that is not JSON has none. */
function modelOf(inbound: KernelExchange['inbound']): string | undefined {
  if (inbound.route !== 'responses' || inbound.body.length === 0) return undefined;
  try {
    return requestModel(inbound);
  } catch {
    return undefined;
  }
}

/**
 * What `createKernel` would refuse, without building a server or running any startup hook: the bind address, then
 * every chain's plugins resolved, their options validated and `apply` run on throwaway hooks. Throws the same
 * ConfigError (file, chain, plugin, option) that `ccrx serve` stops with.
 */
export async function verifyConfig(config: ResolvedConfig, o: { builtins: Builtins }): Promise<void> {
  const { host, allowRemote } = config.server;
  if (!isLoopbackHost(host) && !allowRemote) {
    throw new ConfigError(`refusing to bind ${host}: it is not a loopback address; pass --allow-remote (or server.allowRemote) to expose the gateway`);
  }
  const log = createLogger({ level: 'silent' });
  // Checking a config must not open the store a running gateway holds: plugins get a handle that keeps nothing.
  const noStore: ResponseStoreHandle = { enabled: false, wants: () => false, prepare: (_ex, body) => body };
  for (const chain of config.chains) {
    const loaded = await resolveChain(chain.entries, chain.source, o.builtins, config.env);
    const info: ChainInfo = Object.freeze({ provider: chain.provider, prefix: chain.prefix, plugins: Object.freeze(loaded.map((p) => p.plugin.name)) });
    await applyChain(loaded, createHooks(log), log, info, chain.source.file, config.env, () => noStore);
  }
}

/** Builds every chain (fresh hooks and plugin instances each), the Koa app and the HTTP server. */
export async function createKernel(config: ResolvedConfig, o: { builtins: Builtins; logger?: Logger }): Promise<RouterHandle> {
  const log = o.logger ?? createLogger({ level: config.logLevel });
  const { host, port, allowRemote } = config.server;
  if (!isLoopbackHost(host) && !allowRemote) {
    throw new ConfigError(`refusing to bind ${host}: it is not a loopback address; pass --allow-remote (or server.allowRemote) to expose the gateway`);
  }

  // Opened when the first chain asks for it, so a corrupt or locked file is reported at start.
  let store: ResponseStore | undefined;
  const storeOf = (): ResponseStore => {
    const { enabled, path, maxResponses, maxBytes, maxAgeDays } = config.responseStore;
    return (store ??= enabled ? ResponseStore.open(path, { maxResponses, maxBytes, maxAgeMs: maxAgeDays * 86_400_000 }, log) : ResponseStore.disabled(log));
  };

  const chains: ChainRuntime[] = [];
  for (const chain of config.chains) {
    const hooks = createHooks(log);
    const loaded = await resolveChain(chain.entries, chain.source, o.builtins, config.env);
    const info: ChainInfo = Object.freeze({ provider: chain.provider, prefix: chain.prefix, plugins: Object.freeze(loaded.map((p) => p.plugin.name)) });
    const { routes, streamEventsByDefault, usesResponseStore } = await applyChain(loaded, hooks, log, info, chain.source.file, config.env, () => chainHandle(storeOf(), chain.provider));
    const anyStreamTaps = streamHookNames.some((n) => hasTaps(hooks[n]));
    chains.push({ info, routes, hooks, upstream: createUpstreamClient(chain.upstream), eventMode: streamEventsByDefault, anyStreamTaps, maxAttempts: chain.upstream.maxAttempts, streamLimits: { maxEventChars: chain.upstream.maxEventChars, maxStreamBytes: chain.upstream.maxStreamBytes }, usesResponseStore });
  }

  const { headersTimeoutMs, requestTimeoutMs, bodyIdleTimeoutMs, maxBodyBytes } = config.server;
  /** The body limit every chain and local route starts from (`server.maxBodyBytes`; 0 is none). */
  const serverLimit = (declared: number | undefined): BodyRead['limit'] =>
    maxBodyBytes > 0 ? { bytes: maxBodyBytes, error: () => errors.requestBodyTooLarge(maxBodyBytes, declared !== undefined && declared > maxBodyBytes ? declared : undefined) } : undefined;
  const stats = { requests: 0, errors: 0, replays: 0 };
  /** Requests under way, each with the way to end it early at shutdown. */
  const inFlight = new InFlight<{ abort: ExchangeAbort; out: Responder }>();
  const startedAt = Date.now();
  let closing = false;
  let url: string | undefined;

  async function health(): Promise<Record<string, unknown>> {
    const providers: Record<string, unknown> = {};
    for (const chain of chains) {
      const report: HealthReport = { provider: chain.info.provider, checks: {} };
      await chain.hooks.health.promise(report).catch((err: unknown) => {
        report.checks.plugins = { ok: false, message: toGatewayError(err).message };
      });
      providers[chain.info.provider] = { prefix: chain.info.prefix, plugins: chain.info.plugins, checks: report.checks };
    }
    return { ok: true, service: 'codex-code-router', version: packageVersion(), providers };
  }

  const app = new Koa();
  const router = new Router({ strict: true });
  app.silent = true;

  // Errors raised outside an exchange (guard, routing, local endpoints) become OpenAI-shaped JSON here.
  const errorBoundary: Koa.Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const error = toGatewayError(err);
      if (error.status >= 500) log.error({ err }, 'local endpoint failed');
      ctx.status = error.status;
      ctx.set(error.headers);
      ctx.body = errorBody(error);
    }
  };

  router.get('/health', async (ctx) => {
    ctx.body = await health();
  });
  router.get('/_ccrx/status', async (ctx) => {
    ctx.body = {
      pid: process.pid,
      version: packageVersion(),
      url,
      startedAt: new Date(startedAt).toISOString(),
      uptimeMs: Date.now() - startedAt,
      configFile: config.file ?? null,
      chains: chains.map((c) => c.info),
      counts: { ...stats, inFlight: inFlight.size },
      responseStore: storeStatus(),
      health: await health(),
    };
  });

  /** What status shows of the store: where it is, how full, what went wrong; never its content. */
  function storeStatus(): Record<string, unknown> | null {
    if (!store) return null;
    if (!store.enabled) return { enabled: false };
    return { enabled: true, file: config.responseStore.path, ...store.stats(), bounds: store.bounds, problem: store.problem?.message ?? null };
  }

  // The CLI's way into a store that the running gateway holds open (`ccrx responses`).
  if (store) {
    const open = store;
    router.get('/_ccrx/responses', (ctx) => {
      const limit = Number(ctx.query.limit ?? 50);
      const chain = typeof ctx.query.chain === 'string' ? ctx.query.chain : undefined;
      ctx.body = { status: storeStatus(), data: open.list({ chain, limit: Number.isInteger(limit) && limit > 0 ? limit : 50 }) };
    });
    router.get('/_ccrx/responses/:id', (ctx) => {
      const found = open.chainsOf(ctx.params.id!).map((chain) => ({ chain, record: open.get(chain, ctx.params.id!) }));
      if (!found.length) throw errors.notFound(ctx.path, 'a stored response id');
      ctx.body = found.map(({ chain, record }) => ({ chain, createdAt: record?.createdAt, previousId: record?.previousId ?? null, response: JSON.parse(record!.response) as unknown, input: JSON.parse(record!.input) as unknown }));
    });
    router.delete('/_ccrx/responses/:id', (ctx) => {
      const deleted = open.chainsOf(ctx.params.id!).filter((chain) => open.delete(chain, ctx.params.id!));
      if (!deleted.length) throw errors.notFound(ctx.path, 'a stored response id');
      ctx.body = { id: ctx.params.id, deleted };
    });
    router.post('/_ccrx/responses/prune', (ctx) => {
      ctx.body = { removed: open.prune(), status: storeStatus() };
    });
  }

  // Codex's two routes by exact method and path: they carry every exchange. Served before Koa when the guard lets
  // the request through (see `server` below); @koa/router serves them too, for any other spelling it accepts.
  const exchangeRoutes = new Map<string, (target: RequestTarget) => Promise<void>>();

  const taken = new Set(['/health', '/_ccrx/status', ...chains.flatMap((c) => Object.values(ROUTES).map((r) => c.info.prefix + r.path))]);
  for (const chain of chains) {
    if (chain.usesResponseStore) {
      const base = `${chain.info.prefix}/v1/responses/:id`;
      const provider = chain.info.provider;
      const reply = (ctx: Koa.Context, answer: Reply) => {
        ctx.status = answer.status;
        if (answer.headers) ctx.set(answer.headers);
        ctx.body = answer.body;
      };
      router.get(base, (ctx) => reply(ctx, getResponse(storeOf(), provider, ctx.params.id!)));
      router.delete(base, (ctx) => reply(ctx, deleteResponse(storeOf(), provider, ctx.params.id!)));
      router.get(`${base}/input_items`, (ctx) => reply(ctx, listInputItems(storeOf(), provider, ctx.params.id!, new URLSearchParams(ctx.querystring))));
    }
    for (const local of chain.routes) {
      const path = chain.info.prefix + local.path;
      if (taken.has(path)) throw new ConfigError(`${chain.info.provider} chain > ${local.plugin}: route ${path} is already served`);
      taken.add(path);
      router.register(path, [local.method], async (ctx) => {
        const declared = ctx.request.length;
        const body = local.method === 'POST' ? await readBody(ctx.req, { declared, limit: serverLimit(declared), idleMs: bodyIdleTimeoutMs, refuse: () => ctx.set('connection', 'close') }) : Buffer.alloc(0);
        const reply = await local.handle({ query: new URLSearchParams(ctx.querystring), headers: flattenHeaders(ctx.req), body });
        ctx.status = reply.status;
        if (reply.headers) ctx.set(reply.headers);
        ctx.body = reply.body ?? '';
      });
    }
    for (const [route, spec] of Object.entries(ROUTES) as [RouteName, (typeof ROUTES)[RouteName]][]) {
      const path = chain.info.prefix + spec.path;
      exchangeRoutes.set(`${spec.method} ${path}`, (target) => serve(target, chain, route));
      router.register(path, [spec.method], (ctx) => {
        ctx.respond = false;
        return serve({ req: ctx.req, res: ctx.res, path: ctx.path, search: ctx.querystring }, chain, route);
      });
      router.all(path, (ctx) => {
        if (ctx.method === 'GET' && route === 'responses' && ctx.get('upgrade').toLowerCase() === 'websocket') throw errors.websocketUnsupported();
        throw errors.methodNotAllowed(ctx.method, path, [spec.method]);
      });
    }
  }
  const supported = [
    'GET /health',
    ...chains.flatMap((c) => [`POST ${c.info.prefix}/v1/responses`, `GET ${c.info.prefix}/v1/models`, ...(c.usesResponseStore ? [`GET|DELETE ${c.info.prefix}/v1/responses/{id}`, `GET ${c.info.prefix}/v1/responses/{id}/input_items`] : [])]),
  ].join(', ');
  const notFound: Koa.Middleware = (ctx) => {
    throw errors.notFound(ctx.path, supported);
  };
  const { allowedHosts, allowedOrigins, apiKey } = config.server;
  const guard = createGuardCheck({ host, allowedHosts, allowedOrigins, apiKey });
  for (const middleware of [errorBoundary, guardMiddleware(guard), router.routes(), notFound]) app.use(middleware);

  async function serve({ req, res, path, search }: RequestTarget, chain: ChainRuntime, route: RouteName): Promise<void> {
    stats.requests += 1;
    const abort = new ExchangeAbort();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const headers = flattenHeaders(req);
    const declared = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    const ex = createExchange({
      provider: chain.info.provider,
      inbound: { method: req.method ?? 'GET', path, route, search, headers, contentLength: Number.isFinite(declared) ? declared : undefined },
      log,
      abort,
    });
    const out = createResponder(res, ex, chain.hooks, () => chain.anyStreamTaps && (ex.streamEvents ?? chain.eventMode), chain.streamLimits);
    const settled = inFlight.add({ abort, out });
    let upstreamStatus: number | undefined;
    try {
      if (closing) throw errors.shuttingDown();
      let limit = serverLimit(ex.inbound.contentLength);
      // A chain may tighten the server's limit, never lift it.
      const tighten = (bytes: number, error: () => GatewayError) => {
        if (!limit || bytes < limit.bytes) limit = { bytes, error };
      };
      const local = hasTaps(chain.hooks.requestHead) ? await chain.hooks.requestHead.promise(requestHead(ex, tighten)) : undefined;
      if (local) await out.reply(local);
      else {
        setInboundBody(ex, await readBody(req, { declared: ex.inbound.contentLength, limit, idleMs: bodyIdleTimeoutMs, refuse: () => res.setHeader('connection', 'close') }));
        upstreamStatus = await runExchange({ hooks: chain.hooks, upstream: chain.upstream, maxAttempts: chain.maxAttempts, stats }, ex, out);
      }
    } catch (err) {
      await out.fail(toGatewayError(err));
    } finally {
      settled();
      const summary = out.summary(upstreamStatus);
      if (summary.outcome === 'error' || summary.outcome === 'cut') stats.errors += 1;
      // One metadata line per request: never a body, a header value or a token.
      const fields = {
        reqId: ex.id,
        provider: ex.provider,
        method: ex.inbound.method,
        path: ex.inbound.path,
        model: modelOf(ex.inbound),
        bodyBytes: ex.inbound.body.length,
        authSource: ex.credential?.source,
        status: summary.status,
        upstreamStatus: summary.upstreamStatus,
        attempts: summary.attempts,
        durationMs: summary.durationMs,
        firstByteMs: summary.firstByteMs,
        bytesOut: summary.bytesOut,
        chunksOut: summary.chunksOut,
        outcome: summary.outcome,
        error: summary.error?.code,
      };
      if (summary.outcome === 'completed') log.info(fields, 'request completed');
      else log.warn(fields, `request ended: ${summary.outcome}`);
      // Its taps are observers: what they throw is logged by the hook, never thrown here.
      chain.hooks.exchangeEnd.call(ex, summary);
    }
  }

  // An exchange on Codex's exact route that the guard lets through needs nothing of Koa (the responder turns its
  // errors into bytes); skipping Koa's context for it measured about 10 % of the CPU of a request. Everything
  // else (refusals, other routes, other spellings) goes through Koa's middleware and error boundary.
  const koa = app.callback();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const exchange = exchangeRoutes.get(`${req.method} ${path}`);
    if (!exchange || guard(req)) {
      void koa(req, res);
      return;
    }
    exchange({ req, res, path, search: query < 0 ? '' : url.slice(query + 1) }).catch((err: unknown) => {
      log.error({ err: toGatewayError(err).message }, 'exchange failed outside its responder');
      res.destroy();
    });
  };
  // Node's own answer to an HTTP/1.1 request without Host is a bare 400: the guard answers it (JSON) instead.
  // The header and request timeouts bound how long a client may take to send its request, never the answer: a
  // stream to Codex lasts as long as it talks. Node checks them on an interval (30 s by default, which let a
  // silent client stay 90 s): a tenth of the shorter one, at most a second.
  const server: Server = createServer(
    {
      keepAliveTimeout: 65_000,
      requireHostHeader: false,
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.max(10, Math.floor(headersTimeoutMs / 10))),
    },
    onRequest,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerMalformed(err, socket));
  // The gateway is no proxy: CONNECT gets the same JSON refusal as any other method it does not serve.
  server.on('connect', (req: IncomingMessage, socket: import('node:stream').Duplex) => answerOnSocket(socket, errors.methodNotAllowed('CONNECT', req.url ?? '', ['GET', 'POST'])));

  for (const chain of chains) await chain.hooks.startup.promise(chain.info);

  return {
    config,
    get url() {
      return url;
    },
    async listen() {
      await new Promise<void>((resolveListen, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => {
          const why = err.code === 'EADDRINUSE' ? 'the address is already in use (EADDRINUSE): is another ccrx running?' : `${err.message}`;
          reject(new ConfigError(`cannot listen on ${host}:${port}: ${why}`, { cause: err }));
        });
        server.listen(port, host, () => resolveListen());
      });
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${shownHost}:${address.port}`;
      if (!isLoopbackHost(host)) log.warn({ host }, 'the gateway is reachable from other machines; anyone who can reach it can spend your upstream quota');
      log.info({ url, configFile: config.file ?? 'built-in default', chains: chains.map((c) => c.info) }, 'codex-code-router listening');
      return { url, host: address.address, port: address.port };
    },
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.server.shutdownGraceMs;
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      // Past the grace period: event streams get a terminal response.failed (shutting_down), then everything stops.
      const left = inFlight.values();
      await Promise.all(left.map(({ out }) => out.terminate(errors.shuttingDown())));
      for (const { abort } of left) abort.abort();
      server.closeAllConnections();
      await closed;
      for (const chain of chains) {
        await chain.hooks.shutdown.promise().catch((err: unknown) => log.error({ err: toGatewayError(err).message }, 'shutdown tap failed'));
        await chain.upstream.close().catch(() => chain.upstream.destroy());
      }
      try {
        store?.close();
      } catch (err) {
        log.error({ err: toGatewayError(err).message }, 'response store did not close cleanly');
      }
    },
    health,
  };
}

/** The request as `requestHead` taps see it (no body yet); the query is parsed only if a tap reads it. */
function requestHead(ex: KernelExchange, limitBody: InboundHead['limitBody']): InboundHead {
  const { inbound } = ex;
  return {
    id: ex.id,
    method: inbound.method,
    path: inbound.path,
    route: inbound.route,
    headers: inbound.headers,
    contentLength: inbound.contentLength,
    get query() {
      return inbound.query;
    },
    limitBody,
  };
}

/** What an exchange needs of the HTTP request it answers. */
interface RequestTarget {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  /** The query string without `?`. */
  search: string;
}

function flattenHeaders(req: IncomingMessage): HeaderMap {
  const out: HeaderMap = {};
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

interface BodyRead {
  declared: number | undefined;
  limit: { bytes: number; error: () => GatewayError } | undefined;
  /** Longest silence between two body chunks. */
  idleMs: number;
  /** Marks the answer to close the connection: the rest of the body is never read. */
  refuse: () => void;
}

async function readBody(req: IncomingMessage, { declared, limit, idleMs, refuse }: BodyRead): Promise<Buffer> {
  if (limit && declared !== undefined && declared > limit.bytes) {
    refuse();
    throw limit.error();
  }
  // Events rather than an async iterator: this runs once per request, and the iterator costs more than the read.
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    // One timer per body, refreshed per chunk: a client that stops sending must not hold its socket until the
    // request timeout (or forever, between its drips).
    const idle = setTimeout(() => {
      refuse();
      req.pause();
      done(errors.bodyTimeout(idleMs));
    }, idleMs);
    const done = (err?: unknown) => {
      clearTimeout(idle);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      // One chunk (the usual case on loopback) is the body as it is: no copy.
      if (err === undefined) resolveBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      idle.refresh();
      total += chunk.length;
      if (limit && total > limit.bytes) {
        refuse();
        req.pause();
        done(limit.error());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = (err: Error) => done(errors.bodyUnreadable(err));
    const onClose = () => done(errors.bodyUnreadable(new Error('the client closed the connection before the body was read')));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
