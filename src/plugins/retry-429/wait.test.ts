import { describe, expect, it } from 'vitest';
import { announcedWait, backoffMs, planRetry } from './wait.js';

const options = { maxTotalWaitMs: 10, maxSleepMs: 60_000, minSleepMs: 0, initialBackoffMs: 1000, backoffMultiplier: 2, maxRetries: 4 };

describe('planRetry', () => {
  it('gives up when spent time plus the next wait passes the budget', () => {
    const ms = (n: number) => ({ ms: n, source: 'retry-after' as const });
    expect(planRetry({ announced: ms(2), retries: 0, spentMs: 9, options }).action).toBe('give-up');
    expect(planRetry({ announced: ms(1), retries: 0, spentMs: 9, options }).action).toBe('retry');
    expect(planRetry({ announced: ms(10_000), retries: 0, spentMs: 9, options: { ...options, maxTotalWaitMs: 0 } }).action).toBe('retry');
  });

  it('applies the floor, then the cap, and reports clamping', () => {
    expect(planRetry({ announced: { ms: 0, source: 'retry-after' }, retries: 0, spentMs: 0, options: { ...options, maxTotalWaitMs: 0, minSleepMs: 250 } })).toMatchObject({ action: 'retry', sleepMs: 250, clamped: false });
    expect(planRetry({ announced: { ms: 90_000, source: 'retry-after' }, retries: 0, spentMs: 0, options: { ...options, maxTotalWaitMs: 0 } })).toMatchObject({ action: 'retry', sleepMs: 60_000, rawWaitMs: 90_000, clamped: true });
  });

  it('stops at the attempt cap even without a time budget', () => {
    expect(planRetry({ announced: undefined, retries: 4, spentMs: 0, options: { ...options, maxTotalWaitMs: 0 } })).toMatchObject({ action: 'give-up', why: 'attempts' });
  });
});

describe('backoff and headers', () => {
  it('jitters within [0.5, 1.5] of the exponential step and never below 1 ms', () => {
    expect(backoffMs(0, 1000, 2, () => 0)).toBe(500);
    expect(backoffMs(2, 1000, 2, () => 0.999)).toBe(5996);
    expect(backoffMs(0, 1, 1, () => 0)).toBe(1);
  });

  it('ignores unparsable values and past epochs', () => {
    const now = 1_700_000_000_000;
    expect(announcedWait({ 'retry-after': 'soon', 'x-ratelimit-reset': String(now / 1000 - 5) }, now)).toBeUndefined();
    expect(announcedWait({ 'x-ratelimit-user-retry-after': '12' }, now)).toEqual({ ms: 12_000, source: 'x-ratelimit-user-retry-after' });
  });
});
