import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertResponsesStream, type ResponsesEvent } from '../../../test/support/responses-check.js';
import { convertTools, GatewayError, type JsonObject } from '../../index.js';
import { openThinking } from './carrier.js';
import { translateMessage } from './non-stream.js';
import { MessagesStream } from './stream.js';

const RECORDINGS = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/real-provider-streams/anthropic-messages');
const UPSTREAM = 'claude-sonnet-4-5';

type Tool = { type: string; name: string; parameters?: object; format?: object };
const mapOf = (tools: Tool[]) => convertTools(tools, { debug() {} } as never).map;
const fn = (name: string): Tool => ({ type: 'function', name, parameters: { type: 'object', properties: {} } });

function replay(datas: object[], tools: Tool[], o: { close?: 'eof' | 'error' } = {}): { events: ResponsesEvent[]; end: ResponsesEvent } {
  const stream = new MessagesStream({ model: 'codex-model', upstreamModel: UPSTREAM, map: mapOf(tools) });
  const raw = [...stream.open(), ...datas.flatMap((d) => stream.event(JSON.stringify(d))), ...(o.close === 'error' ? stream.failWith({ code: 'stream_incomplete', message: 'cut' }) : stream.end())];
  const events = assertResponsesStream(raw);
  return { events, end: events.at(-1)! };
}

const start = (usage: object = { input_tokens: 10, output_tokens: 1 }, id = 'msg_1') => ({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model: UPSTREAM, content: [], stop_reason: null, usage } });
const blockStart = (index: number, content_block: object) => ({ type: 'content_block_start', index, content_block });
const delta = (index: number, d: object) => ({ type: 'content_block_delta', index, delta: d });
const stop = (index: number) => ({ type: 'content_block_stop', index });
const finish = (stop_reason: string, usage: object = { output_tokens: 5 }, extra: object = {}) => [{ type: 'message_delta', delta: { stop_reason, stop_sequence: null, ...extra }, usage }, { type: 'message_stop' }];
const text = (index: number, ...pieces: string[]) => [blockStart(index, { type: 'text', text: '' }), ...pieces.map((t) => delta(index, { type: 'text_delta', text: t })), stop(index)];

/** One recording's events, split into the responses it holds (each ends with its `message_stop`). */
function responsesOf(file: string): object[][] {
  const lines = readFileSync(join(RECORDINGS, file), 'utf8').split('\n').filter((l) => l.trim());
  const out: object[][] = [[]];
  for (const line of lines) {
    const event = JSON.parse(line) as { type: string };
    out.at(-1)!.push(event);
    if (event.type === 'message_stop') out.push([]);
  }
  return out.filter((r) => r.length);
}

/** Every tool name a recording calls, declared as a function, so its calls map back. */
function toolsIn(events: object[]): Tool[] {
  const names = new Set<string>();
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'tool_use' && typeof o.name === 'string') names.add(o.name);
      Object.values(o).forEach(visit);
    }
  };
  visit(events);
  return [...names].map(fn);
}

