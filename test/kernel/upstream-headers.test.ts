import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/index.js';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import chatTranslator from '../../src/plugins/chat-translator/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import { responsesTextStream, sendJson, sendSse, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';

let upstream: MockUpstream;
const routers: StartedRouter[] = [];

// A user plugin that tags every upstream request in `request`, ahead of the built-ins.
const tagger = definePlugin({
  name: 'tagger',
  apply({ hooks }) {
    hooks.request.tap('tagger', (ex) => {
      ex.upstream.headers['x-team'] = 'blue';
      ex.upstream.headers['x-drop-me'] = 'soon';
      return undefined;
    });
  },
});

const remover = definePlugin({
  name: 'remover',
  apply({ hooks }) {
    hooks.request.tap('remover', (ex) => {
      delete ex.upstream.headers['x-drop-me'];
      return undefined;
    });
  },
});

const replacer = definePlugin({
  name: 'replacer',
  apply({ hooks }) {
    hooks.request.tap('replacer', (ex) => {
      (ex.upstream as { headers: Record<string, string> }).headers = { 'x-only': 'me' };
      return undefined;
    });
  },
});

beforeAll(async () => {
  upstream = await startMockUpstream(async (req, res) => {
    if (req.url.includes('/chat/completions')) return sendJson(res, 200, { id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
    return sendSse(res, responsesTextStream('hi'));
  });
});
afterAll(async () => {
  for (const r of routers) await r.close();
  await upstream.close();
});

async function post(plugins: unknown[]): Promise<Response> {
  const gw = await startRouter({ plugins: plugins as never });
  routers.push(gw);
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-not-forwarded': '1' }, body: JSON.stringify({ model: 'm', input: 'hi', stream: true }) });
  await res.text();
  return res;
}

describe('upstream headers across a chain', () => {
  it('a header set before header-injector reaches the upstream next to the Copilot headers', async () => {
    const res = await post([[copilotUpstream, { responsesUrl: `${upstream.url}/responses` }], tagger, headerInjector, [authEnvBearer, { token: 'copilot-test-token-0123456789' }]]);
    expect(res.status).toBe(200);
    const seen = upstream.requests.at(-1)!.headers;
    expect(seen['x-team']).toBe('blue');
    expect(seen['copilot-integration-id']).toBeDefined();
    expect(seen['x-initiator']).toBeDefined();
    // header-injector still keeps inbound headers off its list away from the upstream.
    expect(seen['x-not-forwarded']).toBeUndefined();
  });

  it('a later plugin removes only the header it deletes', async () => {
    await post([[copilotUpstream, { responsesUrl: `${upstream.url}/responses` }], tagger, headerInjector, remover, [authEnvBearer, { token: 'copilot-test-token-0123456789' }]]);
    const seen = upstream.requests.at(-1)!.headers;
    expect(seen['x-drop-me']).toBeUndefined();
    expect(seen['x-team']).toBe('blue');
  });

  it('a header set before a chat-translator with its own upstream survives it', async () => {
    await post([tagger, [chatTranslator, { baseUrl: `${upstream.url}/v1`, apiKey: 'sk-test-0123456789', headers: { 'X-Extra': 'x' } }]]);
    const seen = upstream.requests.at(-1)!;
    expect(seen.url).toContain('/chat/completions');
    expect(seen.headers['x-team']).toBe('blue');
    expect(seen.headers['x-extra']).toBe('x');
  });

  it('replacing the whole map is refused loudly, naming the plugin, instead of dropping headers silently', async () => {
    const before = upstream.requests.length;
    const res = await post([[copilotUpstream, { responsesUrl: `${upstream.url}/responses` }], tagger, replacer]);
    expect(res.status).toBe(500);
    expect(upstream.requests.length).toBe(before);
  });
});
