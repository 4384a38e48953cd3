import { describe, expect, it } from 'vitest';
import { startMockUpstream, sendJson } from '../support/mock-upstream.js';
import { startRouter } from '../support/router.js';
import { onCleanup } from './helpers.js';

describe('the built-in default chain', () => {
  it('pipes a Copilot stream to Codex byte for byte (its on-demand stream plugins stay out of the way)', async () => {
    // `data:` without a space and a comment line: a parse and re-serialization would change these bytes.
    const raw = ': keep\ndata:{"type":"response.created","response":{"id":"r"}}\n\ndata:{"type":"response.completed","response":{"id":"r"}}\n\n';
    const copilot = await startMockUpstream((req, res) => {
      if (req.url.startsWith('/models')) return sendJson(res, 200, { data: [{ id: 'gpt-5.1-codex', supported_endpoints: ['/responses'], capabilities: { type: 'chat' } }] });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(raw);
    });
    onCleanup(() => copilot.close());
    const env = {
      COPILOT_BEARER_TOKEN: 'tok-default-chain-0123456789',
      COPILOT_RESPONSES_URL: `${copilot.url}/responses`,
      COPILOT_MODELS_URL: `${copilot.url}/models`,
      COPILOT_QUOTA_URL: `${copilot.url}/quota`,
      COPILOT_TOKEN_FILE: '/nonexistent/ccrx-test-tokens.json',
    };
    const gw = await startRouter({}, { env });
    onCleanup(() => gw.close());
    const body = JSON.stringify({ model: 'gpt-5.1-codex', stream: true, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] });
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(raw);
    const sent = copilot.requests.find((r) => r.url === '/responses')!;
    expect(sent.body.toString()).toBe(body);
    expect(sent.headers.authorization).toBe('Bearer tok-default-chain-0123456789');
    expect(sent.headers['x-initiator']).toBe('user');
  });
});
