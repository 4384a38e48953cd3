import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendJson, type RecordedRequest } from '../support/mock-upstream.js';
import { startRouter } from '../support/router.js';
import { mock, nowS, onCleanup, tempDir, tokenEndpoint, writeJson } from './helpers.js';

// Copilot keeps its own responses: on the built-in chain the stored-response routes go to Copilot, with its
// credential and headers, and its answers come back as they are (spacing kept: a re-serialization would show).
const STORED = '{"id":"resp_1",  "object":"response","status":"completed"}';
const DELETED = '{"id":"resp_1","object":"response","deleted":true }';
const ITEMS = '{"object":"list","data":[{"id":"msg_1","type":"message"}],"first_id":"msg_1","last_id":"msg_1","has_more":false }';
const MISSING = '{"error":{"message":"Response with id \'resp_gone\' not found.","type":"invalid_request_error","param":null,"code":null}}';

async function builtinChain(): Promise<{ url: string; copilot: { requests: RecordedRequest[] }; tokens: { requests: RecordedRequest[] } }> {
  const file = join(await tempDir(), 'tokens.json');
  await writeJson(file, { githubToken: 'gh', copilotToken: 'stale-copilot', expiresAt: nowS() + 3600 });
  const tokens = await tokenEndpoint();
  let rejected = false;
  const copilot = await mock((req, res) => {
    const path = req.url.split('?')[0]!;
    if (path === '/models') return sendJson(res, 200, { data: [{ id: 'gpt-5.1-codex', supported_endpoints: ['/responses'], capabilities: { type: 'chat' } }] });
    if (path === '/quota') return sendJson(res, 404, {});
    // The first stored-response request meets an expired token, as Copilot answers it.
    if (!rejected && path.startsWith('/responses/')) {
      rejected = true;
      return sendJson(res, 401, { error: { message: 'token expired' } });
    }
    const raw = path === '/responses/resp_gone' ? MISSING : path.endsWith('/input_items') ? ITEMS : req.method === 'DELETE' ? DELETED : STORED;
    res.writeHead(path === '/responses/resp_gone' ? 404 : 200, { 'content-type': 'application/json' });
    res.end(raw);
  });
  const gw = await startRouter(
    {},
    {
      env: {
        COPILOT_RESPONSES_URL: `${copilot.url}/responses`,
        COPILOT_MODELS_URL: `${copilot.url}/models`,
        COPILOT_QUOTA_URL: `${copilot.url}/quota`,
        COPILOT_TOKEN_FILE: file,
        COPILOT_TOKEN_URL: tokens.url,
        CODEX_CODE_ROUTER_STATE_DIR: await tempDir(),
      },
    },
  );
  onCleanup(() => gw.close());
  return { url: gw.url, copilot, tokens };
}

const stored = (requests: RecordedRequest[]) => requests.filter((r) => r.url.startsWith('/responses/'));

describe('stored-response routes on the built-in Copilot chain', () => {
  it('GET, DELETE and input_items reach Copilot with its credential, and its answers come back unchanged', async () => {
    const { url, copilot, tokens } = await builtinChain();

    const got = await fetch(`${url}/v1/responses/resp_1`, { headers: { authorization: 'Bearer codex-key' } });
    expect(got.status).toBe(200);
    expect(await got.text()).toBe(STORED);
    const items = await fetch(`${url}/v1/responses/resp_1/input_items?limit=2&order=asc&after=msg_0`);
    expect(items.status).toBe(200);
    expect(await items.text()).toBe(ITEMS);
    const deleted = await fetch(`${url}/v1/responses/resp_1`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.text()).toBe(DELETED);

    const sent = stored(copilot.requests).map((r) => ({ method: r.method, url: r.url, authorization: r.headers.authorization }));
    expect(sent).toEqual([
      // The 401 is answered by a refreshed token and one replay, as on /responses.
      { method: 'GET', url: '/responses/resp_1', authorization: 'Bearer stale-copilot' },
      { method: 'GET', url: '/responses/resp_1', authorization: 'Bearer fresh-copilot-1' },
      { method: 'GET', url: '/responses/resp_1/input_items?limit=2&order=asc&after=msg_0', authorization: 'Bearer fresh-copilot-1' },
      { method: 'DELETE', url: '/responses/resp_1', authorization: 'Bearer fresh-copilot-1' },
    ]);
    expect(tokens.requests).toHaveLength(1);
    for (const r of stored(copilot.requests)) {
      expect(r.headers['copilot-integration-id']).toBe('vscode-chat');
      expect(r.headers['x-initiator']).toBe('agent');
      expect(r.body.length).toBe(0);
    }
  });

  it("passes Copilot's 404 for an unknown id through as it is, not the gateway's own", async () => {
    const { url, copilot } = await builtinChain();
    await fetch(`${url}/v1/responses/resp_1`); // spends the mock's one 401
    const missing = await fetch(`${url}/v1/responses/resp_gone`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe(MISSING);
    expect(stored(copilot.requests).at(-1)).toMatchObject({ method: 'GET', url: '/responses/resp_gone' });
  });

  it('other methods on these routes get a JSON 405 naming the ones served', async () => {
    const { url, copilot } = await builtinChain();
    const res = await fetch(`${url}/v1/responses/resp_1`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, DELETE');
    expect(stored(copilot.requests)).toHaveLength(0);
  });
});
