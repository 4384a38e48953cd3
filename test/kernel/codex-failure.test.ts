import { describe, expect, it } from 'vitest';
import { definePlugin, GatewayError } from '../../src/index.js';
import { sendJson } from '../support/mock-upstream.js';
import { gatewayWith } from './helpers.js';

// Final errors Codex maps reach it as an in-stream response.failed (the shape Codex 0.150 and later all read);
// the rest keeps its HTTP form. See docs/errors.md and docs/compatibility.md.
const CODEX_BODY = JSON.stringify({ model: 'gpt-5.1-codex', stream: true, input: [] });

async function post(url: string, body = CODEX_BODY) {
  const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  const failed = /^data: (\{"type":"response\.failed".*)$/m.exec(text)?.[1];
  return { status: res.status, headers: res.headers, text, error: failed ? (JSON.parse(failed) as { response: { error: Record<string, unknown> } }).response.error : undefined };
}

describe('final errors Codex maps', () => {
  it("turns an upstream's own 400 context_length_exceeded into a 200 stream ending in response.failed", async () => {
    const { gw } = await gatewayWith((_req, res) => sendJson(res, 400, { error: { message: 'prompt token count of 200000 exceeds the limit of 128000', type: 'invalid_request_error', code: 'context_length_exceeded' } }));
    const out = await post(gw.url);
    expect(out.status).toBe(200);
    expect(out.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(out.error).toEqual({ code: 'context_length_exceeded', message: 'prompt token count of 200000 exceeds the limit of 128000' });
    // What the project's translators also send: created, then the terminal event, numbered, one response id.
    const events = out.text.trim().split('\n\n').map((e) => JSON.parse(/^data: (.*)$/m.exec(e)![1]!) as { type: string; sequence_number: number; response: { id: string } });
    expect(events.map((e) => [e.type, e.sequence_number])).toEqual([['response.created', 0], ['response.failed', 1]]);
    expect(events[1]!.response.id).toBe(events[0]!.response.id);
  });

  it('keeps the wait of an upstream rate limit where Codex reads it', async () => {
    const { gw } = await gatewayWith((_req, res) => sendJson(res, 429, { error: { message: 'Too many requests.', type: 'rate_limit_error', code: 'rate_limit_exceeded' } }, { 'retry-after': '3' }));
    const out = await post(gw.url);
    expect(out.status).toBe(200);
    expect(out.headers.get('retry-after')).toBe('3');
    expect(out.error).toEqual({ code: 'rate_limit_exceeded', message: 'Too many requests. (try again in 3s)' });
  });

  it('maps a code given as the type (insufficient_quota) and keeps resets_at', async () => {
    const { gw } = await gatewayWith((_req, res) => sendJson(res, 429, { error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', code: null, resets_at: 1900000000 } }));
    expect((await post(gw.url)).error).toEqual({ code: 'insufficient_quota', message: 'You exceeded your current quota.', resets_at: 1900000000 });
  });

  it('streams a GatewayError a plugin throws before the upstream answers', async () => {
    const refuse = definePlugin({
      name: 'refuse',
      apply: ({ hooks }) =>
        void hooks.request.tapPromise('refuse', async () => {
          throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'invalid_prompt', message: 'the provider refused the request' });
        }),
    });
    const { gw, mock } = await gatewayWith((_req, res) => sendJson(res, 200, {}), [refuse]);
    const out = await post(gw.url);
    expect([out.status, out.error]).toEqual([200, { code: 'invalid_prompt', message: 'the provider refused the request' }]);
    expect(mock.requests).toHaveLength(0);
  });

  it('leaves usage_limit_reached, unmapped codes and non-streaming requests as HTTP answers, byte for byte', async () => {
    const bodies = {
      usage: '{"error":{"message":"used up","type":"usage_limit_reached","code":"quota_exceeded","resets_at":1900000000}}',
      model: '{"error":{"message":"model xyz is not supported","type":"invalid_request_error","code":"model_not_supported"}}',
      context: '{"error":{"message":"too long","type":"invalid_request_error","code":"context_length_exceeded"}}',
    };
    let next: keyof typeof bodies = 'usage';
    const { gw } = await gatewayWith((_req, res) => void res.writeHead(next === 'usage' ? 429 : 400, { 'content-type': 'application/json' }).end(bodies[next]));
    const usage = await post(gw.url);
    expect([usage.status, usage.text]).toEqual([429, bodies.usage]);
    next = 'model';
    const model = await post(gw.url);
    expect([model.status, model.text]).toEqual([400, bodies.model]);
    next = 'context';
    const plain = await post(gw.url, JSON.stringify({ model: 'm', input: [] }));
    expect([plain.status, plain.text]).toEqual([400, bodies.context]);
  });
});