/** What a recording says, to compare with what reached Codex: text, thinking, calls and their arguments. */
function contentOf(events: object[]): { text: string; thinking: string[]; signatures: string[]; calls: { name: string; input: unknown }[]; stop?: string } {
  const blocks = new Map<number, { type: string; text: string; thinking: string; signature: string; name: string; json: string; input: unknown }>();
  const order: number[] = [];
  let stopReason: string | undefined;
  const add = (index: number, b: Record<string, any>) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    blocks.set(index, { type: b.type, text: b.text ?? '', thinking: b.thinking ?? '', signature: b.signature ?? '', name: b.name ?? '', json: '', input: b.input });
    order.push(index);
  };
  for (const e of events as Record<string, any>[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (e.type === 'message_start') {
      (e.message.content ?? []).forEach((b: object, i: number) => add(i, b));
      stopReason = e.message.stop_reason ?? stopReason;
    }
    if (e.type === 'content_block_start') add(e.index, e.content_block);
    if (e.type === 'content_block_delta') {
      const b = blocks.get(e.index)!;
      b.text += e.delta.text ?? '';
      b.thinking += e.delta.thinking ?? '';
      b.signature += e.delta.signature ?? '';
      b.json += e.delta.partial_json ?? '';
    }
    if (e.type === 'message_delta') stopReason = e.delta.stop_reason ?? stopReason;
  }
  const list = order.map((i) => blocks.get(i)!);
  return {
    text: list.filter((b) => b.type === 'text').map((b) => b.text).join(''),
    thinking: list.filter((b) => b.type === 'thinking').map((b) => b.thinking),
    signatures: list.filter((b) => b.type === 'thinking').map((b) => b.signature),
    calls: list.filter((b) => b.type === 'tool_use').map((b) => ({ name: b.name, input: b.json ? JSON.parse(b.json) : (b.input ?? {}) })),
    stop: stopReason,
  };
}

const present = existsSync(RECORDINGS);
const files = present ? readdirSync(RECORDINGS).filter((f) => f.endsWith('.chunks.jsonl') || f.endsWith('.json')) : [];

