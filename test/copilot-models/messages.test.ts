import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateCatalog, type PluginEntry } from '../../src/index.js';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import chatTranslator from '../../src/plugins/chat-translator/index.js';
import copilotModels from '../../src/plugins/copilot-models/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import messagesTranslator from '../../src/plugins/messages-translator/index.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { startMockCopilot, type MockCopilot } from './mock-copilot.js';

// Copilot's Claude models list /v1/messages: with a messages-translator in the chain they go there, translated, with
// Copilot's credential and headers; an option keeps them on /chat/completions.
const TOKEN = 'copilot-test-token-0123456789';
let copilot: MockCopilot;
let gw: StartedRouter | undefined;

function chain(o: { models?: object; messages?: boolean } = {}): PluginEntry[] {
  return [
    [copilotUpstream, { responsesUrl: `${copilot.url}/responses`, modelsUrl: `${copilot.url}/models` }],
    [copilotModels, { modelsUrl: `${copilot.url}/models`, token: TOKEN, ...o.models }],
    headerInjector,
    [authEnvBearer, { token: TOKEN }],
    chatTranslator,
    ...(o.messages === false ? [] : [messagesTranslator]),
  ];
}

const post = (body: object) => fetch(`${gw!.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const claudeRequest = { model: 'claude-sonnet-4.5', stream: true, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], reasoning: { effort: 'high' }, tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object', properties: {} } }] };

beforeAll(async () => {
  copilot = await startMockCopilot();
});
afterAll(() => copilot.close());
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('copilot-models: Claude on /v1/messages', () => {
  it('sends a Claude model to /v1/messages as a Messages request with the Copilot credential and headers', async () => {
    gw = await startRouter({ plugins: chain() });
    const res = await post(claudeRequest);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('hello from messages');
    expect(text).toContain('response.completed');
    const sent = copilot.posts('/v1/messages').at(-1)!;
    expect(sent.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'copilot-integration-id': 'vscode-chat', 'x-initiator': 'user', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14', accept: 'text/event-stream' });
    const body = sent.json();
    // Copilot's limits for the model: its output limit is max_tokens, its thinking bounds cap the budget.
    expect(body).toMatchObject({ model: 'claude-sonnet-4.5', max_tokens: 16000, thinking: { type: 'enabled', budget_tokens: 12000 }, stream: true });
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }]);
    expect(body.input).toBeUndefined();
  });

  it('keeps Claude on /chat/completions with preferMessages: false, or without a messages-translator', async () => {
    gw = await startRouter({ plugins: chain({ models: { preferMessages: false } }) });
    const before = copilot.posts('/chat/completions').length;
    expect(await (await post(claudeRequest)).text()).toContain('hello from chat');
    await gw.close();
    gw = await startRouter({ plugins: chain({ messages: false }) });
    expect(await (await post(claudeRequest)).text()).toContain('hello from chat');
    expect(copilot.posts('/chat/completions').length).toBe(before + 2);
  });

  it('serves a messages-only model and lists Claude with thinking levels in the catalogue', async () => {
    gw = await startRouter({ plugins: chain() });
    const res = await fetch(`${gw.url}/v1/models?client_version=0.169.0`);
    const catalog = (await res.json()) as { models: Record<string, any>[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(validateCatalog(catalog).valid).toBe(true);
    const bySlug = Object.fromEntries(catalog.models.map((m) => [m.slug, m]));
    expect(catalog.models.map((m) => m.slug)).toEqual(['claude-sonnet-4.5', 'gpt-5.1-codex', 'claude-messages-only']);
    expect(bySlug['claude-sonnet-4.5']).toMatchObject({ context_window: 144000, default_reasoning_level: 'medium', default_reasoning_summary: 'auto', description: expect.stringContaining('/v1/messages') });
    expect(bySlug['claude-sonnet-4.5']!.supported_reasoning_levels.map((l: { effort: string }) => l.effort)).toEqual(['low', 'medium', 'high']);
    const health = (await (await fetch(`${gw.url}/health`)).json()) as { providers: { default: { checks: Record<string, { message?: string }> } } };
    expect(health.providers.default.checks['copilot-models']!.message).toMatch(/1 model\(s\) via \/responses, 2 via \/v1\/messages, 0 via \/chat\/completions$/);
  });
});
