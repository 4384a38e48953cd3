import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import type { Logger } from 'pino';
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
 * The option that makes a tap an observer: `hooks.request.tap({ name, stage, observer: true }, fn)`. An observer only
 * watches (diagnostics, metrics): what it throws is logged and the request goes on, and what it returns is ignored.
 * Every tap on `responseBytes` and `exchangeEnd` is one.
 */
export interface ObserverOption {
  observer?: boolean;
}

/** Hooks whose every tap is an observer: they exist to watch. */
const OBSERVER_HOOKS: ReadonlySet<string> = new Set(['responseBytes', 'exchangeEnd']);

/**
 * Every hook of a chain, created fresh per chain. This is the only place hooks exist.
 * The key is the hook's one name in code, logs, errors and docs (`docs/hooks.md`). `log` receives what observer taps
 * throw.
 */
export function createHooks(log: Logger) {
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
    requestHead: new AsyncSeriesBailHook<[InboundHead], Reply | undefined, ObserverOption>(['head']),
    /** Once per exchange, before the first attempt: body rewrites, upstream URL, headers. A Reply answers locally. */
    request: new AsyncSeriesBailHook<[Exchange], Reply | undefined, ObserverOption>(['exchange']),
    /** Before the first attempt, and before a replay that asks for fresh credentials. The first credential wins. */
    authorize: new AsyncSeriesBailHook<[Exchange, AuthorizeContext], Credential | undefined, ObserverOption>(['exchange', 'context']),
    /** Before every upstream attempt, replays included: per-attempt headers such as a fresh request id. */
    attempt: new AsyncSeriesHook<[Exchange], ObserverOption>(['exchange']),

    // ----- upstream -----
    /** When an attempt fails before a response head (refused, reset, timed out). Only a replay verdict counts. */
    upstreamError: new AsyncSeriesBailHook<[Exchange, GatewayError], Verdict | undefined, ObserverOption>(['exchange', 'error']),
    /** After each upstream response head. A verdict replays, replies or fails; nothing lets it through. */
    upstreamResponse: new AsyncSeriesBailHook<[Exchange, UpstreamResponse], Verdict | undefined, ObserverOption>(['exchange', 'response']),

    // ----- stream to Codex -----
    /** When an event stream to Codex opens: events to send before any upstream event. */
    streamOpen: new SyncWaterfallHook<[StreamEvent[], Exchange], StreamEvent[], ObserverOption>(['events', 'exchange']),
    /** Once per upstream SSE event: return the events to send ([] drops, more adds). */
    streamChunk: new SyncWaterfallHook<[StreamEvent[], Exchange], StreamEvent[], ObserverOption>(['events', 'exchange']),
    /** When nothing was sent for `keepAlive.intervalMs`: events that keep Codex's idle timer alive. */
    streamIdle: new SyncWaterfallHook<[StreamEvent[], Exchange], StreamEvent[], ObserverOption>(['events', 'exchange']),
    /** When the event stream ends, cleanly or not: the final events (e.g. the terminal event). */
    streamClose: new SyncWaterfallHook<[StreamEvent[], Exchange, StreamOutcome], StreamEvent[], ObserverOption>(['events', 'exchange', 'outcome']),
    /** Observes each chunk of bytes written to Codex; cannot change them. */
    responseBytes: new SyncHook<[Buffer, Exchange], void, ObserverOption>(['chunk', 'exchange']),

    // ----- end -----
    /** Once, when the answer to Codex is finished (or abandoned). Observers only. */
    exchangeEnd: new SyncHook<[Exchange, ExchangeSummary], void, ObserverOption>(['exchange', 'summary']),
  };
  for (const [name, hook] of Object.entries(hooks)) wrapTapErrors(name, hook as unknown as InterceptableHook, log);
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
  observer?: boolean;
  type: 'sync' | 'async' | 'promise';
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- tapable's own type for tap functions
  fn: Function;
}

interface InterceptableHook {
  intercept(interceptor: { register?: (tap: RegisteredTap) => RegisteredTap }): void;
}

/**
 * Whatever a tap throws surfaces as a PluginError naming the plugin (the tap name) and the hook; an observer's is
 * logged instead, and the call goes on as if the observer had returned nothing.
 */
function wrapTapErrors(hookName: string, hook: InterceptableHook, log: Logger): void {
  const observeAll = OBSERVER_HOOKS.has(hookName);
  hook.intercept({
    register(tap) {
      const fn = tap.fn as (...args: unknown[]) => unknown;
      const plugin = tap.name;
      const wrap = (err: unknown) => (err instanceof PluginError ? err : new PluginError(plugin, hookName, err));
      if (observeAll || tap.observer === true) return observerTap(tap, fn, (err) => log.error({ plugin, hook: hookName, err: wrap(err).message }, 'an observer tap failed; the request goes on'));
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

/** The tap of an observer: it can neither fail the call nor answer it. */
function observerTap(tap: RegisteredTap, fn: (...args: unknown[]) => unknown, report: (err: unknown) => void): RegisteredTap {
  if (tap.type === 'promise') {
    const settle = () => undefined;
    const failed = (err: unknown) => void report(err);
    return {
      ...tap,
      fn: (...args: unknown[]) => {
        try {
          return Promise.resolve(fn(...args)).then(settle, failed);
        } catch (err) {
          report(err);
          return Promise.resolve(undefined);
        }
      },
    };
  }
  if (tap.type === 'async') {
    return {
      ...tap,
      fn: (...args: unknown[]) => {
        const cb = args.pop() as (err?: unknown, result?: unknown) => void;
        try {
          fn(...args, (err?: unknown) => {
            if (err) report(err);
            cb();
          });
        } catch (err) {
          report(err);
          cb();
        }
      },
    };
  }
  return {
    ...tap,
    fn: (...args: unknown[]) => {
      try {
        fn(...args);
      } catch (err) {
        report(err);
      }
      return undefined;
    },
  };
}
