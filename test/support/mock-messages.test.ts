import { afterEach, describe, expect, it } from 'vitest';
import { messagesError, messagesReply, startMockMessages, type MockMessages } from './mock-messages.js';

let mock: MockMessages | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

const HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'k' };

async function post(body: object, headers: Record<string, string> = HEADERS): Promise<Response> {
  return fetch(`${mock!.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(body) });
}

function events(text: string): { event: string; data: Record<string, any> }[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return text.split('\n\n').filter(Boolean).map((block) => {
    const [eventLine, dataLine] = block.split('\n');
    return { event: eventLine!.replace(/^event: /, ''), data: JSON.parse(dataLine!.replace(/^data: /, '')) };
  });
}

const tool = { name: 'exec_command', description: 'run', input_schema: { type: 'object', properties: { cmd: { type: 'string' } } } };
const long = 'x'.repeat(8000);

describe('mock Messages server: rules', () => {
  const cases: [string, object, RegExp][] = [
    ['max_tokens is required', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, /max_tokens/],
    ['the first turn is a user turn', { model: 'm', max_tokens: 10, messages: [{ role: 'assistant', content: 'hi' }] }, /first message/],
    ['roles alternate', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }, /alternate/],
    ['text blocks are non-empty', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, /non-empty/],
    [
      'each tool_use gets its tool_result in the next turn',
      { model: 'm', max_tokens: 10, tools: [tool], messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'exec_command', input: {} }, { type: 'tool_use', id: 't2', name: 'exec_command', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] }] },
      /without `tool_result`.*t2/,
    ],
    [
      'tool_result blocks come first',
      { model: 'm', max_tokens: 10, tools: [tool], messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'exec_command', input: {} }] }, { role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'tool_result', tool_use_id: 't1', content: 'ok' }] }] },
      /must come first/,
    ],
    [
      'a tool_result names a tool_use of the turn before',
      { model: 'm', max_tokens: 10, tools: [tool], messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'nope', content: 'ok' }] }] },
      /unexpected `tool_use_id`/,
    ],
    ['at most four breakpoints', { model: 'm', max_tokens: 10, system: [1, 2, 3, 4, 5].map((n) => ({ type: 'text', text: `s${n}`, cache_control: { type: 'ephemeral' } })), messages: [{ role: 'user', content: 'a' }] }, /maximum of 4 blocks with cache_control.*Found 5/],
    ['the thinking budget is below max_tokens', { model: 'm', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 4000 }, messages: [{ role: 'user', content: 'a' }] }, /greater than `thinking.budget_tokens`/],
    ['forced tool use excludes thinking', { model: 'm', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [tool], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'a' }] }, /forces tool use/],
    [
      'a thinking block sent back must carry its signature',
      { model: 'm', max_tokens: 4000, messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 'forged' }, { type: 'text', text: 'b' }] }, { role: 'user', content: 'c' }] },
      /Invalid `signature`/,
    ],
    [
      'a continued tool turn under thinking opens with its thinking',
      { model: 'm', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [tool], messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'exec_command', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] }] },
      /must start with a thinking block/,
    ],
    ['tool names follow the pattern', { model: 'm', max_tokens: 10, tools: [{ ...tool, name: 'ns.tool' }], messages: [{ role: 'user', content: 'a' }] }, /pattern/],
  ];
  for (const [rule, body, message] of cases) {
    it(`rejects a request that breaks it: ${rule}`, async () => {
      mock = await startMockMessages();
      const res = await post(body);
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(answer).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(answer.error.message).toMatch(message);
      expect(mock.violations).toEqual([{ index: 0, message: answer.error.message }]);
    });
  }

  it('requires anthropic-version and, when configured, the API key', async () => {
    mock = await startMockMessages({ apiKey: 'k' });
    const body = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'a' }] };
    expect((await post(body, { 'content-type': 'application/json', 'x-api-key': 'wrong', 'anthropic-version': '2023-06-01' })).status).toBe(401);
    expect((await post(body, { 'content-type': 'application/json', 'x-api-key': 'k' })).status).toBe(400);
    mock.enqueue(messagesReply({ text: 'ok' }));
    expect((await post(body, { 'content-type': 'application/json', authorization: 'Bearer k', 'anthropic-version': '2023-06-01' })).status).toBe(200);
  });
});

describe('mock Messages server: answers', () => {
  it('streams a reply as the API does, and takes its signed thinking back on the next turn', async () => {
    mock = await startMockMessages();
    mock.enqueue(messagesReply({ thinking: 'I should run ls.', text: 'Running it.', tools: [{ id: 'toolu_1', name: 'exec_command', input: { cmd: 'ls' } }], pieceSize: 4 }));
    const first = { model: 'claude-x', max_tokens: 4000, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [tool], messages: [{ role: 'user', content: 'list files' }] };
    const res = await post(first);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = events(await res.text());
    expect(stream.map((e) => e.event)).toEqual([
      'message_start', 'ping',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
    expect(stream.every((e) => e.event === e.data.type)).toBe(true);
    const thinking = stream.filter((e) => e.data.delta?.type === 'thinking_delta').map((e) => e.data.delta.thinking).join('');
    const signature = stream.find((e) => e.data.delta?.type === 'signature_delta')!.data.delta.signature as string;
    const json = stream.filter((e) => e.data.delta?.type === 'input_json_delta').map((e) => e.data.delta.partial_json).join('');
    expect(thinking).toBe('I should run ls.');
    expect(JSON.parse(json)).toEqual({ cmd: 'ls' });
    expect(stream.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'tool_use' } });

    mock.enqueue(messagesReply({ text: 'Done.' }));
    const history = [...first.messages, { role: 'assistant', content: [{ type: 'thinking', thinking, signature }, { type: 'text', text: 'Running it.' }, { type: 'tool_use', id: 'toolu_1', name: 'exec_command', input: { cmd: 'ls' } }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt' }] }];
    const second = await post({ ...first, stream: false, messages: history });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Done.' }], stop_reason: 'end_turn' });
    expect(mock.violations).toEqual([]);
  });

  it('accounts prompt caching: turn 2 reads the prefix turn 1 wrote, within the 20-block lookback', async () => {
    mock = await startMockMessages();
    const system = [{ type: 'text', text: long, cache_control: { type: 'ephemeral' } }];
    const turn1 = [{ role: 'user', content: [{ type: 'text', text: 'first', cache_control: { type: 'ephemeral' } }] }];
    mock.enqueue(messagesReply({ text: 'one' }), messagesReply({ text: 'two' }), messagesReply({ text: 'three' }));
    await (await post({ model: 'm', max_tokens: 100, system, messages: turn1 })).json();
    expect(mock.usages[0]!.cache_read_input_tokens).toBe(0);
    expect(mock.usages[0]!.cache_creation_input_tokens).toBeGreaterThan(2000);

    // Turn 2 moves the message breakpoint to its own end: the earlier end is 2 blocks back, found by the lookback.
    const turn2 = [{ role: 'user', content: [{ type: 'text', text: 'first' }] }, { role: 'assistant', content: 'one' }, { role: 'user', content: [{ type: 'text', text: 'second', cache_control: { type: 'ephemeral' } }] }];
    const answer = (await (await post({ model: 'm', max_tokens: 100, system, messages: turn2 })).json()) as { usage: Record<string, number> };
    expect(answer.usage.cache_read_input_tokens).toBe(mock.usages[0]!.cache_creation_input_tokens);
    expect(answer.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(answer.usage.input_tokens).toBe(0);

    // Another model shares nothing; without breakpoints nothing is read or written.
    await post({ model: 'other', max_tokens: 100, system: long, messages: turn1.map((m) => ({ ...m, content: 'first' })) });
    expect(mock.usages[2]).toMatchObject({ cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  });

  it('counts no cache below the minimum prefix, and answers errors, raw events and context overflow', async () => {
    mock = await startMockMessages({ contextWindow: 3000 });
    mock.enqueue(messagesReply({ text: 'a' }), messagesError(529, 'overloaded_error', 'Overloaded'), { events: [{ type: 'message_start', message: {} }, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }] });
    await post({ model: 'm', max_tokens: 10, system: [{ type: 'text', text: 'short', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'a' }] });
    expect(mock.usages[0]).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const overloaded = await post({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'a' }] });
    expect(overloaded.status).toBe(529);
    expect(await overloaded.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const raw = events(await (await post({ model: 'm', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'a' }] })).text());
    expect(raw.map((e) => e.event)).toEqual(['message_start', 'error']);
    const tooLong = await post({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'y'.repeat(20000) }] });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { message: string } }).error.message).toMatch(/^prompt is too long: \d+ tokens > 3000 maximum$/);
  });
});
