import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockHandler, type MockUpstream } from '../../../test/support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../../../test/support/router.js';
import { createLogger, createRouter, definePlugin, validateCatalog } from '../../index.js';
import chatTranslator, { type ChatTranslatorOptions } from './index.js';

type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(handler: MockHandler, options: Partial<ChatTranslatorOptions> = {}): Promise<{ mock: MockUpstream; gw: StartedRouter }> {
  const mock = await startMockUpstream(handler);
  cleanup.push(() => mock.close());
  const gw = await gateway(mock, options);
  return { mock, gw };
}

async function gateway(mock: MockUpstream, options: Partial<ChatTranslatorOptions> = {}): Promise<StartedRouter> {
  const gw = await startRouter({ plugins: [[chatTranslator, { baseUrl: `${mock.url}/v1`, apiKey: 'k', ...options }]] });
  cleanup.push(() => gw.close());
  return gw;
}

// ----- a small Chat Completions mock -----

const chunk = (delta: object, finish: string | null = null) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
const call = (index: number, id: string | undefined, name: string | undefined, args: string) => chunk({ tool_calls: [{ index, ...(id && { id, type: 'function' }), function: { ...(name && { name }), arguments: args } }] });

async function sendChat(res: ServerResponse, chunks: (object | string)[], o: { done?: boolean; delayMs?: number; cut?: boolean } = {}): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const c of chunks) {
    res.write(`data: ${typeof c === 'string' ? c : JSON.stringify(c)}\n\n`);
    if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
  }
  if (o.cut) {
    res.socket?.destroy();
    return;
  }
  res.end(o.done === false ? '' : 'data: [DONE]');
}

