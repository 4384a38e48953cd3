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

describe('input_items paging', () => {
  it('pages with after and before in both orders, and refuses a bad limit, order or cursor', async () => {
    const { gw } = await setup();
    const input = ['a', 'b', 'c', 'd', 'e'].map((text, i) => ({ id: `msg_${text}`, type: 'message', role: i % 2 ? 'assistant' : 'user', content: [{ type: i % 2 ? 'output_text' : 'input_text', text }] }));
    const text = await (await post(gw.url, { input, stream: true })).text();
    const id = /"type":"response\.completed","response":\{"id":"([^"]+)"/.exec(text)![1];
    const page = async (query: string) => (await (await fetch(`${gw.url}/v1/responses/${id}/input_items${query}`)).json()) as { data: { id: string }[]; first_id: string; last_id: string; has_more: boolean };
    const ids = (p: { data: { id: string }[] }) => p.data.map((i) => i.id);
    expect(ids(await page(''))).toEqual(['msg_e', 'msg_d', 'msg_c', 'msg_b', 'msg_a']);
    const first = await page('?order=asc&limit=2');
    expect(first).toMatchObject({ first_id: 'msg_a', last_id: 'msg_b', has_more: true });
    const second = await page(`?order=asc&limit=2&after=${first.last_id}`);
    expect(ids(second)).toEqual(['msg_c', 'msg_d']);
    const last = await page('?order=asc&limit=2&after=msg_d');
    expect(last).toMatchObject({ first_id: 'msg_e', last_id: 'msg_e', has_more: false });
    expect(ids(await page('?before=msg_b'))).toEqual(['msg_e', 'msg_d', 'msg_c']);
    for (const bad of ['?limit=0', '?limit=101', '?order=up', '?after=msg_zz']) {
      const res = await fetch(`${gw.url}/v1/responses/${id}/input_items${bad}`);
      expect(res.status, bad).toBe(400);
    }
    expect((await fetch(`${gw.url}/v1/responses/resp_none/input_items`)).status).toBe(404);
  });
});
