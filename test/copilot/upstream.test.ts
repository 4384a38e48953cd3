import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/index.js';
import { codexFixture } from '../support/fixtures.js';
import { responsesTextStream, sendJson, sendSse, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter } from '../support/router.js';
import { copilotPlugins, gateway, mock, nowS, onCleanup, postResponses, tempDir, tokenEndpoint, upstreamEnv, writeJson } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function tokenFile(value: Record<string, unknown>): Promise<string> {
  const file = join(await tempDir(), 'tokens.json');
  await writeJson(file, value);
  return file;
}

describe('copilot-upstream + header-injector', () => {
  it('sends the Copilot header set, forwards only the allow-listed Codex headers, and the body bytes unchanged', async () => {
    const fixture = codexFixture('hello-fallback-model');
    const up = await mock((_req, res) => sendSse(res, responsesTextStream('hi')));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_BEARER_TOKEN: 'service-owned-token', COPILOT_CHAT_VERSION: 'test-chat', COPILOT_EDITOR_VERSION: 'vscode/test', GITHUB_API_VERSION: '2099-01-01' });
    const body = Buffer.from(JSON.stringify(fixture.body, null, 1).replace('"model"', '  "model"'));
    const inbound = { ...fixture.headers, 'x-openai-subagent': '', cookie: 'a=b', 'x-request-id': 'from-codex', 'x-codex-turn-state': 'sticky', authorization: 'Bearer sk-placeholder', 'accept-encoding': 'identity' };
    delete (inbound as Record<string, string>)['x-openai-subagent'];
    delete (inbound as Record<string, string>).host;
    delete (inbound as Record<string, string>)['content-length'];
    const res = await postResponses(gw, body, inbound);
    expect(res.status).toBe(200);
    await res.text();
    const sent = up.requests[0]!;
    expect(sent.url).toBe('/responses');
    expect(sent.body.equals(body)).toBe(true);
    const { host: _host, 'content-length': _len, connection: _conn, 'x-request-id': requestId, ...headers } = sent.headers;
    expect(requestId).toMatch(UUID);
    expect(headers).toEqual({
      authorization: 'Bearer service-owned-token',
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'accept-encoding': 'identity',
      'x-client-request-id': fixture.headers['x-client-request-id'],
      'x-codex-window-id': fixture.headers['x-codex-window-id'],
      'x-codex-turn-metadata': fixture.headers['x-codex-turn-metadata'],
      'x-codex-beta-features': 'remote_compaction_v2',
      'x-codex-turn-state': 'sticky',
      'copilot-integration-id': 'vscode-chat',
      'editor-plugin-version': 'copilot-chat/test-chat',
      'editor-version': 'vscode/test',
      'user-agent': 'GitHubCopilotChat/test-chat',
      'openai-intent': 'conversation-agent',
      'x-github-api-version': '2099-01-01',
      'x-initiator': 'user',
      'x-vscode-user-agent-library-version': 'electron-fetch',
    });
  });

  it('routes /v1/models to modelsUrl with GET, no body content type, and a JSON accept', async () => {
    const up = await mock((_req, res) => sendJson(res, 200, '{"data":[{"id":"gpt-test"}]}'));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_BEARER_TOKEN: 'service-owned-token' });
    // undici's request adds no accept header of its own (fetch would send */*, which is forwarded as-is).
    const res = await request(`${gw.url}/v1/models`);
    expect(await res.body.text()).toBe('{"data":[{"id":"gpt-test"}]}');
    expect(up.requests[0]!.method).toBe('GET');
    expect(up.requests[0]!.url).toBe('/models');
    expect(up.requests[0]!.headers['content-type']).toBeUndefined();
    expect(up.requests[0]!.headers).toMatchObject({ accept: 'application/json', authorization: 'Bearer service-owned-token', 'copilot-integration-id': 'vscode-chat' });
  });

  it.each([
    ['hello-fallback-model', {}, 'user'],
    ['tool-loop-turn1', {}, 'user'],
    ['model-gpt-5.5-apply-patch-custom-tool', {}, 'user'],
    ['tool-loop-turn2-with-function-call-output', {}, 'agent'],
    ['hello-fallback-model', { 'x-openai-subagent': 'review' }, 'agent'],
    ['hello-fallback-model', { 'x-codex-parent-thread-id': 'parent' }, 'agent'],
    ['hello-fallback-model', { compaction: 'yes' }, 'agent'],
  ] as const)('classifies %s %j as x-initiator %s', async (name, extra, expected) => {
    const fixture = codexFixture(name);
    const up = await mock((_req, res) => sendSse(res, responsesTextStream('hi')));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_BEARER_TOKEN: 'service-owned-token' });
    const headers: Record<string, string> = { 'x-codex-turn-metadata': fixture.headers['x-codex-turn-metadata']!, ...extra };
    if ('compaction' in extra) {
      headers['x-codex-turn-metadata'] = fixture.headers['x-codex-turn-metadata']!.replace('"request_kind":"turn"', '"request_kind":"compaction"');
      delete headers.compaction;
    }
    await (await postResponses(gw, JSON.stringify(fixture.body), headers)).text();
    expect(up.requests[0]!.headers['x-initiator']).toBe(expected);
  });

  it('fixes x-initiator with the initiator option', async () => {
    const up = await mock((_req, res) => sendSse(res, responsesTextStream('hi')));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_BEARER_TOKEN: 'service-owned-token', COPILOT_INITIATOR: 'agent' });
    await (await postResponses(gw, JSON.stringify(codexFixture('hello-fallback-model').body))).text();
    expect(up.requests[0]!.headers['x-initiator']).toBe('agent');
  });

  it('answers a body that is not JSON with a 400 invalid_json and no upstream call', async () => {
    const up = await mock((_req, res) => sendSse(res, responsesTextStream('hi')));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_BEARER_TOKEN: 'service-owned-token' });
    const res = await postResponses(gw, '{"model": "gpt-5", "input": [');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    expect(up.requests).toHaveLength(0);
  });
});