async function post(gw: StartedRouter, body: object): Promise<{ status: number; headers: Headers; events: Ev[]; text: string }> {
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  const events = res.headers.get('content-type')?.startsWith('text/event-stream')
    ? text.split('\n\n').filter((b) => b.includes('data:')).map((b) => JSON.parse(b.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n')) as Ev)
    : [];
  return { status: res.status, headers: res.headers, events, text };
}

const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const terminal = (events: Ev[]) => events[events.length - 1]!;
const request = (input: object[], extra: object = {}) => ({ model: 'gpt-5.4', stream: true, input, tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object' } }], tool_choice: 'auto', parallel_tool_calls: true, store: false, include: ['reasoning.encrypted_content'], client_metadata: { x: 1 }, ...extra });

describe('chat-translator through the gateway', () => {
  it('streams text and sends a clean Chat request with the key', async () => {
    const { mock, gw } = await setup((_req, res) => sendChat(res, [chunk({ role: 'assistant', content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop'), { id: 'x', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }]), { modelMap: { 'gpt-5.4': 'deepseek-v4-pro' } });
    const { status, events } = await post(gw, request([user('hi')]));
    expect(status).toBe(200);
    expect(events[0]!.type).toBe('response.created');
    expect(terminal(events)).toMatchObject({ type: 'response.completed', response: { model: 'gpt-5.4', output: [{ type: 'message', content: [{ text: 'Hello' }] }], usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } } });
    const upstream = mock.requests[0]!;
    expect(upstream.url).toBe('/v1/chat/completions');
    expect(upstream.headers.authorization).toBe('Bearer k');
    expect(upstream.headers['accept-encoding']).toBe('identity');
    const body = upstream.json();
    expect(body).toMatchObject({ model: 'deepseek-v4-pro', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    for (const key of ['store', 'include', 'client_metadata', 'input']) expect(body).not.toHaveProperty(key);
  });

  it('returns parallel tool calls, then replays them with their outputs', async () => {
    const { mock, gw } = await setup((_req, res, index) =>
      index === 0
        ? sendChat(res, [call(0, 'call_a', 'exec_command', '{"cmd":'), call(1, 'call_b', 'exec_command', '{"cmd":"pwd"}'), call(0, undefined, undefined, '"ls"}'), chunk({}, 'tool_calls')])
        : sendChat(res, [chunk({ content: 'done' }, 'stop')]),
    );
    const first = await post(gw, request([user('go')]));
    const output = terminal(first.events).response.output as Ev[];
    expect(output.map((i) => [i.type, i.call_id, i.arguments])).toEqual([['function_call', 'call_a', '{"cmd":"ls"}'], ['function_call', 'call_b', '{"cmd":"pwd"}']]);
    await post(gw, request([user('go'), ...output, { type: 'function_call_output', call_id: 'call_a', output: 'a.txt' }, { type: 'function_call_output', call_id: 'call_b', output: '/tmp' }]));
    const messages = mock.requests[1]!.json().messages as Ev[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(messages[1]!.tool_calls.map((c: Ev) => c.id)).toEqual(['call_a', 'call_b']);
  });

  it('round-trips a namespaced call and apply_patch in the shapes Codex executes', async () => {
    const patch = '*** Begin Patch\n*** Add File: hi.txt\n+hi\n*** End Patch\n';
    const tools = [{ type: 'namespace', name: 'mcp__node_repl', tools: [{ type: 'function', name: 'js', parameters: { type: 'object' } }] }, { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } }];
    const { mock, gw } = await setup((_req, res, index) =>
      index === 0 ? sendChat(res, [call(0, 'n1', 'mcp__node_repl-js', '{"code":"1"}'), call(1, 'p1', 'apply_patch', JSON.stringify({ patch })), chunk({}, 'tool_calls')]) : sendChat(res, [chunk({ content: 'ok' }, 'stop')]),
    );
    const first = await post(gw, request([user('go')], { tools }));
    const output = terminal(first.events).response.output as Ev[];
    expect(output[0]).toMatchObject({ type: 'function_call', name: 'js', namespace: 'mcp__node_repl', call_id: 'n1' });
    expect(output[1]).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', input: patch, call_id: 'p1' });
    expect(mock.requests[0]!.json().tools.map((t: Ev) => t.function.name)).toEqual(['mcp__node_repl-js', 'apply_patch']);
    await post(gw, request([user('go'), output[0]!, output[1]!, { type: 'function_call_output', call_id: 'n1', output: '1' }, { type: 'custom_tool_call_output', call_id: 'p1', output: 'Success' }], { tools }));
    const calls = mock.requests[1]!.json().messages[1].tool_calls as Ev[];
    expect(calls.map((c) => c.function)).toEqual([{ name: 'mcp__node_repl-js', arguments: '{"code":"1"}' }, { name: 'apply_patch', arguments: JSON.stringify({ patch }) }]);
  });

  it('carries reasoning to the next request statelessly, through a fresh gateway (acceptance 28)', async () => {
    const { mock, gw } = await setup((_req, res) => sendChat(res, [chunk({ reasoning_content: 'I should list ' }), chunk({ reasoning_content: 'files' }), call(0, 'call_X', 'exec_command', '{"cmd":"ls"}'), chunk({}, 'tool_calls')]));
    const first = await post(gw, request([user('go')]));
    const output = terminal(first.events).response.output as Ev[];
    expect(output[0]).toMatchObject({ type: 'reasoning', encrypted_content: expect.stringMatching(/^ccrx\.r1\./) });
    const other = await gateway(mock);
    mock.handle((_req, res) => sendChat(res, [chunk({ content: 'done' }, 'stop')]));
    await post(other, request([user('go'), ...output, { type: 'function_call_output', call_id: 'call_X', output: 'a.txt' }]));
    const assistant = (mock.requests[1]!.json().messages as Ev[])[1]!;
    expect(assistant).toMatchObject({ role: 'assistant', reasoning_content: 'I should list files', tool_calls: [{ id: 'call_X' }] });
    expect(JSON.stringify(mock.requests[1]!.json())).not.toContain('ccrx.r1.');
  });

  it('maps upstream errors before commit to what Codex acts on (acceptance 31, 32)', async () => {
    // Codes Codex maps are sent in-stream (the one shape Codex 0.150 and later all read): a 200 with response.failed.
    const { mock, gw } = await setup((_req, res) => void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: "This model's maximum context length is 65536 tokens" } })));
    const context = await post(gw, request([user('hi')]));
    expect(context.status).toBe(200);
    expect(terminal(context.events)).toMatchObject({ type: 'response.failed', response: { error: { code: 'context_length_exceeded' } } });
    mock.handle((_req, res) => void res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' }).end('{"error":{"message":"slow down"}}'));
    const limited = await post(gw, request([user('hi')]));
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(terminal(limited.events).response.error).toMatchObject({ code: 'rate_limit_exceeded', message: expect.stringContaining('try again in 2s') });
    mock.handle((_req, res) => void res.writeHead(402, { 'content-type': 'application/json' }).end('{"error":{"message":"Insufficient Balance"}}'));
    const quota = await post(gw, request([user('hi')]));
    expect(terminal(quota.events).response.error.code).toBe('insufficient_quota');
    mock.handle((_req, res) => void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}'));
    const auth = await post(gw, request([user('hi')]));
    expect(terminal(auth.events).response.error).toMatchObject({ code: 'invalid_prompt', message: expect.stringContaining('rejected the API key') });
    // Anything else stays an HTTP answer.
    mock.handle((_req, res) => void res.writeHead(503, { 'content-type': 'text/plain' }).end('busy'));
    const busy = await post(gw, request([user('hi')]));
    expect([busy.status, busy.headers.get('retry-after')]).toEqual([503, '1']);
  });

  it('commits early, keeps Codex alive with in_progress events, then fails with the mapped code', async () => {
    const slow = (status: number, body: string, headers: Record<string, string> = {}): MockHandler => async (_req, res) => {
      await new Promise((r) => setTimeout(r, 250));
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
    };
    const { mock, gw } = await setup(slow(400, '{"error":{"message":"prompt is too long"}}'), { commitAfterMs: 20, keepAliveMs: 50 });
    const failed = await post(gw, request([user('hi')]));
    expect(failed.status).toBe(200);
    expect(failed.events.slice(0, 3).map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.in_progress']);
    expect(terminal(failed.events)).toMatchObject({ type: 'response.failed', response: { error: { code: 'context_length_exceeded' } } });
    expect(failed.events.map((e) => e.sequence_number)).toEqual(failed.events.map((_, i) => i));
    mock.handle(slow(429, '{"error":{"message":"slow"}}', { 'retry-after': '3' }));
    const limited = await post(gw, request([user('hi')]));
    expect(terminal(limited.events).response.error).toMatchObject({ code: 'rate_limit_exceeded', message: expect.stringContaining('try again in 3s') });
    mock.handle(slow(402, '{"error":{"message":"quota"}}'));
    expect(terminal((await post(gw, request([user('hi')]))).events).response.error.code).toBe('insufficient_quota');
    mock.handle(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 200));
      await sendChat(res, [chunk({ content: 'late' }, 'stop')]);
    });
    const late = await post(gw, request([user('hi')]));
    expect(terminal(late.events)).toMatchObject({ type: 'response.completed', response: { output: [{ content: [{ text: 'late' }] }] } });
    expect(late.events.filter((e) => e.type === 'response.created')).toHaveLength(1);
  });

  it('fails a stream cut mid-way without finalizing the tool call', async () => {
    const { gw } = await setup((_req, res) => sendChat(res, [call(0, 'c', 'exec_command', '{"cmd":"rm')], { cut: true, delayMs: 10 }));
    const { status, events } = await post(gw, request([user('hi')]));
    expect(status).toBe(200);
    expect(terminal(events).type).toBe('response.failed');
    expect(events.filter((e) => e.type === 'response.output_item.done')).toEqual([]);
    expect(events.filter((e) => e.type === 'response.completed')).toEqual([]);
  });

  it('answers stream:false with the full Responses object', async () => {
    const { mock, gw } = await setup((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi', reasoning_content: 'hm' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })));
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5.4', input: 'hello' }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Ev;
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-5.4', output: [{ type: 'reasoning' }, { type: 'message', content: [{ text: 'Hi' }] }], usage: { total_tokens: 4 } });
    expect(mock.requests[0]!.json()).toMatchObject({ stream: false });
    expect(mock.requests[0]!.json()).not.toHaveProperty('stream_options');
  });

  it('serves a valid Codex catalogue with client_version and proxies the plain list', async () => {
    const { mock, gw } = await setup((req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'deepseek-v4-pro', context_length: 262144 }, { id: 'deepseek-v4-flash' }] })), { modelMap: { 'gpt-5.4': 'deepseek-v4-pro' }, contextWindow: 64000 });
    const catalog = (await (await fetch(`${gw.url}/v1/models?client_version=0.169.0`)).json()) as Ev;
    expect(validateCatalog(catalog).valid).toBe(true);
    expect(catalog.models.map((m: Ev) => [m.slug, m.context_window, m.apply_patch_tool_type, m.supports_search_tool])).toEqual([
      ['deepseek-v4-pro', 262144, 'freeform', false],
      ['deepseek-v4-flash', 64000, 'freeform', false],
      ['gpt-5.4', 262144, 'freeform', false],
    ]);
    expect(mock.requests[0]!.headers.authorization).toBe('Bearer k');
    const list = (await (await fetch(`${gw.url}/v1/models`)).json()) as Ev;
    expect(list.data).toHaveLength(2);
    await mock.close();
    const offline = await startRouter({ plugins: [[chatTranslator, { baseUrl: `${mock.url}/v1`, models: ['local-model'] }]] });
    cleanup.push(() => offline.close());
    const fallback = (await (await fetch(`${offline.url}/v1/models?client_version=0.169.0`)).json()) as Ev;
    expect(validateCatalog(fallback).valid).toBe(true);
    expect(fallback.models.map((m: Ev) => m.slug)).toEqual(['local-model']);
  });

  it('reads the key from the preset environment variable and says clearly when it is missing', async () => {
    const name = 'CCRX_TEST_CHAT_TRANSLATOR_KEY';
    const mock = await startMockUpstream((_req, res) => sendChat(res, [chunk({ content: 'x' }, 'stop')]));
    cleanup.push(() => mock.close());
    const missing = await startRouter({ plugins: [[chatTranslator, { preset: 'deepseek', baseUrl: `${mock.url}/v1`, apiKeyEnv: name }]] });
    cleanup.push(() => missing.close());
    const refused = await post(missing, request([user('hi')]));
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).error.message).toContain(name);
    const withKey = await startRouter({ plugins: [[chatTranslator, { preset: 'deepseek', baseUrl: `${mock.url}/v1`, apiKeyEnv: name }]] }, { env: { [name]: 'from-env' } });
    cleanup.push(() => withKey.close());
    expect((await post(withKey, request([user('hi')]))).status).toBe(200);
    expect(mock.requests.at(-1)!.headers.authorization).toBe('Bearer from-env');
    const preset = await startRouter({ plugins: [[chatTranslator, { preset: 'deepseek', baseUrl: `${mock.url}/v1` }]] }, { env: { DEEPSEEK_API_KEY: 'ds-key' } });
    cleanup.push(() => preset.close());
    await post(preset, request([user('hi')]));
    expect(mock.requests.at(-1)!.headers.authorization).toBe('Bearer ds-key');
  });

  it('refuses unusable options with a config error naming the option', async () => {
    await expect(startRouter({ plugins: [[chatTranslator, { baseUrl: 'ftp://x/v1' }]] })).rejects.toThrow(/baseUrl/);
    await expect(startRouter({ plugins: [[chatTranslator, { preset: 'nope' }]] })).rejects.toThrow(/preset/);
    await expect(startRouter({ plugins: [[chatTranslator, { baseUrl: 'http://x/v1', quirks: { reasoningField: 'thoughts' } }]] })).rejects.toThrow(/reasoningField/);
  });
});

describe('chat-translator: routed mode (no baseUrl)', () => {
  it('warns at startup about upstream options it has no upstream to apply to', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    const router = await createRouter({ plugins: [[chatTranslator, { headers: { 'x-team': 'blue' }, apiKey: 'sk-routed-0123456789' }]] }, { env: {}, logger });
    await router.close();
    const warning = lines.map((l) => JSON.parse(l) as { msg: string; options?: string[] }).find((l) => l.msg.includes('no baseUrl'));
    expect(warning?.options).toEqual(['headers', 'apiKey']);
    expect(lines.join('')).not.toContain('sk-routed-0123456789');
  });

  it('translates only the exchanges an earlier plugin sent to Chat Completions, keeping its URL and headers', async () => {
    const mock = await startMockUpstream((req, res) => {
      if (req.url === '/chat/completions') return sendChat(res, [chunk({ content: 'from chat' }), chunk({}, 'stop')]);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data:{"type":"response.completed","response":{"id":"r"}}\n\n');
    });
    cleanup.push(() => mock.close());
    const router = definePlugin({
      name: 'router',
      apply: ({ hooks }) =>
        hooks.request.tap('router', (ex) => {
          const chat = (ex.inbound.json() as { model: string }).model === 'chat-only';
          ex.upstream.url = new URL(chat ? '/chat/completions' : '/responses', mock.url);
          ex.upstream.headers['x-kept'] = 'yes';
          if (chat) ex.upstream.wire = 'chat-completions';
          return undefined;
        }),
    });
    const gw = await startRouter({ plugins: [router, [chatTranslator, {}]] });
    cleanup.push(() => gw.close());
    const chat = await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'chat-only', stream: true, input: 'hi' }) })).text();
    expect(chat).toContain('"type":"response.completed"');
    expect(chat).toContain('from chat');
    expect(mock.requests[0]!.json().messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(mock.requests[0]!.headers['x-kept']).toBe('yes');
    // Not routed: the Responses stream passes as bytes (`data:` without a space proves it was never re-serialized).
    const passed = await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5', stream: true, input: 'hi' }) })).text();
    expect(passed).toBe('data:{"type":"response.completed","response":{"id":"r"}}\n\n');
    expect(mock.requests[1]!.json()).toEqual({ model: 'gpt-5', stream: true, input: 'hi' });
  });

  it('refuses previous_response_id and item_reference for a routed model (no store there), and passes them on for a Responses upstream', async () => {
    const mock = await startMockUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data:{"type":"response.completed","response":{"id":"r"}}\n\n');
    });
    cleanup.push(() => mock.close());
    const router = definePlugin({
      name: 'router',
      apply: ({ hooks }) =>
        hooks.request.tap('router', (ex) => {
          const chat = (ex.inbound.json() as { model: string }).model === 'chat-only';
          ex.upstream.url = new URL(chat ? '/chat/completions' : '/responses', mock.url);
          if (chat) ex.upstream.wire = 'chat-completions';
          return undefined;
        }),
    });
    const gw = await startRouter({ plugins: [router, [chatTranslator, {}]] });
    cleanup.push(() => gw.close());
    const send = (body: object) => fetch(`${gw.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ stream: true, ...body }) });
    const chained = await send({ model: 'chat-only', input: 'hi', previous_response_id: 'resp_1' });
    expect(chained.status).toBe(400);
    expect(await chained.json()).toMatchObject({ error: { code: 'previous_response_not_found', param: 'previous_response_id' } });
    const referenced = await send({ model: 'chat-only', input: [{ type: 'item_reference', id: 'msg_1' }] });
    expect(referenced.status).toBe(400);
    expect(mock.requests).toHaveLength(0);
    // A Responses upstream keeps its own semantics: the same fields reach it untouched.
    expect((await send({ model: 'gpt-5', input: 'hi', previous_response_id: 'resp_1' })).status).toBe(200);
    expect(mock.requests[0]!.json()).toMatchObject({ previous_response_id: 'resp_1' });
  });
});
