import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import metrics, { CompletedScanner } from '../../src/plugins/metrics/index.js';
import retry429 from '../../src/plugins/retry-429/index.js';
import { responsesTextStream, sendJson, sendSse, sseText, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';

let upstream: MockUpstream;
let gw: StartedRouter;

beforeAll(async () => {
  upstream = await startMockUpstream((req, res, i) => {
    const body = req.json() as { model: string };
    if (body.model === 'flaky' && i % 2 === 0) return sendJson(res, 429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '0' });
    const events = responsesTextStream('text that mentions response.completed on purpose');
    (events.at(-1) as { response: { usage: object } }).response.usage = { input_tokens: 120, input_tokens_details: { cached_tokens: 100 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 10 }, total_tokens: 150 };
    return sendSse(res, events);
  });
  gw = await startRouter({
    plugins: [[copilotUpstream, { responsesUrl: `${upstream.url}/responses` }], headerInjector, [authEnvBearer, { token: 'copilot-test-token-0123456789' }], [retry429, { initialBackoffMs: 1, minSleepMs: 0 }], metrics],
  });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

const turn = async (model: string, input: unknown) => {
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, input, stream: true }) });
  return { status: res.status, text: await res.text() };
};

describe('metrics plugin', () => {
  it('counts requests, tokens, retries and premium vs agent requests on /metrics', async () => {
    expect((await turn('gpt-5.1-codex', [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }])).status).toBe(200);
    expect((await turn('gpt-5.1-codex', [{ type: 'function_call_output', call_id: 'c1', output: 'done' }])).status).toBe(200);
    const flaky = await turn('flaky', 'hi');
    expect(flaky.status).toBe(200);
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('ccrx_requests_total{provider="default",route="responses",model="gpt-5.1-codex",status="200",outcome="completed"} 2');
    expect(text).toContain('ccrx_tokens_total{provider="default",model="gpt-5.1-codex",type="input"} 240');
    expect(text).toContain('ccrx_tokens_total{provider="default",model="gpt-5.1-codex",type="output"} 60');
    expect(text).toContain('ccrx_tokens_total{provider="default",model="gpt-5.1-codex",type="cached"} 200');
    expect(text).toContain('ccrx_tokens_total{provider="default",model="gpt-5.1-codex",type="reasoning"} 20');
    expect(text).toContain('ccrx_copilot_requests_total{provider="default",model="gpt-5.1-codex",initiator="user"} 1');
    expect(text).toContain('ccrx_copilot_requests_total{provider="default",model="gpt-5.1-codex",initiator="agent"} 1');
    expect(text).toContain('ccrx_retries_total{provider="default",model="flaky"} 1');
    expect(text).toMatch(/ccrx_upstream_response_seconds_count\{provider="default",status="429"\} 1/);
    expect(text).toMatch(/ccrx_time_to_first_byte_seconds_count\{provider="default",route="responses",model="gpt-5.1-codex"\} 2/);
  });
});

describe('CompletedScanner', () => {
  const stream = () => Buffer.from(sseText(responsesTextStream('say response.completed please')));

  it('finds usage whatever the chunking, once', () => {
    const bytes = stream();
    for (const size of [1, 2, 7, 64, bytes.length]) {
      const scanner = new CompletedScanner();
      for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size));
      expect(scanner.usage, `chunk size ${size}`).toEqual({ input: 5, output: 2, cached: 0, reasoning: 0 });
    }
  });

  it('handles CRLF framing and ignores a stream without the completed event', () => {
    const crlf = new CompletedScanner();
    crlf.push(Buffer.from(stream().toString().replace(/\n/g, '\r\n')));
    expect(crlf.usage?.input).toBe(5);
    const cut = new CompletedScanner();
    cut.push(Buffer.from(sseText(responsesTextStream('x').slice(0, -1))));
    expect(cut.usage).toBeUndefined();
  });
});
