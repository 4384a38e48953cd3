import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin, type ExchangeSummary, type ReplayInfo } from '../../index.js';
import { sendJson, sendSse, responsesTextStream, startMockUpstream, type MockHandler, type MockUpstream } from '../../../test/support/mock-upstream.js';
import { startRouter } from '../../../test/support/router.js';
import retry429, { type Retry429Options } from './index.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const FAST: Partial<Retry429Options> = { maxSleepMs: 5, minSleepMs: 1, initialBackoffMs: 1, maxTotalWaitMs: 5_000 };
const BODY = '{"model":"gpt-5.1-codex","input":[{"type":"message","role":"user","content":"hi"}],"stream":true}';

/** Points the chain at the mock and records what the kernel did on each attempt and at the end. */
function harness(mock: MockUpstream) {
  const replays: (ReplayInfo | undefined)[] = [];
  let ended!: (summary: ExchangeSummary) => void;
  const end = new Promise<ExchangeSummary>((resolve) => (ended = resolve));
  const plugin = definePlugin({
    name: 'test-harness',
    apply({ hooks }) {
      hooks.request.tapPromise('test-harness', async (ex) => {
        ex.upstream.url = new URL('/responses', mock.url);
        return undefined;
      });
      hooks.attempt.tap('test-harness', (ex) => void replays.push(ex.replay));
      hooks.exchangeEnd.tap('test-harness', (_ex, summary) => ended(summary));
    },
  });
  return { plugin, replays, end };
}

