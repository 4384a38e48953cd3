import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startServe, type ServedGateway } from '../support/serve.js';

// The official OpenAI SDK → `ccrx serve` (built-in Copilot chain, no response store) → a mock Copilot that keeps
// one response: retrieve, inputItems.list and delete reach Copilot with its token, and Copilot's 404 is the SDK's.
const COPILOT_TOKEN = 'copilot-token-stored-e2e-0123456789';
const RESPONSE = { id: 'resp_kept', object: 'response', status: 'completed', model: 'gpt-5.1-codex', output: [] };
const ITEMS = { object: 'list', data: [{ id: 'msg_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], first_id: 'msg_1', last_id: 'msg_1', has_more: false };

let copilot: MockUpstream;
let gw: ServedGateway;
let dir: string;

beforeAll(async () => {
  copilot = await startMockUpstream((req, res) => {
    const path = req.url.split('?')[0]!;
    if (path === '/models') return sendJson(res, 200, { data: [{ id: 'gpt-5.1-codex', supported_endpoints: ['/responses'], capabilities: { type: 'chat' } }] });
    if (path === '/responses/resp_kept') return sendJson(res, 200, req.method === 'DELETE' ? { id: 'resp_kept', object: 'response', deleted: true } : RESPONSE);
    if (path === '/responses/resp_kept/input_items') return sendJson(res, 200, ITEMS);
    sendJson(res, 404, { error: { message: 'Response not found', type: 'invalid_request_error', param: null, code: 'not_found' } });
  });
  dir = mkdtempSync(join(tmpdir(), 'ccrx-e2e-stored-'));
  const tokenFile = join(dir, 'tokens.json');
  writeFileSync(tokenFile, JSON.stringify({ githubToken: 'gh', copilotToken: COPILOT_TOKEN, expiresAt: Math.floor(Date.now() / 1000) + 3600 }), { mode: 0o600 });
  gw = await startServe({
    env: {
      COPILOT_RESPONSES_URL: `${copilot.url}/responses`,
      COPILOT_MODELS_URL: `${copilot.url}/models`,
      COPILOT_QUOTA_URL: `${copilot.url}/quota`,
      COPILOT_TOKEN_FILE: tokenFile,
      CODEX_CODE_ROUTER_STATE_DIR: join(dir, 'state'),
    },
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await copilot?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OpenAI SDK stored-response calls on the Copilot chain', () => {
  it('retrieve, inputItems.list and delete are answered by Copilot; an unknown id throws the SDK NotFoundError', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-key', maxRetries: 0 });
    expect(await client.responses.retrieve('resp_kept')).toMatchObject(RESPONSE);
    const page = await client.responses.inputItems.list('resp_kept', { limit: 5, order: 'asc' });
    expect(page.data.map((i) => i.id)).toEqual(['msg_1']);
    await client.responses.delete('resp_kept');
    const missing = await client.responses.retrieve('resp_unknown').catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('not_found');

    const sent = copilot.requests.filter((r) => r.url.startsWith('/responses/')).map((r) => `${r.method} ${r.url}`);
    expect(sent).toEqual(['GET /responses/resp_kept', 'GET /responses/resp_kept/input_items?limit=5&order=asc', 'DELETE /responses/resp_kept', 'GET /responses/resp_unknown']);
    for (const r of copilot.requests.filter((x) => x.url.startsWith('/responses/'))) expect(r.headers.authorization).toBe(`Bearer ${COPILOT_TOKEN}`);
    expect(gw.log()).not.toContain(COPILOT_TOKEN);
  });
});
