import { definePlugin, readErrorBody, type Exchange, type UpstreamResponse, type Verdict } from '../../index.js';
import { exhaustedQuota, parseErrorBody, quotaError } from './quota.js';
import { schema, type Retry429Options } from './schema.js';
import { announcedWait, planRetry, type AnnouncedWait } from './wait.js';

export type { Retry429Options } from './schema.js';

/** Per-exchange retry bookkeeping. */
interface RetryState {
  retries: number;
  sleptMs: number;
}

const STATE = Symbol('retry-429');
const SERVER_ERRORS = new Set([502, 503, 504]);

function stateOf(ex: Exchange): RetryState {
  let state = ex.state.get(STATE) as RetryState | undefined;
  if (!state) {
    state = { retries: 0, sleptMs: 0 };
    ex.state.set(STATE, state);
  }
  return state;
}

/** Codex honours `retry-after` in whole seconds only (codex-contract §3.5). */
function retryAfterForCodex(response: UpstreamResponse, announced: AnnouncedWait | undefined): void {
  if (!announced || announced.ms <= 0) return;
  const current = response.headers['retry-after'];
  if (typeof current === 'string' && /^\d+$/.test(current.trim())) return;
  response.headers['retry-after'] = String(Math.max(1, Math.ceil(announced.ms / 1000)));
}

/**
 * Retries a 429 (and, when asked, a 502/503/504) before any byte reached Codex, replaying the same body; stops
 * Codex with a clear quota error when the upstream says the quota or a long window is exhausted.
 */
export default definePlugin<Retry429Options>({
  name: 'retry-429',
  schema,
  env: {
    maxTotalWaitMs: 'RATE_LIMIT_MAX_TOTAL_WAIT_MS',
    maxSleepMs: 'RATE_LIMIT_MAX_SLEEP_MS',
    initialBackoffMs: 'RATE_LIMIT_INITIAL_BACKOFF_MS',
    backoffMultiplier: 'RATE_LIMIT_BACKOFF_MULTIPLIER',
  },
  apply({ hooks }, options) {
    if (options.retryServerErrors) {
      // Refused or reset before any head: the same budget and backoff as a 5xx answer.
      hooks.upstreamError.tapPromise('retry-429', async (ex, error): Promise<Verdict | undefined> => {
        if (error.code !== 'upstream_unreachable') return undefined;
        const state = stateOf(ex);
        const plan = planRetry({ announced: undefined, retries: state.retries, spentMs: Date.now() - ex.startedAt, options });
        if (plan.action === 'give-up') return undefined;
        state.retries += 1;
        state.sleptMs += plan.sleepMs;
        ex.log.warn({ attempt: ex.attempt, waitMs: plan.sleepMs, error: error.message }, 'upstream connection failed; retrying');
        return { replay: { afterMs: plan.sleepMs, reason: `connection failed; backoff ${plan.rawWaitMs} ms` } };
      });
    }
    hooks.upstreamResponse.tapPromise('retry-429', async (ex, response): Promise<Verdict | undefined> => {
      const { status } = response;
      const throttled = status === 429 || status === 402;
      if (!throttled && !(options.retryServerErrors && SERVER_ERRORS.has(status))) return undefined;
      const now = Date.now();
      const announced = announcedWait(response.headers, now);
      const state = stateOf(ex);

      if (throttled) {
        const info = parseErrorBody(await readErrorBody(response));
        const why = exhaustedQuota({ status, headers: response.headers, info, announced, quotaCodes: options.quotaCodes, longWaitMs: options.longWaitMs });
        if (why) {
          ex.log.warn({ upstreamStatus: status, reason: why, upstreamCode: info.code, waitMs: announced?.ms, attempt: ex.attempt }, 'upstream quota exhausted; telling Codex to stop');
          return { fail: quotaError({ info, announced, why, now, status, streamStarted: ex.headersSent }) };
        }
      }

      const plan = planRetry({ announced, retries: state.retries, spentMs: now - ex.startedAt, options });
      const fields = { upstreamStatus: status, attempt: ex.attempt, waitSource: plan.source, rawWaitMs: plan.rawWaitMs, totalSleptMs: state.sleptMs, budgetMs: options.maxTotalWaitMs || null };
      if (plan.action === 'give-up') {
        ex.log.warn({ ...fields, why: plan.why, retries: state.retries }, `retry ${plan.why === 'budget' ? 'budget' : 'attempt cap'} reached; returning upstream ${status}`);
        retryAfterForCodex(response, announced);
        return undefined;
      }
      state.retries += 1;
      state.sleptMs += plan.sleepMs;
      ex.log.warn({ ...fields, waitMs: plan.sleepMs, clamped: plan.clamped }, `upstream ${status}; retrying`);
      return { replay: { afterMs: plan.sleepMs, reason: `upstream ${status}; ${plan.source} ${plan.rawWaitMs} ms` } };
    });
  },
});