describe('refresh-401', () => {
  const body = Buffer.from('{"model":"gpt-5","input":[{"type":"message","role":"user","content":"hé ✓"}],   "store":false}');

  it('replays once after a 401 with a force-refreshed token, the same body bytes and a new x-request-id', async () => {
    const file = await tokenFile({ githubToken: 'gh', copilotToken: 'stale-but-unexpired', expiresAt: nowS() + 3600, custom: 'kept' });
    const ep = await tokenEndpoint();
    const up = await mock((_req, res, i) => (i === 0 ? sendJson(res, 401, { error: { message: 'token expired' } }) : sendSse(res, responsesTextStream('after refresh'))));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: ep.url });
    const res = await postResponses(gw, body);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('after refresh');
    expect(up.requests).toHaveLength(2);
    expect(up.requests.map((r) => r.headers.authorization)).toEqual(['Bearer stale-but-unexpired', 'Bearer fresh-copilot-1']);
    expect(up.requests[0]!.body.equals(body) && up.requests[1]!.body.equals(body)).toBe(true);
    expect(up.requests[0]!.headers['x-request-id']).not.toBe(up.requests[1]!.headers['x-request-id']);
    expect(ep.requests).toHaveLength(1);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ copilotToken: 'fresh-copilot-1', githubToken: 'gh', custom: 'kept' });
  });

  it('refreshes once when 20 concurrent requests are rejected with the same token', async () => {
    const file = await tokenFile({ githubToken: 'gh', copilotToken: 'revoked', expiresAt: nowS() + 3600 });
    const ep = await tokenEndpoint({ delayMs: 30 });
    const up = await mock((req, res) => (req.headers.authorization === 'Bearer revoked' ? sendJson(res, 401, { error: { message: 'revoked' } }) : sendSse(res, responsesTextStream('ok'))));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: ep.url });
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => {
      const res = await postResponses(gw, body);
      await res.text();
      return res.status;
    }));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(ep.requests).toHaveLength(1);
    expect(up.requests).toHaveLength(40);
  });

  it('passes a second 401 through unchanged: exactly 2 upstream calls', async () => {
    const file = await tokenFile({ githubToken: 'gh', copilotToken: 'stale', expiresAt: nowS() + 3600 });
    const ep = await tokenEndpoint();
    const up = await mock((_req, res, i) => void res.writeHead(401, { 'content-type': 'text/plain', 'x-upstream': 'yes' }).end(`rejected attempt ${i}`));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: ep.url });
    const res = await postResponses(gw, body);
    expect(res.status).toBe(401);
    expect(res.headers.get('x-upstream')).toBe('yes');
    expect(await res.text()).toBe('rejected attempt 1');
    expect(up.requests).toHaveLength(2);
  });

  it('does not replay env or inbound credentials', async () => {
    const up = await mock((_req, res) => sendJson(res, 401, { error: { message: 'bad token' } }));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_BEARER_TOKEN: 'service-owned-token' });
    const res = await postResponses(gw, body);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('bad token');
    expect(up.requests).toHaveLength(1);
  });

  it('treats an Enterprise 403 as expiry only when the token has expired', async () => {
    // An expired token is refreshed before sending, so let it expire while the upstream is thinking (buffer 0).
    const file = await tokenFile({ githubToken: 'gh', copilotToken: 'about-to-expire', expiresAt: nowS() + 1 });
    const ep = await tokenEndpoint();
    const up = await mock(async (_req, res, i) => {
      if (i === 0) {
        await new Promise((r) => setTimeout(r, 1050));
        return sendJson(res, 403, { error: { message: 'token expired' } });
      }
      sendSse(res, responsesTextStream('ok'));
    });
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: ep.url, COPILOT_TOKEN_EXPIRY_BUFFER_SECONDS: '0' });
    const res = await postResponses(gw, body);
    expect(res.status).toBe(200);
    await res.text();
    expect(up.requests).toHaveLength(2);

    const valid = await tokenFile({ githubToken: 'gh', copilotToken: 'valid', expiresAt: nowS() + 3600 });
    const forbidden = await mock((_req, res) => sendJson(res, 403, { error: { message: 'model not enabled' } }));
    const gw2 = await gateway({ ...upstreamEnv(forbidden), COPILOT_TOKEN_FILE: valid, COPILOT_TOKEN_URL: ep.url });
    const res2 = await postResponses(gw2, body);
    expect(res2.status).toBe(403);
    expect(await res2.text()).toContain('model not enabled');
    expect(forbidden.requests).toHaveLength(1);
  });
});

