import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, tool, type ModelMessage } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatError, chatStream, startMockChat, type ChatRequestRecord, type ChatResponse, type MockChat } from '../support/mock-chat.js';
import { CCRX_BIN, startServe, type ServedGateway } from '../support/serve.js';
import { spawnSync } from 'node:child_process';

// The official OpenAI SDK and the Vercel AI SDK, as their users drive them, → `ccrx serve` (a chat-translator chain,
// response store on by default) → a Chat Completions mock that refuses what a real provider refuses.
const MODEL = 'mock-model';
const API_KEY = 'sk-mock-responses-0123456789';

interface Message {
  role: string;
  content: unknown;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  reasoning_content?: string;
}

/**
 * The rules real Chat providers apply (OpenAI, DeepSeek): after the system message, user and assistant turns
 * alternate; tool messages answer, in order, the tool_calls of the assistant message right before them; and a
 * thinking model wants its reasoning back on an assistant message that called tools.
 */
function ruleBroken(messages: Message[]): string | undefined {
  const turns = messages.filter((m) => m.role !== 'system');
  if (turns[0]?.role !== 'user') return `the first message must be a user message, got ${turns[0]?.role ?? 'none'}`;
  let pending: string[] = [];
  for (let i = 0; i < turns.length; i++) {
    const m = turns[i]!;
    const before = turns[i - 1];
    if (m.role === 'tool') {
      if (m.tool_call_id !== pending[0]) return `messages[${i}]: a tool message must answer the pending tool call ${pending[0] ?? '(none)'}`;
      pending = pending.slice(1);
      continue;
    }
    if (pending.length) return `messages[${i}]: tool calls ${pending.join(', ')} have no tool message`;
    if (before && before.role === m.role) return `messages[${i}]: two ${m.role} messages in a row`;
    if (m.role === 'assistant' && m.tool_calls?.length) {
      if (!m.reasoning_content) return `messages[${i}]: an assistant message with tool_calls must carry its reasoning_content`;
      pending = m.tool_calls.map((c) => c.id);
    }
  }
  if (pending.length) return `tool calls ${pending.join(', ')} have no tool message`;
  return undefined;
}

/** Answers from the conversation: a tool call when asked for weather, its result read back, else an echo. */
function answer(request: ChatRequestRecord): ChatResponse {
  const messages = (request.body?.messages ?? []) as Message[];
  const broken = ruleBroken(messages);
  if (broken) return chatError(400, `mock provider: ${broken}`);
  const last = messages[messages.length - 1]!;
  const users = messages.filter((m) => m.role === 'user').length;
  let script: Parameters<typeof chatStream>[0];
  if (last.role === 'tool') script = { reasoning: ['Reading the tool result.'], content: [`It is ${String(last.content)}.`] };
  else if (JSON.stringify(last.content).includes('weather')) script = { reasoning: ['I should call the tool.'], toolCalls: [{ id: `call_w${users}`, name: 'get_weather', arguments: '{"city":"Paris"}' }] };
  else script = { reasoning: ['Thinking.'], content: [`answer ${users} to ${JSON.stringify(last.content)}`] };
  if (request.body?.stream === true) return chatStream(script);
  return { json: completion(script) };
}

