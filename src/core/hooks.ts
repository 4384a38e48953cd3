import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import { PluginError, type GatewayError } from './errors.js';
import type {
  AuthorizeContext,
  ChainInfo,
  Credential,
  Exchange,
  ExchangeSummary,
  HealthReport,
  InboundHead,
  Reply,
  StreamEvent,
  StreamOutcome,
  UpstreamResponse,
  Verdict,
} from './types.js';

/**
 * Named stages for the rare tap that must run before or after the config order (tapable `stage`).
 * Everything else runs in the order of the config file.
 */
export const Stage = {
  /** Guards that must see a request before anything else (limits, security). */
  Guard: -100,
  /** The normal place: config order. */
  Default: 0,
  /** Fallbacks that apply only when no other tap answered (e.g. an inbound credential). */
  Fallback: 100,
  /** Observers that must see the final result of every other tap (diagnostics, metrics). */
  Observe: 200,
} as const;

/**
 * Every hook of a chain, created fresh per chain. This is the only place hooks exist.
 * The key is the hook's one name in code, logs, errors and docs (`docs/hooks.md`).
 */
export function createHooks() {
  const hooks = {
    // ----- lifecycle -----
    /** Once, after every plugin of the chain is applied and before the server listens. */
    startup: new AsyncSeriesHook<[ChainInfo]>(['chain']),
    /** Once, when the server closes; release timers, files and sockets here. */
    shutdown: new AsyncParallelHook<[]>([]),
    /** On `GET /health` and `ccrx status`: fill in checks; never write secrets. */
    health: new AsyncSeriesHook<[HealthReport]>(['report']),

    // ----- inbound -----
    /** Before the body is read: limits and guards. A returned Reply answers at once. */
    requestHead: new AsyncSeriesBailHook<[InboundHead], Reply | undefined>(['head']),
    /** Once per exchange, before the first attempt: body rewrites, upstream URL, headers. A Reply answers locally. */
    request: new AsyncSeriesBailHook<[Exchange], Reply | undefined>(['exchange']),
    /** Before the first attempt, and before a replay that asks for fresh credentials. The first credential wins. */
    authorize: new AsyncSeriesBailHook<[Exchange, AuthorizeContext], Credential | undefined>(['exchange', 'context']),
    /** Before every upstream attempt, replays included: per-attempt headers such as a fresh request id. */
    attempt: new AsyncSeriesHook<[Exchange]>(['exchange']),

    // ----- upstream -----
    /** When an attempt fails before a response head (refused, reset, timed out). Only a replay verdict counts. */
    upstreamError: new AsyncSeriesBailHook<[Exchange, GatewayError], Verdict | undefined>(['exchange', 'error']),
    /** After each upstream response head. A verdict replays, replies or fails; nothing lets it through. */
    upstreamResponse: new AsyncSeriesBailHook<[Exchange, UpstreamResponse], Verdict | undefined>(['exchange', 'response']),

    // ----- stream to Codex -----
    /** When an event stream to Codex opens: events to send before any upstream event. */
    streamOpen: new SyncWaterfallHook<[StreamEvent[], Exchange]>(['events', 'exchange']),
    /** Once per upstream SSE event: return the events to send ([] drops, more adds). */
    streamChunk: new SyncWaterfallHook<[StreamEvent[], Exchange]>(['events', 'exchange']),
    /** When nothing was sent for `keepAlive.intervalMs`: events that keep Codex's idle timer alive. */
    streamIdle: new SyncWaterfallHook<[StreamEvent[], Exchange]>(['events', 'exchange']),
    /** When the event stream ends, cleanly or not: the final events (e.g. the terminal event). */
    streamClose: new SyncWaterfallHook<[StreamEvent[], Exchange, StreamOutcome]>(['events', 'exchange', 'outcome']),
    /** Observes each chunk of bytes written to Codex; cannot change them. */
    responseBytes: new SyncHook<[Buffer, Exchange]>(['chunk', 'exchange']),

    // ----- end -----
    /** Once, when the answer to Codex is finished (or abandoned). Observers only. */
    exchangeEnd: new SyncHook<[Exchange, ExchangeSummary]>(['exchange', 'summary']),
  };
  for (const [name, hook] of Object.entries(hooks)) wrapTapErrors(name, hook as unknown as InterceptableHook);
  return Object.freeze(hooks);
}

export type Hooks = ReturnType<typeof createHooks>;
export type HookName = keyof Hooks;

/**
 * Whether anyone tapped a hook. tapable's own `isUsed()` also counts interceptors, and every hook carries the
 * error-wrapping interceptor, so it would always say yes.
 */
export function hasTaps(hook: { taps: readonly unknown[] }): boolean {
  return hook.taps.length > 0;
}

/** Hooks whose taps transform the stream to Codex; when none is used, upstream bytes are piped untouched. */
export const streamHookNames = ['streamOpen', 'streamChunk', 'streamIdle', 'streamClose'] as const satisfies readonly HookName[];

interface RegisteredTap {
  name: string;
  type: 'sync' | 'async' | 'promise';
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- tapable's own type for tap functions
  fn: Function;
}

interface InterceptableHook {
  intercept(interceptor: { register?: (tap: RegisteredTap) => RegisteredTap }): void;
}

/** Whatever a tap throws surfaces as a PluginError naming the plugin (the tap name) and the hook. */
function wrapTapErrors(hookName: string, hook: InterceptableHook): void {
  hook.intercept({
    register(tap) {
      const fn = tap.fn as (...args: unknown[]) => unknown;
      const plugin = tap.name;
      const wrap = (err: unknown) => (err instanceof PluginError ? err : new PluginError(plugin, hookName, err));
      if (tap.type === 'promise') {
        const rethrow = (err: unknown) => {
          throw wrap(err);
        };
        return {
          ...tap,
          // One extra promise per call, not three: these run several times per request.
          fn: (...args: unknown[]) => {
            let result: unknown;
            try {
              result = fn(...args);
            } catch (err) {
              return Promise.reject(wrap(err));
            }
            return Promise.resolve(result).then(undefined, rethrow);
          },
        };
      }
      if (tap.type === 'async') {
        return {
          ...tap,
          fn: (...args: unknown[]) => {
            const cb = args.pop() as (err?: unknown, result?: unknown) => void;
            fn(...args, (err?: unknown, result?: unknown) => cb(err ? wrap(err) : err, result));
          },
        };
      }
      return {
        ...tap,
        fn: (...args: unknown[]) => {
          try {
            return fn(...args);
          } catch (err) {
            throw wrap(err);
          }
        },
      };
    },
  });
}
