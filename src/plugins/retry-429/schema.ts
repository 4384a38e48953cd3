/** Options of the retry-429 plugin. */
export interface Retry429Options {
  /**
   * Longest time, in ms, a request may spend in this plugin's retries, counted from when the request arrived
   * (upstream latency included). A wait that would end past it is not started: the 429 goes to Codex. 0 = no time
   * limit (the attempt cap still applies).
   * @default 60000
   */
  maxTotalWaitMs: number;
  /** Longest single sleep, in ms. @default 60000 */
  maxSleepMs: number;
  /** Shortest single sleep, in ms, so `retry-after: 0` cannot become a tight loop. @default 500 */
  minSleepMs: number;
  /** First backoff, in ms, when the upstream names no wait. @default 1000 */
  initialBackoffMs: number;
  /** Backoff growth per retry (jittered by a factor in [0.5, 1.5]). @default 2 */
  backoffMultiplier: number;
  /** Most retries per request, whatever the time budget. @default 4 */
  maxRetries: number;
  /**
   * An announced wait at least this long (ms) means a quota or a long window is exhausted: Codex is told to stop
   * (`usage_limit_reached`) instead of waiting or retrying.
   * @default 300000
   */
  longWaitMs: number;
  /**
   * Error codes (body `error.code` before any `:` suffix, or `error.type`) that mean an exhausted quota. A 402 is
   * always an exhausted quota.
   * @default ["quota_exceeded","free_quota_exceeded","overage_limit_reached","billing_not_configured","insufficient_quota","usage_limit_reached","user_weekly_rate_limited"]
   */
  quotaCodes: string[];
  /** Also retry 502, 503 and 504 answers and refused or reset connections (before any byte reached Codex), with the same budget. @default false */
  retryServerErrors: boolean;
}

const defaultQuotaCodes = [
  'quota_exceeded',
  'free_quota_exceeded',
  'overage_limit_reached',
  'billing_not_configured',
  'insufficient_quota',
  'usage_limit_reached',
  'user_weekly_rate_limited',
];

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxTotalWaitMs: { type: 'integer', minimum: 0, default: 60_000, description: 'Longest time (ms) a request may spend in 429 retries, from its arrival; 0 = no time limit (the attempt cap still applies).' },
    maxSleepMs: { type: 'integer', minimum: 1, default: 60_000, description: 'Longest single sleep (ms) between attempts.' },
    minSleepMs: { type: 'integer', minimum: 0, default: 500, description: 'Shortest single sleep (ms), so retry-after: 0 cannot become a tight loop.' },
    initialBackoffMs: { type: 'integer', minimum: 1, default: 1000, description: 'First backoff (ms) when the upstream names no wait.' },
    backoffMultiplier: { type: 'number', minimum: 1, default: 2, description: 'Backoff growth per retry (jittered by a factor in [0.5, 1.5]).' },
    maxRetries: { type: 'integer', minimum: 0, default: 4, description: 'Most retries per request, whatever the time budget.' },
    longWaitMs: { type: 'integer', minimum: 1, default: 300_000, description: 'An announced wait at least this long (ms) means an exhausted quota or window: Codex is told to stop.' },
    quotaCodes: { type: 'array', items: { type: 'string' }, default: defaultQuotaCodes, description: 'Upstream error codes or types that mean an exhausted quota (a 402 always does).' },
    retryServerErrors: { type: 'boolean', default: false, description: 'Also retry 502, 503 and 504 answers and refused or reset connections before any byte reached Codex, with the same budget.' },
  },
} as const;