function completion(script: Parameters<typeof chatStream>[0]): object {
  const calls = (script.toolCalls ?? []).map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  const message = { role: 'assistant', content: script.content?.join('') ?? null, reasoning_content: script.reasoning?.join(''), ...(calls.length ? { tool_calls: calls } : {}) };
  return { id: 'chatcmpl-mock', object: 'chat.completion', created: 1_700_000_000, model: MODEL, choices: [{ index: 0, message, finish_reason: calls.length ? 'tool_calls' : 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } };
}

let chat: MockChat;
let gateway: ServedGateway;
let stateDir: string;
let configFile: string;
let client: OpenAI;

const roles = (request: ChatRequestRecord | undefined) => ((request?.body?.messages ?? []) as Message[]).map((m) => m.role);
const lastRequest = () => chat.requests[chat.requests.length - 1];

async function serve(): Promise<ServedGateway> {
  const served = await startServe({ args: ['--config', configFile], env: { CODEX_CODE_ROUTER_STATE_DIR: stateDir, LOG_LEVEL: 'debug' } });
  client = new OpenAI({ baseURL: `${served.url}/mock/v1`, apiKey: API_KEY, maxRetries: 0 });
  return served;
}

beforeAll(async () => {
  chat = await startMockChat({ models: [{ id: MODEL }], respond: answer });
  const work = mkdtempSync(join(tmpdir(), 'ccrx-e2e-store-'));
  stateDir = join(work, 'state');
  configFile = join(work, 'router.config.json');
  writeFileSync(configFile, JSON.stringify({ plugins: [], providers: { mock: { plugins: [['chat-translator', { baseUrl: chat.baseUrl, apiKey: API_KEY }]] } } }));
  gateway = await serve();
});

afterAll(async () => {
  await gateway?.stop();
  await chat?.close();
});

const weatherTool = { type: 'function' as const, name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true };

describe('the OpenAI SDK chained with previous_response_id', () => {
  it('keeps a three-turn conversation: the provider receives every earlier input and answer, in order', async () => {
    const first = await client.responses.create({ model: MODEL, input: 'My name is Ada.' });
    expect(first.status).toBe('completed');
    const second = await client.responses.create({ model: MODEL, input: 'What is my name?', previous_response_id: first.id });
    expect(roles(lastRequest())).toEqual(['user', 'assistant', 'user']);
    const stream = await client.responses.create({ model: MODEL, input: 'And once more?', previous_response_id: second.id, stream: true });
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) if (event.type === 'response.completed') completed = event.response;
    const messages = lastRequest()!.body.messages as Message[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(messages[0]!.content).toBe('My name is Ada.');
    expect(messages[1]!.content).toBe(first.output_text);
    expect(messages[3]!.content).toBe(second.output_text);
    // What the store returns is what the client got in response.completed: same id, same items.
    const retrieved = await client.responses.retrieve(completed!.id);
    expect(retrieved.id).toBe(completed!.id);
    expect(retrieved.output).toEqual(completed!.output);
  });

  it('round-trips a tool loop: a lone function_call_output reaches the provider after its call and reasoning', async () => {
    const first = await client.responses.create({ model: MODEL, input: 'What is the weather in Paris?', tools: [weatherTool] });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call?.type === 'function_call' && call.name).toBe('get_weather');
    const second = await client.responses.create({ model: MODEL, previous_response_id: first.id, tools: [weatherTool], input: [{ type: 'function_call_output', call_id: call!.type === 'function_call' ? call!.call_id : '', output: 'sunny' }] });
    const messages = lastRequest()!.body.messages as Message[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(messages[1]!.reasoning_content).toBe('I should call the tool.');
    expect(messages[2]!.content).toBe('sunny');
    expect(second.output_text).toBe('It is sunny.');
  });

  it('retrieves, lists input items (paged) and deletes a response; then it is gone', async () => {
    const first = await client.responses.create({ model: MODEL, input: [{ role: 'user', content: 'one' }, { role: 'assistant', content: 'two' }, { role: 'user', content: 'three' }] });
    const page = await client.responses.inputItems.list(first.id, { limit: 2, order: 'asc' });
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    const all: unknown[] = [];
    for await (const item of client.responses.inputItems.list(first.id, { limit: 2, order: 'asc' })) all.push(item);
    expect(all.map((item) => (item as { content: { text: string }[] }).content[0]!.text)).toEqual(['one', 'two', 'three']);
    const newestFirst = await client.responses.inputItems.list(first.id);
    expect((newestFirst.data[0] as { content: { text: string }[] }).content[0]!.text).toBe('three');
    await client.responses.delete(first.id);
    await expect(client.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
  });

  it('an unknown previous_response_id throws the SDK 400 with the API code, and the provider is not called', async () => {
    const before = chat.requests.length;
    const err = await client.responses.create({ model: MODEL, input: 'hi', previous_response_id: 'resp_unknown' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found', type: 'invalid_request_error', param: 'previous_response_id' });
    expect(chat.requests.length).toBe(before);
  });
});

describe('the Vercel AI SDK with its default store (item_reference)', () => {
  it('keeps the whole history over three turns', async () => {
    const openai = createOpenAI({ baseURL: `${gateway.url}/mock/v1`, apiKey: API_KEY });
    const messages: ModelMessage[] = [{ role: 'user', content: 'Hello, I am Grace.' }];
    for (const next of ['What is my name?', 'Say it again.']) {
      const result = await generateText({ model: openai.responses(MODEL), messages, maxRetries: 0 });
      messages.push(...result.response.messages, { role: 'user', content: next });
    }
    const last = await generateText({ model: openai.responses(MODEL), messages, maxRetries: 0 });
    // The SDK sent its earlier answers as references, not as text: only the store can fill them in.
    expect(JSON.stringify(last.request.body)).toContain('"item_reference"');
    expect(JSON.stringify(last.request.body)).not.toContain('answer 1');
    const sent = lastRequest()!;
    expect(roles(sent)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(JSON.stringify(sent.body.messages[1].content)).toContain('answer 1');
    expect(JSON.stringify(sent.body.messages[3].content)).toContain('answer 2');
  });

  it('runs a tool loop: the call comes back as an item_reference with its reasoning', async () => {
    const openai = createOpenAI({ baseURL: `${gateway.url}/mock/v1`, apiKey: API_KEY });
    const result = await generateText({
      model: openai.responses(MODEL),
      prompt: 'What is the weather today?',
      tools: { get_weather: tool({ description: 'Weather of a city', inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }), execute: async () => 'cloudy' }) },
      stopWhen: ({ steps }) => steps.length >= 2,
      maxRetries: 0,
    });
    expect(result.text).toBe('It is cloudy.');
    expect(JSON.stringify(result.steps[1]!.request.body)).toContain('"item_reference"');
    const sent = lastRequest()!.body.messages as Message[];
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(sent[1]!.reasoning_content).toBe('I should call the tool.');
  });
});

describe('what is stored, and for how long', () => {
  it('a Codex-style request (store: false, whole history) is answered as before and stores nothing', async () => {
    const res = await fetch(`${gateway.url}/mock/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'codex turn' }] }], store: false, stream: true }) });
    const text = await res.text();
    const id = /"type":"response\.completed","response":\{"id":"([^"]+)"/.exec(text)?.[1];
    expect(id).toBeDefined();
    const got = await fetch(`${gateway.url}/mock/v1/responses/${id}`);
    expect(got.status).toBe(404);
  });

  it('the database file is 0600 in a 0700 folder, and responses survive a restart', async () => {
    const kept = await client.responses.create({ model: MODEL, input: 'remember me' });
    const file = join(stateDir, 'responses', 'responses.db');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'responses')).mode & 0o777).toBe(0o700);
    await gateway.stop();
    gateway = await serve();
    const again = await client.responses.retrieve(kept.id);
    expect(again.output_text).toBe(kept.output_text);
    await client.responses.create({ model: MODEL, input: 'after restart', previous_response_id: kept.id });
    expect(roles(lastRequest())).toEqual(['user', 'assistant', 'user']);
    // The logs carry no stored content.
    expect(gateway.log()).not.toContain('remember me');
  });

  it('ccrx responses lists, shows and deletes through the running gateway, and opens the file when none runs', async () => {
    const kept = await client.responses.create({ model: MODEL, input: 'for the cli' });
    const ccrx = (...args: string[]) => spawnSync(process.execPath, [CCRX_BIN, 'responses', ...args], { env: { PATH: process.env.PATH ?? '', HOME: gateway.home, CODEX_CODE_ROUTER_STATE_DIR: stateDir }, encoding: 'utf8' });
    const listed = ccrx('list', '--url', gateway.url);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(kept.id);
    expect(listed.stdout).not.toContain('for the cli');
    const shown = JSON.parse(ccrx('show', kept.id, '--url', gateway.url).stdout) as { chain: string; response: { id: string } }[];
    expect(shown[0]).toMatchObject({ chain: 'mock', response: { id: kept.id } });
    // Without --url and no background service, the CLI opens the file, which the running gateway holds.
    const held = ccrx('list', '--config', configFile);
    expect(held.status).not.toBe(0);
    expect(held.stderr).toMatch(/in use by process \d+/);
    await gateway.stop();
    const offline = ccrx('delete', kept.id, '--config', configFile);
    expect(offline.status, offline.stderr).toBe(0);
    expect(ccrx('list', '--config', configFile).stdout).not.toContain(kept.id);
    expect(ccrx('prune', '--config', configFile).stdout).toMatch(/^removed \d+/);
    gateway = await serve();
  });
});
