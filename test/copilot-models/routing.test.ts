import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, validateCatalog, type Exchange, type PluginEntry } from '../../src/index.js';
import copilotModels from '../../src/plugins/copilot-models/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { sendJson, startMockUpstream } from '../support/mock-upstream.js';
import { startMockCopilot, type MockCopilot } from './mock-copilot.js';

const TOKEN = 'copilot-test-token-0123456789';
let copilot: MockCopilot;
let gw: StartedRouter | undefined;
const seen: { wire: string; url: string | undefined }[] = [];

/** Stands in for the chat-translator: records what copilot-models decided, translates nothing. */
const translatorStub = definePlugin({
  name: 'chat-translator',
  apply({ hooks }) {
    hooks.request.tapPromise('chat-translator', async (ex: Exchange) => {
      seen.push({ wire: ex.upstream.wire, url: ex.upstream.url?.href });
      return undefined;
    });
  },
});

function chain(url: string, o: { translator?: boolean; models?: object } = {}): PluginEntry[] {
  return [
    [copilotUpstream, { responsesUrl: `${url}/responses`, modelsUrl: `${url}/models` }],
    [copilotModels, { modelsUrl: `${url}/models`, token: TOKEN, ...o.models }],
    headerInjector,
    [authEnvBearer, { token: TOKEN }],
    ...(o.translator === false ? [] : [translatorStub]),
  ];
}

const post = (url: string, body: object) => fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  copilot = await startMockCopilot();
});
afterAll(() => copilot.close());
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  seen.length = 0;
});

