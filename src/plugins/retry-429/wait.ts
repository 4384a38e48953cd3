import { headerValue, retryAfter, type ResponseHeaders } from '../../index.js';

/** Where a wait came from, for logs and diagnostics. */
export type WaitSource = 'retry-after' | 'retry-after-ms' | 'x-ratelimit-reset' | 'x-ratelimit-reset-ms' | 'x-ratelimit-user-retry-after' | 'backoff';

export interface AnnouncedWait {
  ms: number;
  source: Exclude<WaitSource, 'backoff'>;
}

const SECONDS = /^\d+(\.\d+)?$/;

/**
 * The wait the upstream announces, first match wins: `retry-after` (seconds or HTTP date), `retry-after-ms`,
 * `x-ratelimit-reset` (epoch s), `x-ratelimit-reset-ms` (epoch ms), then Copilot's `x-ratelimit-user-retry-after`
 * (seconds). A time in the past, or a value that does not parse, falls through to the next header.
 */
export function announcedWait(headers: ResponseHeaders, now: number): AnnouncedWait | undefined {
  const announced = retryAfter(headers, now);
  if (announced) return announced;
  const reset = headerValue(headers, 'x-ratelimit-reset');
  if (reset !== undefined && SECONDS.test(reset) && Number(reset) * 1000 > now) return { ms: Math.round(Number(reset) * 1000 - now), source: 'x-ratelimit-reset' };
  const resetMs = headerValue(headers, 'x-ratelimit-reset-ms');
  if (resetMs !== undefined && SECONDS.test(resetMs) && Number(resetMs) > now) return { ms: Math.round(Number(resetMs) - now), source: 'x-ratelimit-reset-ms' };
  const userRetry = headerValue(headers, 'x-ratelimit-user-retry-after');
  if (userRetry !== undefined && SECONDS.test(userRetry)) return { ms: Math.round(Number(userRetry) * 1000), source: 'x-ratelimit-user-retry-after' };
  return undefined;
}

/** `initial × multiplier^retry × jitter`, jitter uniform in [0.5, 1.5], whole ms, at least 1. */
export function backoffMs(retry: number, initialMs: number, multiplier: number, random: () => number = Math.random): number {
  const jitter = 0.5 + random();
  return Math.max(1, Math.round(initialMs * multiplier ** retry * jitter));
}

export interface RetryPlanInput {
  announced: AnnouncedWait | undefined;
  /** Retries this plugin already made for the exchange. */
  retries: number;
  /** Time already spent on the exchange (ms). */
  spentMs: number;
  options: { maxTotalWaitMs: number; maxSleepMs: number; minSleepMs: number; initialBackoffMs: number; backoffMultiplier: number; maxRetries: number };
  random?: () => number;
}

export type RetryPlan =
  | { action: 'retry'; sleepMs: number; rawWaitMs: number; source: WaitSource; clamped: boolean }
  | { action: 'give-up'; why: 'attempts' | 'budget'; rawWaitMs: number; source: WaitSource };

/**
 * Whether to sleep and retry. The sleep is the announced wait (or a backoff) raised to `minSleepMs` and capped by
 * `maxSleepMs`. A wait that would end past the budget is not started at all: sleeping into a certain 429 only
 * delays the answer.
 */
export function planRetry(input: RetryPlanInput): RetryPlan {
  const { options: o } = input;
  const source: WaitSource = input.announced?.source ?? 'backoff';
  const rawWaitMs = input.announced?.ms ?? backoffMs(input.retries, o.initialBackoffMs, o.backoffMultiplier, input.random);
  if (input.retries >= o.maxRetries) return { action: 'give-up', why: 'attempts', rawWaitMs, source };
  const floored = Math.max(rawWaitMs, o.minSleepMs);
  const sleepMs = Math.min(floored, o.maxSleepMs);
  if (o.maxTotalWaitMs > 0 && input.spentMs + floored > o.maxTotalWaitMs) {
    return { action: 'give-up', why: 'budget', rawWaitMs, source };
  }
  return { action: 'retry', sleepMs, rawWaitMs, source, clamped: sleepMs !== floored };
}
