import { afterEach, describe, expect, it } from 'vitest';
import { codexFixture } from '../../../test/support/fixtures.js';
import { messagesError, messagesReply, startMockMessages, type MockMessages } from '../../../test/support/mock-messages.js';
import { assertResponsesStream } from '../../../test/support/responses-check.js';
import { startRouter, type StartedRouter } from '../../../test/support/router.js';
import { validateCatalog, type StreamEvent } from '../../index.js';
import { tempDir } from '../../testing/temp.js';
import messagesTranslator, { type MessagesTranslatorOptions } from './index.js';

type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KEY = 'sk-ant-test-key-0123456789';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(options: Partial<MessagesTranslatorOptions> = {}, env: Record<string, string> = {}): Promise<{ claude: MockMessages; gw: StartedRouter }> {
  const claude = await startMockMessages({ apiKey: KEY, models: ['claude-sonnet-4-5', 'claude-opus-4-6'] });
  cleanup.push(() => claude.close());
  const gw = await startRouter({ plugins: [[messagesTranslator, { baseUrl: claude.url, apiKey: KEY, ...options }]] }, { env });
  cleanup.push(() => gw.close());
  return { claude, gw };
}

async function post(gw: StartedRouter, body: object): Promise<{ status: number; headers: Headers; events: Ev[]; json: Ev | undefined }> {
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return { status: res.status, headers: res.headers, events: [], json: JSON.parse(text) as Ev };
  const raw: StreamEvent[] = text.split('\n\n').filter((b) => b.includes('data:')).map((b) => {
    const lines = b.split('\n');
    return { event: lines.find((l) => l.startsWith('event:'))?.slice(6).trim(), data: lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n') };
  });
  // A final error Codex maps arrives as the kernel's one-event stream (a lone response.failed, core/codex-failure.ts).
  const lone = raw.length === 1 && (JSON.parse(raw[0]!.data) as Ev).type === 'response.failed';
  return { status: res.status, headers: res.headers, events: lone ? [JSON.parse(raw[0]!.data) as Ev] : assertResponsesStream(raw), json: undefined };
}

const MODEL = 'claude-sonnet-4-5';
const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const terminal = (events: Ev[]) => events.at(-1)!;
const tools = [{ type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } }];
const request = (input: object[], extra: object = {}) => ({ model: MODEL, stream: true, input, tools, tool_choice: 'auto', parallel_tool_calls: true, store: false, include: ['reasoning.encrypted_content'], ...extra });

