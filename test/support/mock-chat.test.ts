import { afterEach, describe, expect, it } from 'vitest';
import { chatChunks, chatError, chatStream, contextLengthError, startMockChat, type MockChat } from './mock-chat.js';

let chat: MockChat | undefined;
afterEach(async () => {
  await chat?.close();
  chat = undefined;
});

async function post(body: object): Promise<Response> {
  return fetch(`${chat!.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify(body) });
}

function dataLines(text: string): string[] {
  return text.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
}

describe('mock chat server', () => {
  it('streams scripted chunks (reasoning, text, tool calls by index, usage) then [DONE], and records the request', async () => {
    chat = await startMockChat();
    chat.enqueue(chatStream({ reasoning: ['a', 'b'], content: ['Hi'], toolCalls: [{ id: 'call_1', name: 'exec_command', arguments: ['{"cmd":', '"ls"}'] }], usage: { prompt_tokens: 9, completion_tokens: 3 } }));
    const res = await post({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const lines = dataLines(await res.text());
    expect(lines.at(-1)).toBe('[DONE]');
    const chunks = lines.slice(0, -1).map((l) => JSON.parse(l));
    expect(chunks.map((c) => c.choices[0]?.delta?.reasoning_content).filter(Boolean)).toEqual(['a', 'b']);
    const tools = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(tools).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'exec_command', arguments: '' } },
      { index: 0, function: { arguments: '{"cmd":' } },
      { index: 0, function: { arguments: '"ls"}' } },
    ]);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } });
    expect(chat.requests[0]?.body).toMatchObject({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect(chat.requests[0]?.headers.authorization).toBe('Bearer k');
  });

  it('can leave out [DONE] and the finish_reason, cut mid-stream and pace pieces', async () => {
    chat = await startMockChat();
    chat.enqueue(chatStream({ content: ['x'], finishReason: null }, { done: false }), { stream: chatChunks({ content: ['a', 'b', 'c'] }), cutAfter: 2 });
    const text = await (await post({})).text();
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('finish_reason":"stop');
    await expect((await post({})).text()).rejects.toThrow();
  });

  it('answers HTTP errors with bodies, and a 500 naming an unscripted request', async () => {
    chat = await startMockChat();
    chat.enqueue(contextLengthError(), chatError(429, 'slow down', { type: 'rate_limit_error', headers: { 'retry-after': '2' } }));
    const first = await post({});
    expect(first.status).toBe(400);
    expect(((await first.json()) as { error: { message: string } }).error.message).toMatch(/maximum context length/);
    const second = await post({});
    expect([second.status, second.headers.get('retry-after')]).toEqual([429, '2']);
    const third = await post({});
    expect(third.status).toBe(500);
    expect(await third.text()).toMatch(/no scripted response for request #2/);
  });

  it('lists models with the context field a provider uses', async () => {
    chat = await startMockChat({ models: [{ id: 'a', contextLength: 65536 }, { id: 'b', contextLength: 131072, contextField: 'context_window' }, { id: 'c' }] });
    const list = await (await fetch(`${chat.baseUrl}/models`)).json();
    expect(list).toMatchObject({ object: 'list', data: [{ id: 'a', context_length: 65536 }, { id: 'b', context_window: 131072 }, { id: 'c' }] });
    expect(chat.requests).toHaveLength(0);
    expect(chat.allRequests).toHaveLength(1);
  });
});
