import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import metrics from '../../src/plugins/metrics/index.js';
import { responsesTextStream, sendSse, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { upstreamTo } from '../support/upstream-plugin.js';

// The request names the model: a client must not be able to make every /metrics scrape huge.

let upstream: MockUpstream;
let gw: StartedRouter;

beforeAll(async () => {
  upstream = await startMockUpstream((_req, res) => sendSse(res, responsesTextStream('ok')));
  gw = await startRouter({ plugins: [upstreamTo(upstream), [metrics, { maxModels: 3 }]] });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

const turn = async (model: string) => {
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, input: 'hi', stream: true }) });
  await res.text();
  return res.status;
};

describe('metrics model labels', () => {
  it('counts overlong and malformed names as other, without using up a slot', async () => {
    for (let i = 0; i < 5; i++) expect(await turn(`${String(i)}${'m'.repeat(1024 * 1024)}`)).toBe(200);
    expect(await turn('x'.repeat(129))).toBe(200);
    expect(await turn('bad"name\nccrx_fake_metric 1')).toBe(200);
    expect(await turn('gpt-5.1-codex')).toBe(200);
    expect(await turn('accounts/fireworks/models/llama-v3p1-405b-instruct')).toBe(200);
    expect(await turn(`a${'b'.repeat(127)}`)).toBe(200);

    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text.length).toBeLessThan(64 * 1024);
    expect(text).toContain('ccrx_requests_total{provider="default",route="responses",model="other",status="200",outcome="completed"} 7');
    expect(text).toContain('model="gpt-5.1-codex"');
    expect(text).toContain('model="accounts/fireworks/models/llama-v3p1-405b-instruct"');
    expect(text).toContain(`model="a${'b'.repeat(127)}"`);
    expect(text).not.toContain('ccrx_fake_metric');
  });
});
