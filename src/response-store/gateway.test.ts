import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chatStream, startMockChat, type MockChat } from '../../test/support/mock-chat.js';
import { startRouter, type StartedRouter } from '../../test/support/router.js';
import { tempDir } from '../testing/temp.js';
import type { RouterConfig } from '../core/types.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(o: { state?: string; store?: RouterConfig['responseStore']; logLevel?: string; lines?: string[] } = {}): Promise<{ chat: MockChat; gw: StartedRouter; state: string }> {
  const chat = await startMockChat({ respond: () => chatStream({ reasoning: ['hmm'], content: ['hello there'] }) });
  cleanup.push(() => chat.close());
  const state = o.state ?? tempDir();
  const gw = await startRouter({ plugins: [['chat-translator', { baseUrl: chat.baseUrl, apiKey: 'k' }]], providers: { copilotish: { plugins: [] } }, responseStore: o.store }, { env: { CODEX_CODE_ROUTER_STATE_DIR: state } });
  cleanup.push(() => gw.close());
  return { chat, gw, state };
}

const post = (url: string, body: object) => fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', ...body }) });

describe('response store in the gateway', () => {
  it('keeps exactly the response.completed the client got, and serves it under the chain only', async () => {
    const { gw } = await setup();
    const text = await (await post(gw.url, { input: 'hi', stream: true })).text();
    const completed = text.split('\n\n').find((e) => e.startsWith('event: response.completed'))!;
    const event = JSON.parse(completed.split('\ndata: ')[1]!) as { response: { id: string } };
    const stored = await fetch(`${gw.url}/v1/responses/${event.response.id}`);
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual(event.response);
    // A chain that never asked for the store does not serve these routes.
    expect((await fetch(`${gw.url}/copilotish/v1/responses/${event.response.id}`)).status).toBe(404);
  });

  it('a corrupt file is reported at start and left alone; store:false is served, the rest refused clearly', async () => {
    const state = tempDir();
    mkdirSync(join(state, 'responses'), { recursive: true });
    const file = join(state, 'responses', 'responses.db');
    writeFileSync(file, 'garbage '.repeat(800));
    const { gw, chat } = await setup({ state });
    const ok = await post(gw.url, { input: 'hi', store: false, stream: true });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('response.completed');
    const refused = await post(gw.url, { input: 'hi' });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'response_store_unavailable', message: expect.stringContaining('not a usable database') } });
    expect(chat.requests.length).toBe(1);
    const status = (await (await fetch(`${gw.url}/_ccrx/status`)).json()) as { responseStore: { problem: string } };
    expect(status.responseStore.problem).toMatch(/not a usable database/);
    expect(readFileSync(file, 'utf8').startsWith('garbage')).toBe(true);
  });

  it('turned off: nothing kept, previous_response_id refused with a 400', async () => {
    const { gw } = await setup({ store: { enabled: false } });
    const text = await (await post(gw.url, { input: 'hi', stream: true })).text();
    const id = /"type":"response\.completed","response":\{"id":"([^"]+)"/.exec(text)![1];
    expect((await fetch(`${gw.url}/v1/responses/${id}`)).status).toBe(404);
    const chained = await post(gw.url, { input: 'again', previous_response_id: id });
    expect(chained.status).toBe(400);
    expect(await chained.json()).toMatchObject({ error: { code: 'response_store_disabled' } });
  });

  it('an unknown item_reference answers 404 without calling the provider', async () => {
    const { gw, chat } = await setup();
    const res = await post(gw.url, { input: [{ type: 'item_reference', id: 'msg_nope' }, { role: 'user', content: 'x' }] });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'item_not_found', type: 'invalid_request_error' } });
    expect(chat.requests.length).toBe(0);
  });
});