describe('messages-translator through the gateway', () => {
  it('streams text from a clean Messages request with the key and version headers', async () => {
    const { claude, gw } = await setup();
    claude.enqueue(messagesReply({ text: 'Hello there' }));
    const { status, events } = await post(gw, request([user('hi')]));
    expect(status).toBe(200);
    expect(terminal(events)).toMatchObject({ type: 'response.completed', response: { model: MODEL, output: [{ type: 'message', content: [{ text: 'Hello there' }] }] } });
    const sent = claude.requests[0]!;
    expect(sent.url).toBe('/v1/messages');
    expect(sent.headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01', accept: 'text/event-stream', 'content-type': 'application/json' });
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.headers['anthropic-beta']).toBeUndefined();
    expect(claude.violations).toEqual([]);
  });

  it('round-trips thinking with its signature through a tool loop, and turn 2 reads the prefix from cache', async () => {
    const { claude, gw } = await setup();
    const fixture = codexFixture('tool-loop-turn1').body;
    const base = { ...fixture, model: MODEL, reasoning: { effort: 'medium', summary: 'auto' } };
    claude.enqueue(messagesReply({ thinking: 'I should run echo.', tools: [{ id: 'toolu_1', name: 'exec_command', input: { cmd: 'echo hi' } }] }), messagesReply({ thinking: 'It printed hi.', text: 'Done: hi' }));
    const first = await post(gw, base);
    const output = terminal(first.events).response.output as Ev[];
    expect(output.map((i) => i.type)).toEqual(['reasoning', 'function_call']);
    expect(output[0]!.summary[0].text).toBe('I should run echo.');
    expect(claude.requests[0]!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });

    // Codex resends the history with the reasoning item (encrypted_content echoed) and the call's output.
    const input = [...(fixture.input as object[]), ...output.map(({ id: _, ...item }) => item), { type: 'function_call_output', call_id: output[1]!.call_id, output: 'hi\n' }];
    const second = await post(gw, { ...base, input });
    expect(terminal(second.events)).toMatchObject({ type: 'response.completed' });
    expect(claude.violations).toEqual([]);
    const assistant = claude.requests[1]!.body.messages.at(-2);
    expect(assistant.content[0]).toMatchObject({ type: 'thinking', thinking: 'I should run echo.' });
    expect(assistant.content[0].signature).toMatch(/^mocksig_/);

    const [u1, u2] = claude.usages;
    expect(u1!.cache_read_input_tokens).toBe(0);
    expect(u1!.cache_creation_input_tokens).toBeGreaterThan(3000);
    expect(u2!.cache_read_input_tokens).toBe(u1!.cache_creation_input_tokens);
    const usage = terminal(second.events).response.usage;
    expect(usage.input_tokens_details.cached_tokens).toBe(u2!.cache_read_input_tokens);
    expect(usage.input_tokens).toBe(u2!.input_tokens + u2!.cache_creation_input_tokens + u2!.cache_read_input_tokens);
  });

  it('with the anthropic preset, asks for interleaved thinking on requests with a thinking budget only', async () => {
    const { claude, gw } = await setup({ preset: 'anthropic', betas: ['context-1m-2025-08-07'] });
    claude.enqueue(messagesReply({ thinking: 'hm', text: 'a' }), messagesReply({ text: 'b' }));
    await post(gw, request([user('hi')], { reasoning: { effort: 'low' } }));
    await post(gw, request([user('hi')]));
    expect(claude.requests.map((r) => r.headers['anthropic-beta'])).toEqual(['context-1m-2025-08-07,interleaved-thinking-2025-05-14', 'context-1m-2025-08-07']);
  });

  it('answers a blocking request with the Responses object', async () => {
    const { claude, gw } = await setup();
    claude.enqueue(messagesReply({ text: 'blocking answer', tools: [{ name: 'exec_command', input: { cmd: 'ls' } }] }));
    const { status, json } = await post(gw, request([user('hi')], { stream: false }));
    expect(status).toBe(200);
    expect(json).toMatchObject({ object: 'response', status: 'completed', output: [{ type: 'message' }, { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}' }] });
    expect(claude.requests[0]!.body.stream).toBeUndefined();
  });

  it('maps upstream errors to what Codex acts on: overload retryable, full context, bad key, in-stream errors', async () => {
    const { claude, gw } = await setup();
    claude.enqueue(messagesError(529, 'overloaded_error', 'Overloaded'));
    const overloaded = await post(gw, request([user('hi')]));
    expect(overloaded.status).toBe(503);
    expect(overloaded.headers.get('retry-after')).toBe('1');
    expect(overloaded.json!.error).toMatchObject({ code: 'upstream_error', message: 'upstream HTTP 529: Overloaded' });

    // Final errors Codex maps come as a stream holding only their response.failed (what every Codex version shows).
    claude.enqueue(messagesError(400, 'invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'));
    expect(terminal((await post(gw, request([user('hi')]))).events).response.error.code).toBe('context_length_exceeded');

    claude.enqueue(messagesError(401, 'authentication_error', 'invalid x-api-key'));
    const denied = await post(gw, request([user('hi')]));
    expect(denied.status).toBe(200);
    expect(terminal(denied.events).response.error.code).toBe('invalid_prompt');
    expect(terminal(denied.events).response.error.message).toMatch(/rejected the credentials \(HTTP 401\)/);
    expect(JSON.stringify(denied.events)).not.toContain(KEY);

    claude.enqueue(messagesReply({ text: 'partial answer', errorAfterBlocks: { blocks: 1, type: 'overloaded_error', message: 'Overloaded' } }));
    const cut = await post(gw, request([user('hi')]));
    expect(terminal(cut.events).response.error).toEqual({ code: 'upstream_overloaded', message: 'upstream error (overloaded_error): Overloaded' });
  });

  it('reports a max_tokens stop as incomplete and a refusal as a final failure Codex shows', async () => {
    const { claude, gw } = await setup();
    claude.enqueue(messagesReply({ text: 'cut sh', stopReason: 'max_tokens' }), messagesReply({ stopReason: 'refusal', stopDetails: { type: 'refusal', explanation: 'Not allowed.' } }));
    expect(terminal((await post(gw, request([user('hi')]))).events)).toMatchObject({ type: 'response.incomplete', response: { incomplete_details: { reason: 'max_output_tokens' } } });
    expect(terminal((await post(gw, request([user('hi')]))).events).response.error).toEqual({ code: 'invalid_prompt', message: 'the model declined to answer (stop reason refusal): Not allowed.' });
  });

  it('serves a Codex catalogue from the upstream model list with real limits and reasoning levels', async () => {
    const { gw } = await setup({ models: ['claude-haiku-4-5'] });
    const res = await fetch(`${gw.url}/v1/models?client_version=0.169.0`);
    const catalog = (await res.json()) as { models: Ev[] };
    expect(validateCatalog(catalog).valid).toBe(true);
    const bySlug = new Map(catalog.models.map((m) => [m.slug, m]));
    expect([...bySlug.keys()]).toEqual(['claude-sonnet-4-5', 'claude-opus-4-6', 'claude-haiku-4-5']);
    expect(bySlug.get('claude-opus-4-6')).toMatchObject({ context_window: 200000, default_reasoning_level: 'medium' });
    expect(bySlug.get('claude-sonnet-4-5')!.supported_reasoning_levels.map((l: Ev) => l.effort)).toEqual(['low', 'medium', 'high', 'xhigh']);
    expect(bySlug.get('claude-sonnet-4-5')!.apply_patch_tool_type).toBe('freeform');
  });

  it('sends the key as a bearer token when asked, and names the missing variable', async () => {
    const { claude, gw } = await setup({ authHeader: 'authorization' });
    claude.enqueue(messagesReply({ text: 'ok' }));
    await post(gw, request([user('hi')]));
    expect(claude.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(claude.requests[0]!.headers['x-api-key']).toBeUndefined();

    const bare = await startRouter({ plugins: [[messagesTranslator, { preset: 'anthropic', baseUrl: claude.url }]] });
    cleanup.push(() => bare.close());
    const missing = await post(bare, request([user('hi')]));
    expect(missing.status).toBe(400);
    expect(missing.json!.error).toMatchObject({ code: 'missing_api_key' });
    expect(missing.json!.error.message).toContain('ANTHROPIC_API_KEY');
  });
});

describe('long texts through the gateway', () => {
  /** A text as Codex may write it but JSON.stringify never would (`\/`): it reaches the upstream only if kept as bytes. */
  const escaped = (text: string) => text.replaceAll('src/', 'src\\/');
  const patch = `*** Begin Patch\n*** Add File: src/big.ts\n${'+const x = "src/a";\n'.repeat(200)}*** End Patch\n`;
  const postText = (gw: StartedRouter, text: string) => fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });

  it("sends Codex's long texts as the bytes it sent, and the same request as the parsed body would make", async () => {
    const { claude, gw } = await setup();
    claude.enqueue(messagesReply({ text: 'one' }), messagesReply({ text: 'two' }));
    const fixture = codexFixture('tool-loop-turn2-with-function-call-output').body;
    const input = [...(fixture.input as object[]), { type: 'custom_tool_call', call_id: 'p1', name: 'apply_patch', input: patch }, { type: 'custom_tool_call_output', call_id: 'p1', output: `Done: src/big.ts\n${'ok '.repeat(400)}` }, user('next')];
    const body = { ...fixture, model: MODEL, input, tools: [...(fixture.tools as object[]), { type: 'custom', name: 'apply_patch', description: 'Edit files.' }] };
    const text = escaped(JSON.stringify(body));
    expect((await postText(gw, text)).status).toBe(200);
    expect((await postText(gw, JSON.stringify(body))).status).toBe(200);
    const [kept, canonical] = claude.requests;
    // The instructions (a developer message), the patch and the tool output: each as written.
    expect(kept!.raw.toString().split('src\\/').length - 1).toBe(text.split('src\\/').length - 1);
    expect(canonical!.raw.toString()).not.toContain('src\\/');
    expect(kept!.body).toEqual(canonical!.body);
    expect(kept!.body.messages.at(-2).content.at(-1)).toMatchObject({ type: 'tool_use', name: 'apply_patch', input: { patch } });
    expect(claude.violations).toEqual([]);
  });

  it('with the response store, keeps the request parsed whole and sends it back with the next turn', async () => {
    const { claude, gw } = await setup({}, { CODEX_CODE_ROUTER_STATE_DIR: tempDir('messages-store-') });
    claude.enqueue(messagesReply({ text: 'first answer' }), messagesReply({ text: 'second answer' }));
    const long = `Read src/app.ts: ${'line of src/app.ts\n'.repeat(2_000)}`;
    const first = await postText(gw, escaped(JSON.stringify({ model: MODEL, stream: true, input: [user(long)] })));
    const id = terminal(await eventsOf(first)).response.id as string;
    expect(claude.requests[0]!.body.messages[0].content[0].text).toBe(long);
    expect(claude.requests[0]!.raw.toString()).not.toContain('src\\/');
    const second = await postText(gw, JSON.stringify({ model: MODEL, stream: true, previous_response_id: id, input: [user('and then?')] }));
    expect(terminal(await eventsOf(second))).toMatchObject({ type: 'response.completed' });
    expect(claude.requests[1]!.body.messages.map((t: Ev) => t.content.map((b: Ev) => b.text))).toEqual([[long], ['first answer'], ['and then?']]);
    expect(claude.violations).toEqual([]);
  });
});

async function eventsOf(res: Response): Promise<Ev[]> {
  expect(res.status).toBe(200);
  return (await res.text()).split('\n\n').filter((b) => b.includes('data:')).map((b) => JSON.parse(b.slice(b.indexOf('data:') + 5)) as Ev);
}