describe('account endpoint routing', () => {
  /** Records where each attempt would go, then sends it to the loopback mock instead. */
  function divert(to: MockUpstream, seen: string[]) {
    return definePlugin({
      name: 'test-divert',
      apply({ hooks }) {
        hooks.attempt.tapPromise('test-divert', async (ex) => {
          seen.push(ex.upstream.url!.href);
          ex.upstream.url = new URL(ex.upstream.url!.pathname, to.url);
        });
      },
    });
  }

  async function run(file: string, env: Record<string, string>) {
    const up = await mock((_req, res) => sendSse(res, responsesTextStream('ok')));
    const seen: string[] = [];
    const gw = await startRouter({ plugins: [...copilotPlugins, divert(up, seen)] }, { env: { COPILOT_TOKEN_FILE: file, ...env } });
    onCleanup(() => gw.close());
    await (await postResponses(gw, '{"input":"hi"}')).text();
    await (await fetch(`${gw.url}/v1/models`)).text();
    return seen;
  }

  it('sends a Business account to its API host from the token file', async () => {
    const file = await tokenFile({ copilotToken: 'cp', expiresAt: nowS() + 3600, endpoint: 'https://api.business.githubcopilot.com/chat/completions' });
    expect(await run(file, {})).toEqual(['https://api.business.githubcopilot.com/responses', 'https://api.business.githubcopilot.com/models']);
  });

  it('uses endpoints.api from a refresh', async () => {
    const file = await tokenFile({ githubToken: 'gh', copilotToken: 'cp', expiresAt: 1 });
    const ep = await tokenEndpoint({ api: 'https://api.enterprise.githubcopilot.com' });
    expect((await run(file, { COPILOT_TOKEN_URL: ep.url }))[0]).toBe('https://api.enterprise.githubcopilot.com/responses');
  });

  it('refuses a host outside githubcopilot.com, and stays put when turned off or when the URL was overridden', async () => {
    const evil = await tokenFile({ copilotToken: 'cp', expiresAt: nowS() + 3600, endpoint: 'https://api.githubcopilot.com.evil.example/chat/completions' });
    expect((await run(evil, {}))[0]).toBe('https://api.githubcopilot.com/responses');
    const http = await tokenFile({ copilotToken: 'cp', expiresAt: nowS() + 3600, endpoint: 'http://api.business.githubcopilot.com/chat/completions' });
    expect((await run(http, {}))[0]).toBe('https://api.githubcopilot.com/responses');
    const business = await tokenFile({ copilotToken: 'cp', expiresAt: nowS() + 3600, endpoint: 'https://api.business.githubcopilot.com/chat/completions' });
    expect((await run(business, { COPILOT_ACCOUNT_ENDPOINT: 'false' }))[0]).toBe('https://api.githubcopilot.com/responses');
    expect((await run(business, { COPILOT_RESPONSES_URL: 'https://proxy.example.test/v1/responses' }))[0]).toBe('https://proxy.example.test/v1/responses');
  });
});