describe.skipIf(!present)('recorded Anthropic streams replay to strict Responses streams with nothing lost', () => {
  it('finds the recordings', () => expect(files.length).toBeGreaterThanOrEqual(21));

  it.each(files.filter((f) => f.endsWith('.chunks.jsonl')))('%s', (file) => {
    for (const response of responsesOf(file)) {
      const { end, events } = replay(response, toolsIn(response));
      const want = contentOf(response);
      if (file.startsWith('spliced-message-start')) {
        // Two answers spliced into one: nothing can be trusted, and Codex retries.
        expect(end).toMatchObject({ type: 'response.failed', response: { error: { code: 'invalid_stream_event' } } });
        continue;
      }
      if (want.stop === 'refusal') {
        expect(end.type).toBe('response.failed');
        expect(end.response.error.code).toBe('invalid_prompt');
        if (file === 'anthropic-refusal.chunks.jsonl') expect(end.response.error.message).toContain('Usage Policy');
        continue;
      }
      expect(end.type).toBe('response.completed');
      const output = end.response.output as JsonObject[];
      const texts = output.filter((i) => i.type === 'message').map((i) => (i.content as { text: string }[]).map((p) => p.text).join('')).join('');
      expect(texts).toBe(want.text);
      const reasoning = output.filter((i) => i.type === 'reasoning');
      expect(reasoning.map((r) => (r.summary as { text: string }[]).map((p) => p.text).join(''))).toEqual(want.thinking);
      expect(reasoning.map((r) => (openThinking(r.encrypted_content)!.blocks[0] as { signature: string }).signature)).toEqual(want.signatures);
      const calls = output.filter((i) => i.type === 'function_call').map((c) => ({ name: c.name, input: JSON.parse(c.arguments as string) }));
      expect(calls).toEqual(want.calls);
      expect(events.filter((e) => e.type === 'response.function_call_arguments.delta').length).toBeGreaterThanOrEqual(calls.length);
      // Usage as the API counts it: message_start's, then each message_delta's fields over it.
      const typed = response as { type: string; usage?: Record<string, number>; message?: { usage?: Record<string, number> } }[];
      const usage = Object.assign({}, typed.find((e) => e.type === 'message_start')?.message?.usage, ...typed.filter((e) => e.type === 'message_delta').map((e) => e.usage)) as Record<string, number>;
      expect(end.response.usage.input_tokens).toBe((usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0));
      expect(end.response.usage.input_tokens_details.cached_tokens).toBe(usage.cache_read_input_tokens ?? 0);
      expect(end.response.usage.output_tokens).toBe(usage.output_tokens ?? 0);
    }
  });

  it.each(files.filter((f) => f.endsWith('.json')))('%s (a whole answer)', (file) => {
    const message = JSON.parse(readFileSync(join(RECORDINGS, file), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const tools = toolsIn([message]);
    const options = { model: 'codex-model', upstreamModel: UPSTREAM, map: mapOf(tools) };
    if (message.stop_reason === 'refusal') {
      expect(() => translateMessage(message, options)).toThrow(GatewayError);
      return;
    }
    const response = translateMessage(message, options);
    expect(response.status).toBe('completed');
    const output = response.output as JsonObject[];
    const blocks = message.content as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(output.filter((i) => i.type === 'message').map((i) => (i.content as { text: string }[])[0]!.text).join('')).toBe(blocks.filter((b) => b.type === 'text').map((b) => b.text).join(''));
    expect(output.filter((i) => i.type === 'function_call').map((c) => [c.name, JSON.parse(c.arguments as string), c.call_id])).toEqual(blocks.filter((b) => b.type === 'tool_use').map((b) => [b.name, b.input, b.id]));
    const thinking = blocks.filter((b) => b.type === 'thinking');
    expect(output.filter((i) => i.type === 'reasoning').map((r) => openThinking(r.encrypted_content)!.blocks[0])).toEqual(thinking.map((b) => ({ type: 'thinking', thinking: b.thinking, signature: b.signature })));
    expect(response.usage).toMatchObject({ input_tokens: message.usage.input_tokens + message.usage.cache_creation_input_tokens + message.usage.cache_read_input_tokens, output_tokens: message.usage.output_tokens });
  });
});

describe('Messages stream → Responses', () => {
  it('streams thinking as reasoning with the signed block carried in encrypted_content, then text', () => {
    const { end, events } = replay([start(), blockStart(0, { type: 'thinking', thinking: '', signature: '' }), delta(0, { type: 'thinking_delta', thinking: 'Let me ' }), delta(0, { type: 'thinking_delta', thinking: 'think.' }), delta(0, { type: 'signature_delta', signature: 'sig-123' }), stop(0), ...text(1, 'Hel', 'lo'), ...finish('end_turn')], []);
    expect(end.type).toBe('response.completed');
    expect(events.filter((e) => e.type === 'response.reasoning_summary_text.delta').map((e) => e.delta)).toEqual(['Let me ', 'think.']);
    const [reasoning, message] = end.response.output;
    expect(openThinking(reasoning.encrypted_content)).toEqual({ blocks: [{ type: 'thinking', thinking: 'Let me think.', signature: 'sig-123' }], model: UPSTREAM });
    expect(message.content[0].text).toBe('Hello');
  });

  it('carries redacted thinking through untouched', () => {
    const { end } = replay([start(), blockStart(0, { type: 'redacted_thinking', data: 'opaque' }), stop(0), ...text(1, 'ok'), ...finish('end_turn')], []);
    expect(openThinking(end.response.output[0].encrypted_content)!.blocks).toEqual([{ type: 'redacted_thinking', data: 'opaque' }]);
  });

  it('streams tool input as argument deltas and finalizes calls only once the stop reason is known', () => {
    const tools = [fn('exec_command'), fn('read_file')];
    const datas = [start(), ...text(0, 'Running.'), blockStart(1, { type: 'tool_use', id: 'toolu_a', name: 'exec_command', input: {} }), delta(1, { type: 'input_json_delta', partial_json: '' }), delta(1, { type: 'input_json_delta', partial_json: '{"cmd":' }), delta(1, { type: 'input_json_delta', partial_json: '"ls"}' }), stop(1), blockStart(2, { type: 'tool_use', id: 'toolu_b', name: 'read_file', input: {} }), stop(2)];
    const stream = new MessagesStream({ model: 'm', upstreamModel: UPSTREAM, map: mapOf(tools) });
    const before = [...stream.open(), ...datas.flatMap((d) => stream.event(JSON.stringify(d)))].map((e) => JSON.parse(e.data) as ResponsesEvent);
    expect(before.filter((e) => e.type === 'response.output_item.done' && e.item.type === 'function_call')).toEqual([]);
    const after = finish('tool_use').flatMap((d) => stream.event(JSON.stringify(d))).map((e) => JSON.parse(e.data) as ResponsesEvent);
    const end = after.at(-1)!;
    expect(end.type).toBe('response.completed');
    expect(end.response.output.map((i: JsonObject) => [i.type, i.call_id, i.arguments])).toEqual([['message', undefined, undefined], ['function_call', 'toolu_a', '{"cmd":"ls"}'], ['function_call', 'toolu_b', '{}']]);
    assertResponsesStream([...stream.open(), ...[...before, ...after].map((e) => ({ event: e.type, data: JSON.stringify(e) }))].slice(0));
  });

  it('sends a custom tool (apply_patch) back as custom_tool_call with its raw input decoded live', () => {
    const tools = [{ type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } }];
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+héllo "x"\n*** End Patch\n';
    const json = JSON.stringify({ patch });
    const pieces = [json.slice(0, 5), json.slice(5, 30), json.slice(30)];
    const { end, events } = replay([start(), blockStart(0, { type: 'tool_use', id: 'toolu_p', name: 'apply_patch', input: {} }), ...pieces.map((p) => delta(0, { type: 'input_json_delta', partial_json: p })), stop(0), ...finish('tool_use')], tools);
    expect(end.response.output[0]).toMatchObject({ type: 'custom_tool_call', call_id: 'toolu_p', name: 'apply_patch', input: patch });
    expect(events.filter((e) => e.type === 'response.custom_tool_call_input.delta').length).toBeGreaterThan(1);
  });

  it('maps a namespace tool back to its namespace and name', () => {
    const tools = [{ type: 'namespace', name: 'mcp__srv', tools: [fn('search')] }] as unknown as Tool[];
    const { end } = replay([start(), blockStart(0, { type: 'tool_use', id: 't', name: 'mcp__srv-search', input: {} }), delta(0, { type: 'input_json_delta', partial_json: '{"q":1}' }), stop(0), ...finish('tool_use')], tools);
    expect(end.response.output[0]).toMatchObject({ type: 'function_call', namespace: 'mcp__srv', name: 'search', arguments: '{"q":1}' });
  });

  it('ends max_tokens as incomplete (calls dropped), refusal and context overflow as final failures, pause_turn and stop_sequence as completed', () => {
    const tools = [fn('exec_command')];
    const cut = replay([start(), ...text(0, 'partial'), blockStart(1, { type: 'tool_use', id: 't', name: 'exec_command', input: {} }), delta(1, { type: 'input_json_delta', partial_json: '{"cmd":"l' }), ...finish('max_tokens')], tools).end;
    expect(cut).toMatchObject({ type: 'response.incomplete', response: { incomplete_details: { reason: 'max_output_tokens' } } });
    expect(cut.response.output.map((i: JsonObject) => i.type)).toEqual(['message']);
    const refused = replay([start(), ...finish('refusal', { output_tokens: 1 }, { stop_details: { type: 'refusal', explanation: 'Blocked under policy.' } })], []).end;
    expect(refused.response.error).toEqual({ code: 'invalid_prompt', message: 'the model declined to answer (stop reason refusal): Blocked under policy.' });
    expect(replay([start(), ...text(0, 'x'), ...finish('model_context_window_exceeded')], []).end.response.error.code).toBe('context_length_exceeded');
    expect(replay([start(), ...text(0, 'x'), ...finish('pause_turn')], []).end.type).toBe('response.completed');
    expect(replay([start(), ...text(0, 'x'), ...finish('stop_sequence')], []).end.type).toBe('response.completed');
    expect(replay([start(), ...text(0, 'x'), ...finish('something_new')], []).end.response.error.code).toBe('unknown_stop_reason');
  });

  it('reports usage with cache reads and writes, the later message_delta winning', () => {
    const { end } = replay([start({ input_tokens: 5, cache_creation_input_tokens: 100, cache_read_input_tokens: 4000, output_tokens: 1 }), ...text(0, 'x'), ...finish('end_turn', { input_tokens: 6, output_tokens: 42 })], []);
    expect(end.response.usage).toEqual({ input_tokens: 4106, input_tokens_details: { cached_tokens: 4000 }, output_tokens: 42, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 4148 });
  });

  it('fails retryably on overload and server errors, finally with the provider words on others, context overflow as Codex knows it', () => {
    const failure = (error: object) => replay([start(), ...text(0, 'x'), { type: 'error', error }], []).end.response.error;
    expect(failure({ type: 'overloaded_error', message: 'Overloaded' })).toEqual({ code: 'upstream_overloaded', message: 'upstream error (overloaded_error): Overloaded' });
    expect(failure({ type: 'api_error', message: 'Internal' }).code).toBe('upstream_overloaded');
    expect(failure({ type: 'invalid_request_error', message: 'bad thing' })).toEqual({ code: 'invalid_prompt', message: 'upstream error (invalid_request_error): bad thing' });
    expect(failure({ type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' }).code).toBe('context_length_exceeded');
  });

  it('fails a stream that ends or is cut before its stop reason, and one with events it cannot follow', () => {
    expect(replay([start(), ...text(0, 'x')], []).end.response.error.code).toBe('stream_incomplete');
    expect(replay([start(), ...text(0, 'x')], [], { close: 'error' }).end.response.error.code).toBe('stream_incomplete');
    // A stop reason without message_stop (the connection closed after it) is still complete.
    expect(replay([start(), ...text(0, 'x'), finish('end_turn')[0]!], []).end.type).toBe('response.completed');
    expect(replay([start(), delta(3, { type: 'text_delta', text: 'x' })], []).end.response.error.code).toBe('invalid_stream_event');
    expect(replay([start(), blockStart(0, { type: 'tool_use', id: 't', name: 'undeclared', input: {} })], []).end.response.error.code).toBe('invalid_tool_call');
    const stream = new MessagesStream({ model: 'm', upstreamModel: UPSTREAM, map: mapOf([]) });
    const events = assertResponsesStream([...stream.open(), ...stream.event('not json'), ...stream.event(JSON.stringify(start())), ...stream.end()]);
    expect(events.at(-1)!.response.error.code).toBe('invalid_stream_event');
  });

  it('keeps Codex alive while the upstream is silent, and a ping changes nothing', () => {
    const stream = new MessagesStream({ model: 'm', upstreamModel: UPSTREAM, map: mapOf([]) });
    const raw = [...stream.idle(), ...stream.idle(), ...[start(), { type: 'ping' }, ...text(0, 'x'), ...finish('end_turn')].flatMap((d) => stream.event(JSON.stringify(d)))];
    const events = assertResponsesStream(raw);
    expect(events.map((e) => e.type).slice(0, 3)).toEqual(['response.created', 'response.in_progress', 'response.in_progress']);
  });

  it('is checked by a contract checker that does refuse broken streams', () => {
    const stream = new MessagesStream({ model: 'm', upstreamModel: UPSTREAM, map: mapOf([fn('exec_command')]) });
    const good = [...stream.open(), ...[start(), ...text(0, 'x'), ...finish('end_turn')].flatMap((d) => stream.event(JSON.stringify(d)))];
    expect(() => assertResponsesStream(good)).not.toThrow();
    expect(() => assertResponsesStream([...good, good.at(-1)!])).toThrow(/sequence_number|terminal/);
    expect(() => assertResponsesStream(good.filter((e) => !e.data.includes('output_text.delta')))).toThrow(/sequence_number|streamed deltas/);
    expect(() => assertResponsesStream(good.filter((e) => !e.data.includes('"response.output_item.done"')))).toThrow(/never done|sequence_number/);
  });
});