async function setup(handler: MockHandler, options: Partial<Retry429Options> = {}, env: Record<string, string> = {}) {
  const mock = await startMockUpstream(handler);
  cleanup.push(() => mock.close());
  const h = harness(mock);
  const gw = await startRouter({ plugins: [h.plugin, [retry429, { ...FAST, ...options }]] }, { env });
  cleanup.push(() => gw.close());
  const post = (init: RequestInit = {}) => fetch(`${gw.url}/v1/responses`, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' }, ...init });
  return { mock, gw, post, ...h };
}

/** 429 with `headers` for the first `times` requests, then a streamed answer. */
function limitedThenOk(headers: Record<string, string>, times = 1, body: unknown = { error: { code: 'rate_limited', message: 'slow down' } }): MockHandler {
  return (_req, res, index) => (index < times ? sendJson(res, 429, body, headers) : sendSse(res, responsesTextStream('ok after retry')));
}

describe('retry-429: wait sources', () => {
  const now = Date.now();
  it.each([
    ['retry-after seconds', { 'retry-after': '2' }, 'retry-after 2000 ms'],
    ['retry-after HTTP date', { 'retry-after': new Date(now + 30_000).toUTCString() }, 'retry-after'],
    ['retry-after-ms', { 'retry-after-ms': '1500' }, 'retry-after-ms 1500 ms'],
    ['x-ratelimit-reset (epoch s)', { 'x-ratelimit-reset': String(Math.floor(now / 1000) + 60) }, 'x-ratelimit-reset'],
    ['x-ratelimit-reset-ms (epoch ms)', { 'x-ratelimit-reset-ms': String(now + 45_000) }, 'x-ratelimit-reset-ms'],
    ['no header (backoff)', {}, 'backoff'],
    ['a past HTTP date falls through to retry-after-ms', { 'retry-after': new Date(now - 60_000).toUTCString(), 'retry-after-ms': '700' }, 'retry-after-ms 700 ms'],
    ['retry-after wins over x-ratelimit-reset', { 'retry-after': '3', 'x-ratelimit-reset': String(Math.floor(now / 1000) + 60) }, 'retry-after 3000 ms'],
  ])('%s: retries once with the same body bytes and Codex gets the answer', async (_name, headers, reason) => {
    // A budget above the announced waits: the sleep itself is capped by maxSleepMs.
    const { mock, post, replays } = await setup(limitedThenOk(headers), { maxTotalWaitMs: 120_000 });
    const res = await post();
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('ok after retry');
    expect(mock.requests).toHaveLength(2);
    expect(mock.requests[1]!.body.equals(mock.requests[0]!.body)).toBe(true);
    expect(mock.requests[0]!.body.toString()).toBe(BODY);
    expect(replays[1]?.reason).toContain(reason);
    expect(replays[1]!.afterMs).toBeLessThanOrEqual(5);
  });

  it('takes its caps from the original environment variables', async () => {
    const { post, replays } = await setup(limitedThenOk({ 'retry-after': '1' }), { maxSleepMs: undefined }, { RATE_LIMIT_MAX_SLEEP_MS: '3' });
    expect((await post()).status).toBe(200);
    expect(replays[1]!.afterMs).toBe(3);
  });
});

describe('retry-429: limits', () => {
  it('never turns retry-after: 0 into a tight loop: each sleep has a floor', async () => {
    const { post, replays } = await setup(limitedThenOk({ 'retry-after': '0' }, 2), { minSleepMs: 20, maxSleepMs: 1000 });
    expect((await post()).status).toBe(200);
    expect(replays.slice(1).map((r) => r?.afterMs)).toEqual([20, 20]);
  });

  it('caps attempts even with no time budget, then passes the 429 on', async () => {
    const { mock, post } = await setup((_req, res) => sendJson(res, 429, 'still limited', { 'retry-after': '0' }), { maxTotalWaitMs: 0, maxRetries: 2 });
    const res = await post();
    expect(res.status).toBe(429);
    expect(await res.text()).toBe('still limited');
    expect(mock.requests).toHaveLength(3);
  });

  it('does not start a wait that ends past the budget, and gives Codex a retry-after in seconds', async () => {
    const { mock, post, replays } = await setup((_req, res) => sendJson(res, 429, 'still limited', { 'retry-after-ms': '4500' }), { maxTotalWaitMs: 1000, maxSleepMs: 60_000 });
    const res = await post();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.text()).toBe('still limited');
    expect(mock.requests).toHaveLength(1);
    expect(replays).toEqual([undefined]);
  });

  it('counts every sleep against the budget', async () => {
    const { mock, post } = await setup((_req, res) => sendJson(res, 429, 'still limited', { 'retry-after': '0' }), { maxTotalWaitMs: 500, minSleepMs: 200, maxSleepMs: 200, maxRetries: 10 });
    expect((await post()).status).toBe(429);
    expect(mock.requests).toHaveLength(3);
  });

  it('cancels the wait and the retry when Codex disconnects', async () => {
    const { mock, post, end } = await setup((_req, res) => sendJson(res, 429, 'limited', { 'retry-after': '5' }), { maxSleepMs: 10_000, maxTotalWaitMs: 60_000 });
    const controller = new AbortController();
    const pending = post({ signal: controller.signal }).catch((err: unknown) => err);
    while (mock.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    const summary = await end;
    expect(summary.outcome).toBe('aborted');
    expect(summary.attempts).toBe(1);
    expect(mock.requests).toHaveLength(1);
    await pending;
  });

  it('leaves other statuses alone', async () => {
    const { mock, post } = await setup((_req, res) => sendJson(res, 503, { error: { message: 'down' } }, { 'retry-after': '0' }));
    expect((await post()).status).toBe(503);
    expect(mock.requests).toHaveLength(1);
  });

  it('retries 502/503/504 when asked, with the same bytes', async () => {
    const { mock, post } = await setup((_req, res, i) => (i < 2 ? sendJson(res, i === 0 ? 503 : 502, 'down') : sendSse(res, responsesTextStream('back'))), { retryServerErrors: true });
    const res = await post();
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('back');
    expect(mock.requests.map((r) => r.body.toString())).toEqual([BODY, BODY, BODY]);
  });

  it('retries a connection reset before the response head when asked', async () => {
    const { mock, post } = await setup((_req, res, i) => (i === 0 ? void res.socket?.destroy() : sendSse(res, responsesTextStream('after reset'))), { retryServerErrors: true });
    const res = await post();
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('after reset');
    expect(mock.requests.map((r) => r.body.toString())).toEqual([BODY, BODY]);
  });

  it('leaves a connection reset to Codex by default (502 upstream_unreachable)', async () => {
    const { mock, post } = await setup((_req, res) => void res.socket?.destroy());
    const res = await post();
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_unreachable');
    expect(mock.requests).toHaveLength(1);
  });
});

describe('retry-429: exhausted quota stops Codex', () => {
  async function stopped(handler: MockHandler) {
    const { mock, post } = await setup(handler, { maxTotalWaitMs: 0 });
    const res = await post();
    const text = await res.text();
    // insufficient_quota goes in-stream (response.failed), usage_limit_reached as an HTTP 429.
    const failed = /^data: (\{"type":"response\.failed".*)$/m.exec(text)?.[1];
    const error = (failed ? (JSON.parse(failed) as { response: { error: Record<string, unknown> } }).response.error : (JSON.parse(text) as { error: Record<string, unknown> }).error);
    return { status: res.status, error, calls: mock.requests.length };
  }

  it('maps a 402 with a reset date to usage_limit_reached with resets_at', async () => {
    const reset = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000);
    const out = await stopped((_req, res) => sendJson(res, 402, { error: { code: 'quota_exceeded', message: 'You have exceeded your premium request allowance.' } }, { 'retry-after': reset.toUTCString() }));
    expect(out).toMatchObject({ status: 429, calls: 1, error: { type: 'usage_limit_reached', code: 'quota_exceeded' } });
    expect(Math.abs((out.error.resets_at as number) - reset.getTime() / 1000)).toBeLessThanOrEqual(1);
    expect(out.error.message).toContain('premium request allowance');
  });

  it('maps a weekly-window 429 code (with a suffix) to usage_limit_reached', async () => {
    const out = await stopped((_req, res) => sendJson(res, 429, { error: { code: 'user_weekly_rate_limited:enterprise', message: 'weekly limit' } }, { 'retry-after': '0' }));
    expect(out).toMatchObject({ status: 429, calls: 1, error: { type: 'usage_limit_reached' } });
  });

  it('treats a retry-after far beyond any budget as an exhausted window', async () => {
    const out = await stopped((_req, res) => sendJson(res, 429, { error: { code: 'rate_limited', message: 'later' } }, { 'retry-after': '7200' }));
    expect(out).toMatchObject({ status: 429, calls: 1, error: { type: 'usage_limit_reached', code: 'rate_limited' } });
    expect(Math.abs((out.error.resets_at as number) - (Date.now() / 1000 + 7200))).toBeLessThan(5);
  });

  it('reads Copilot’s x-ratelimit-exceeded bucket header', async () => {
    const out = await stopped((_req, res) => sendJson(res, 429, 'limited', { 'x-ratelimit-exceeded': 'quota_exceeded' }));
    expect(out).toMatchObject({ status: 429, calls: 1, error: { type: 'usage_limit_reached' } });
  });

  it('maps billing problems to insufficient_quota', async () => {
    const out = await stopped((_req, res) => sendJson(res, 402, { error: { code: 'billing_not_configured', message: 'Set up billing' } }));
    expect(out).toMatchObject({ status: 200, calls: 1, error: { code: 'insufficient_quota' } });
  });

  it('stops Codex with insufficient_quota when an early-committed event stream is already open', async () => {
    const mock = await startMockUpstream(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 100));
      sendJson(res, 402, { error: { code: 'quota_exceeded', message: 'no more' } });
    });
    cleanup.push(() => mock.close());
    const early = definePlugin({
      name: 'test-early-commit',
      apply({ hooks }) {
        hooks.request.tapPromise('test-early-commit', async (ex) => {
          ex.upstream.url = new URL('/responses', mock.url);
          ex.keepAlive = { commitAfterMs: 10, intervalMs: 10_000 };
          return undefined;
        });
        hooks.streamChunk.tap('test-early-commit', (events) => events);
      },
    });
    const gw = await startRouter({ plugins: [early, [retry429, FAST]] });
    cleanup.push(() => gw.close());
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: BODY });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('response.failed');
    expect(text).toContain('"code":"insufficient_quota"');
    expect(mock.requests).toHaveLength(1);
  });

  it('still retries a short throttle', async () => {
    const { mock, post } = await setup(limitedThenOk({ 'retry-after': '1' }, 1, { error: { code: 'user_model_rate_limited', message: 'slow down' } }));
    expect((await post()).status).toBe(200);
    expect(mock.requests).toHaveLength(2);
  });
});