describe('copilot-models routing', () => {
  it('keeps a /responses model on /responses and sends a chat-only model to /chat/completions with the Copilot headers', async () => {
    gw = await startRouter({ plugins: chain(copilot.url) });
    const before = copilot.posts('/chat/completions').length;
    const a = await post(gw.url, { model: 'gpt-5.1-codex', input: 'hi', stream: true });
    expect(a.status).toBe(200);
    expect(await a.text()).toContain('hello from responses');
    const b = await post(gw.url, { model: 'claude-sonnet-4.5', input: 'hi', stream: true });
    expect(b.status).toBe(200);
    await b.text();
    expect(seen).toEqual([
      { wire: 'responses', url: `${copilot.url}/responses` },
      { wire: 'chat-completions', url: `${copilot.url}/chat/completions` },
    ]);
    const chat = copilot.posts('/chat/completions').slice(before);
    expect(chat).toHaveLength(1);
    expect(chat[0]!.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'copilot-integration-id': 'vscode-chat', 'x-initiator': 'user' });
    // The list was fetched with the Copilot credential and headers, once for both requests.
    const lists = copilot.server.requests.filter((r) => r.method === 'GET' && r.url === '/models');
    expect(lists.length).toBeGreaterThanOrEqual(1);
    expect(lists[0]!.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'copilot-integration-id': 'vscode-chat', 'editor-version': 'vscode/1.109.2' });
  });

  it('refuses a model with no usable endpoint, naming the models that work', async () => {
    gw = await startRouter({ plugins: chain(copilot.url) });
    const res = await post(gw.url, { model: 'claude-messages-only', input: 'hi', stream: true });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('model_not_supported');
    expect(error.message).toContain('claude-messages-only');
    expect(error.message).toContain('/v1/messages');
    expect(error.message).toContain('gpt-5.1-codex');
    expect(error.message).toContain('claude-sonnet-4.5');
    expect(error.message).not.toContain('text-embedding');
  });

  it('without a chat-translator in the chain, a chat-only model is refused and left out of the catalogue', async () => {
    gw = await startRouter({ plugins: chain(copilot.url, { translator: false }) });
    const res = await post(gw.url, { model: 'claude-sonnet-4.5', input: 'hi', stream: true });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('no chat-translator');
    const catalog = (await (await fetch(`${gw.url}/v1/models?client_version=0.169.0`)).json()) as { models: { slug: string }[] };
    expect(catalog.models.map((m) => m.slug)).toEqual(['gpt-5.1-codex']);
  });

  it('passes a model Copilot does not list through to /responses unchanged', async () => {
    gw = await startRouter({ plugins: chain(copilot.url) });
    const res = await post(gw.url, { model: 'some-future-model', input: 'hi', stream: true });
    expect(res.status).toBe(200);
    await res.text();
    expect(seen.at(-1)).toEqual({ wire: 'responses', url: `${copilot.url}/responses` });
  });

  it('serves a valid Codex catalogue built from Copilot capabilities for both models', async () => {
    gw = await startRouter({ plugins: chain(copilot.url) });
    const res = await fetch(`${gw.url}/v1/models?client_version=0.169.0`);
    expect(res.status).toBe(200);
    const catalog = (await res.json()) as { models: Record<string, unknown>[] };
    expect(validateCatalog(catalog).valid).toBe(true);
    const bySlug = Object.fromEntries(catalog.models.map((m) => [m.slug, m]));
    // The default model first; messages-only and embedding models are not listed.
    expect(catalog.models.map((m) => m.slug)).toEqual(['claude-sonnet-4.5', 'gpt-5.1-codex']);
    expect(bySlug['gpt-5.1-codex']).toMatchObject({
      display_name: 'GPT-5.1-Codex',
      context_window: 400000,
      input_modalities: ['text', 'image'],
      shell_type: 'unified_exec',
      apply_patch_tool_type: 'freeform',
      default_reasoning_level: 'medium',
      supported_reasoning_levels: [{ effort: 'low' }, { effort: 'medium' }, { effort: 'high' }].map((e) => expect.objectContaining(e)),
    });
    expect((bySlug['gpt-5.1-codex']!.auto_compact_token_limit as number) <= 272000).toBe(true);
    expect(bySlug['claude-sonnet-4.5']).toMatchObject({ context_window: 144000, supported_reasoning_levels: [], apply_patch_tool_type: 'freeform' });
    // Without client_version the call stays a passthrough of Copilot's own list.
    const raw = (await (await fetch(`${gw.url}/v1/models`)).json()) as { data?: unknown[] };
    expect(raw.data).toHaveLength(4);
  });

  it('answers 400 unsupported_api_for_model with the working models and refetches the list', async () => {
    const refusing = await startMockUpstream((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, { data: [{ id: 'gpt-4.1', supported_endpoints: ['/responses', '/chat/completions'], capabilities: { type: 'chat' } }] });
      return sendJson(res, 400, { error: { code: 'unsupported_api_for_model', message: 'model gpt-4.1 is not accessible via the /responses endpoint' } });
    });
    try {
      gw = await startRouter({ plugins: chain(refusing.url) });
      const res = await post(gw.url, { model: 'gpt-4.1', input: 'hi', stream: true });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.message).toMatch(/refused model gpt-4\.1 on \/responses.*Models that work: gpt-4\.1/);
      await expect.poll(() => refusing.requests.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(2);
    } finally {
      await refusing.close();
    }
  });

  it('passes requests through when the model list cannot be fetched, and reports it in /health', async () => {
    const down = await startMockUpstream((req, res) => (req.method === 'GET' ? sendJson(res, 500, { error: { message: 'boom' } }) : sendJson(res, 200, { ok: true })));
    try {
      gw = await startRouter({ plugins: chain(down.url) });
      const res = await post(gw.url, { model: 'claude-sonnet-4.5', input: 'hi', stream: false });
      expect(res.status).toBe(200);
      expect(down.requests.filter((r) => r.method === 'POST').map((r) => r.url)).toEqual(['/responses']);
      const health = (await (await fetch(`${gw.url}/health`)).json()) as { providers: { default: { checks: Record<string, { ok: boolean; message: string }> } } };
      expect(health.providers.default.checks['copilot-models']).toMatchObject({ ok: false });
      expect(health.providers.default.checks['copilot-models']!.message).toContain('HTTP 500');
      const catalog = await fetch(`${gw.url}/v1/models?client_version=0.169.0`);
      expect(catalog.status).toBe(503);
    } finally {
      await down.close();
    }
  });
});
