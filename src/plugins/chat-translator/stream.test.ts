import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertTools, createLogger } from '../../index.js';
import { translateCompletion } from './non-stream.js';
import { decodeCarrier } from './reasoning-carrier.js';
import { ResponseStream } from './stream-state.js';

type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const log = createLogger({ level: 'silent', pretty: false });
const tools = [
  { type: 'function', name: 'exec_command' },
  { type: 'custom', name: 'apply_patch' },
  { type: 'namespace', name: 'mcp__node_repl', tools: [{ type: 'function', name: 'js' }] },
  { type: 'function', name: 'foo-bar' },
  { type: 'namespace', name: 'collaboration', tools: [{ type: 'function', name: 'spawn_agent' }] },
];

function newStream() {
  return new ResponseStream({ model: 'gpt-5.4', upstreamModel: 'deepseek-v4-pro', map: convertTools(tools, log).map });
}

const chunk = (delta: object, finish: string | null = null, extra: object = {}) => JSON.stringify({ id: 'c', choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
const usageChunk = (usage: object) => JSON.stringify({ id: 'c', choices: [], usage });
const tc = (index: number, fn: { name?: string; arguments?: string }, id?: string) => ({ tool_calls: [{ index, ...(id ? { id, type: 'function' } : {}), function: fn }] });

function run(datas: string[], ending: 'eof' | 'error' = 'eof'): Ev[] {
  const s = newStream();
  const events = [...s.open(), ...datas.flatMap((d) => s.chunk(d)), ...(ending === 'eof' ? s.end() : s.failWith({ code: 'stream_incomplete', message: 'cut' }))];
  return events.map((e) => JSON.parse(e.data) as Ev);
}
const types = (events: Ev[]) => events.map((e) => e.type as string);
const last = (events: Ev[]) => events[events.length - 1]!;

describe('stream translation', () => {
  it('emits the full sequence for reasoning then text (acceptance 15, 16)', () => {
    const events = run([chunk({ role: 'assistant', reasoning_content: 'think ' }), chunk({ reasoning_content: 'through it' }), chunk({ content: 'OK' }), chunk({}, 'stop'), usageChunk({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 }), '[DONE]']);
    expect(types(events)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.delta',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[2]).toMatchObject({ output_index: 0, item: { type: 'reasoning' } });
    expect(events[6]).toMatchObject({ output_index: 1, item: { type: 'message' } });
    const reasoningDone = events[11]!.item;
    expect(reasoningDone.summary).toEqual([{ type: 'summary_text', text: 'think through it' }]);
    expect(decodeCarrier(reasoningDone.encrypted_content)).toEqual({ text: 'think through it', field: 'reasoning_content', model: 'deepseek-v4-pro' });
    const done = last(events).response;
    expect(done).toMatchObject({ status: 'completed', model: 'gpt-5.4', object: 'response' });
    expect(done.id).toMatch(/^resp_/);
    expect(done.output.map((i: Ev) => i.type)).toEqual(['reasoning', 'message']);
    expect(done.output[1].content[0].text).toBe('OK');
    expect(done.usage).toEqual({ input_tokens: 9, output_tokens: 3, total_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } });
  });

  it('reads delta.reasoning like reasoning_content (acceptance 17)', () => {
    const events = run([chunk({ reasoning: 'alias ' }), chunk({ reasoning: 'path' }), chunk({ content: 'x' }, 'stop')]);
    expect(last(events).response.output[0].summary[0].text).toBe('alias path');
    expect(decodeCarrier(last(events).response.output[0].encrypted_content)!.field).toBe('reasoning');
  });

  it('streams tool arguments live and finalizes only at the end (acceptance 18)', () => {
    const s = newStream();
    s.open();
    const first = s.chunk(chunk(tc(0, { name: 'exec_command', arguments: '' }, 'call_1'))).map((e) => JSON.parse(e.data) as Ev);
    expect(first).toEqual([]);
    const second = s.chunk(chunk(tc(0, { arguments: '{"cmd":' }))).map((e) => JSON.parse(e.data) as Ev);
    expect(types(second)).toEqual(['response.output_item.added', 'response.function_call_arguments.delta']);
    expect(second[0]!.item).toMatchObject({ type: 'function_call', name: 'exec_command', call_id: 'call_1', arguments: '', status: 'in_progress' });
    const third = s.chunk(chunk(tc(0, { arguments: '"ls"}' }))).map((e) => JSON.parse(e.data) as Ev);
    expect(types(third)).toEqual(['response.function_call_arguments.delta']);
    const fin = s.chunk(chunk({}, 'tool_calls')).map((e) => JSON.parse(e.data) as Ev);
    expect(fin).toEqual([]);
    const end = s.chunk('[DONE]').map((e) => JSON.parse(e.data) as Ev);
    expect(types(end)).toEqual(['response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
    expect(end[1]!.item).toMatchObject({ arguments: '{"cmd":"ls"}', status: 'completed' });
  });

  it('gives namespaced calls back with namespace and inner name; flat hyphen names stay flat (acceptance 19)', () => {
    const events = run([chunk(tc(0, { name: 'mcp__node_repl-js', arguments: '{}' }, 'a')), chunk(tc(1, { name: 'foo-bar', arguments: '{}' }, 'b')), chunk({}, 'tool_calls')]);
    const output = last(events).response.output;
    expect(output[0]).toMatchObject({ type: 'function_call', name: 'js', namespace: 'mcp__node_repl' });
    expect(output[1]).toMatchObject({ type: 'function_call', name: 'foo-bar' });
    expect(output[1]).not.toHaveProperty('namespace');
    expect(events.find((e) => e.type === 'response.output_item.added')!.item.namespace).toBe('mcp__node_repl');
  });

  it('turns apply_patch back into a custom_tool_call with decoded input deltas (acceptance 20)', () => {
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+héllo "x" \\ 😀\n*** End Patch\n';
    const args = JSON.stringify({ patch });
    const pieces = [args.slice(0, 3), args.slice(3, 12), args.slice(12, 40), args.slice(40, 47), args.slice(47)];
    const events = run([chunk(tc(0, { name: 'apply_patch', arguments: pieces[0] }, 'p1')), ...pieces.slice(1).map((p) => chunk(tc(0, { arguments: p }))), chunk({}, 'tool_calls')]);
    const deltas = events.filter((e) => e.type === 'response.custom_tool_call_input.delta').map((e) => e.delta as string);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(patch);
    expect(events.find((e) => e.type === 'response.custom_tool_call_input.done')!.input).toBe(patch);
    expect(last(events).response.output).toEqual([expect.objectContaining({ type: 'custom_tool_call', name: 'apply_patch', call_id: 'p1', input: patch })]);
    expect(JSON.stringify(events)).not.toContain('"type":"function_call"');
  });

  it('normalizes zero-argument calls to "{}" (acceptance 21)', () => {
    const events = run([chunk(tc(0, { name: 'exec_command' }, 'z')), chunk({}, 'tool_calls'), '[DONE]']);
    expect(last(events).response.output[0].arguments).toBe('{}');
    const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
    expect(deltas).toBe('{}');
  });

  it('completes without [DONE] after a finish_reason and fails closed without one (acceptance 22)', () => {
    expect(last(run([chunk({ content: 'Hello' }), chunk({ content: ' world' }, 'stop')])).response.output[0].content[0].text).toBe('Hello world');
    const cut = run([chunk(tc(0, { name: 'exec_command', arguments: '{"cmd":"rm' }, 'x'))]);
    expect(last(cut)).toMatchObject({ type: 'response.failed', response: { status: 'failed', output: [], error: { code: 'stream_incomplete' } } });
    expect(types(cut)).not.toContain('response.output_item.done');
  });

  it('classifies an error inside the stream by the status it carries: final 4xx, retryable 429 and 5xx', () => {
    const failed = (error: unknown) => last(run([chunk({ content: 'a' }), JSON.stringify({ error }), '[DONE]'])).response.error as { code: string; message: string };
    // groq-gptoss-error-no-done and openrouter-minimax-length-then-error: final, with the provider's words.
    const groq = failed({ message: 'Tool call validation failed: parameters did not match schema', type: 'invalid_request_error', code: 'tool_use_failed', status_code: 400 });
    expect(groq.code).toBe('invalid_prompt');
    expect(groq.message).toContain('Tool call validation failed: parameters did not match schema');
    expect(failed({ code: 400, message: 'Token limit reached' })).toEqual({ code: 'invalid_prompt', message: 'upstream error 400 in the stream: Token limit reached' });
    expect(failed({ code: 400, message: "This model's maximum context length is 8192 tokens" }).code).toBe('context_length_exceeded');
    expect(failed({ message: 'prompt is too long: 210000 tokens > 200000 maximum' }).code).toBe('context_length_exceeded');
    const limited = failed({ code: 429, message: 'Rate limit exceeded' });
    expect(limited.code).toBe('rate_limit_exceeded');
    expect(limited.message).toMatch(/try again in \d+s/);
    expect(failed({ message: 'Internal error', status_code: 503 }).code).toBe('upstream_error');
    expect(failed({ message: 'Upstream overloaded', type: 'overloaded_error' }).code).toBe('upstream_error');
    expect(failed({ code: 402, message: 'Insufficient credits' }).code).toBe('insufficient_quota');
  });

  it('gives a blocking answer with an error body the status that error carries', () => {
    const map = convertTools(tools, log).map;
    expect(() => translateCompletion({ error: { code: 400, message: 'Token limit reached' } }, { model: 'm', upstreamModel: 'u', map })).toThrow(expect.objectContaining({ status: 400, code: 'invalid_prompt' }));
    expect(() => translateCompletion({ error: { code: 429, message: 'slow down' } }, { model: 'm', upstreamModel: 'u', map })).toThrow(expect.objectContaining({ status: 429, code: 'rate_limit_exceeded' }));
  });

  it('takes a tool name sent once, in pieces, or again on every chunk, without doubling it', () => {
    const callOf = (datas: string[]) => last(run([...datas, chunk({}, 'tool_calls')])).response.output[0];
    // Once, with the id (OpenAI).
    expect(callOf([chunk(tc(0, { name: 'exec_command', arguments: '' }, 'c1')), chunk(tc(0, { arguments: '{}' }))])).toMatchObject({ name: 'exec_command', call_id: 'c1' });
    // Again on every chunk, also with the first arguments (MiniMax through NIM), with or without the id.
    expect(callOf([chunk(tc(0, { name: 'exec_command', arguments: '' }, 'c1')), chunk(tc(0, { name: 'exec_command', arguments: '{"cmd"' }, 'c1')), chunk(tc(0, { name: 'exec_command', arguments: ':"ls"}' }))])).toMatchObject({ name: 'exec_command', arguments: '{"cmd":"ls"}' });
    expect(callOf([chunk(tc(0, { name: 'exec_command' }, 'c1')), chunk(tc(0, { name: 'exec_command' })), chunk(tc(0, { name: 'exec_command', arguments: '{}' }))])).toMatchObject({ name: 'exec_command' });
    // In pieces before the arguments.
    expect(callOf([chunk(tc(0, { name: 'exec_' }, 'c1')), chunk(tc(0, { name: 'command' })), chunk(tc(0, { arguments: '{}' }))])).toMatchObject({ name: 'exec_command' });
    // Empty names on later chunks (GLM through Mistral).
    expect(callOf([chunk(tc(0, { name: 'exec_command', arguments: '' }, 'c1')), chunk(tc(0, { name: '', arguments: '{}' }))])).toMatchObject({ name: 'exec_command' });
  });

  it('gives delta.refusal as a refusal part with its events, or as answer text', () => {
    const datas = [chunk({ role: 'assistant', content: null, refusal: '' }), chunk({ refusal: "I'm sorry" }), chunk({ refusal: ', no.' }), chunk({}, 'stop')];
    const events = run(datas);
    expect(types(events)).toContain('response.refusal.delta');
    expect(events.find((e) => e.type === 'response.refusal.done')).toMatchObject({ content_index: 0, refusal: "I'm sorry, no." });
    expect(last(events).response.output[0].content).toEqual([{ type: 'refusal', refusal: "I'm sorry, no." }]);
    const s = new ResponseStream({ model: 'm', upstreamModel: 'u', map: convertTools(tools, log).map, refusalAs: 'output_text' });
    const asText = [...s.open(), ...datas.flatMap((d) => s.chunk(d)), ...s.end()].map((e) => JSON.parse(e.data) as Ev);
    expect(types(asText)).not.toContain('response.refusal.delta');
    expect(last(asText).response.output[0].content).toEqual([{ type: 'output_text', text: "I'm sorry, no.", annotations: [] }]);
  });

  it('fails on an error chunk even when [DONE] follows (acceptance 23)', () => {
    const events = run([chunk({ content: 'a' }), JSON.stringify({ error: { message: 'overloaded upstream' } }), '[DONE]']);
    expect(last(events).response.error).toEqual({ code: 'upstream_stream_error', message: 'upstream error: overloaded upstream' });
    expect(types(events).filter((t) => t.startsWith('response.completed') || t === 'response.failed')).toEqual(['response.failed']);
  });

  it('fails on several choices, data after finish, undeclared tools and reused ids (acceptance 24)', () => {
    expect(last(run([JSON.stringify({ choices: [{ index: 1, delta: { content: 'x' } }] })])).response.error.code).toBe('unsupported_stream_choices');
    expect(last(run([chunk({ content: 'x' }, 'stop'), chunk({ content: 'more' })])).response.error.code).toBe('unsupported_stream_choices');
    expect(last(run([chunk(tc(0, { name: 'rm_rf', arguments: '{}' }, 'q')), chunk({}, 'tool_calls')])).response.error.code).toBe('invalid_tool_call');
    expect(last(run([chunk(tc(0, { name: 'exec_command', arguments: '{}' }, 'same')), chunk(tc(1, { name: 'exec_command', arguments: '{}' }, 'same')), chunk({}, 'tool_calls')])).response.error.code).toBe('invalid_tool_call');
  });

  it('maps length to incomplete with the partial text and no truncated call (acceptance 25)', () => {
    const events = run([chunk({ content: 'partial' }), chunk(tc(0, { name: 'exec_command', arguments: '{"cm' }, 'k')), chunk({}, 'length')]);
    const end = last(events);
    expect(end).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
    expect(end.response.output).toEqual([expect.objectContaining({ type: 'message' })]);
    expect(events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item.type)).toEqual(['message']);
    expect(last(run([chunk({ content: 'x' }, 'content_filter')])).response.incomplete_details.reason).toBe('content_filter');
    expect(last(run([chunk({ content: 'x' }, 'insufficient_system_resource')])).response.error.code).toBe('insufficient_system_resource');
  });

  it('maps usage: DeepSeek cache hits, OpenAI details, reasoning tokens (acceptance 27)', () => {
    const usage = (u: object) => last(run([chunk({ content: 'x' }, 'stop'), usageChunk(u)])).response.usage;
    expect(usage({ prompt_tokens: 17, completion_tokens: 2, total_tokens: 19, prompt_cache_hit_tokens: 11, prompt_tokens_details: { cached_tokens: 3 } }).input_tokens_details.cached_tokens).toBe(11);
    expect(usage({ prompt_tokens: 17, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 5 } })).toEqual({ input_tokens: 17, output_tokens: 9, total_tokens: 26, input_tokens_details: { cached_tokens: 3 }, output_tokens_details: { reasoning_tokens: 5 } });
  });

  it('counts reasoning in the output tokens when the provider counts it outside completion_tokens (xAI)', () => {
    const usage = (u: object) => last(run([chunk({ content: 'x' }, 'stop'), usageChunk(u)])).response.usage;
    // xai-grok3mini-tool's numbers: the total holds the reasoning beside the completion.
    expect(usage({ prompt_tokens: 291, completion_tokens: 26, total_tokens: 513, completion_tokens_details: { reasoning_tokens: 196 } })).toMatchObject({ input_tokens: 291, output_tokens: 222, total_tokens: 513, output_tokens_details: { reasoning_tokens: 196 } });
    // No total, but more reasoning than completion: reasoning cannot be inside it.
    expect(usage({ prompt_tokens: 10, completion_tokens: 2, completion_tokens_details: { reasoning_tokens: 5 } })).toMatchObject({ output_tokens: 7, total_tokens: 17 });
    // OpenAI: reasoning inside completion_tokens, the total agrees.
    expect(usage({ prompt_tokens: 10, completion_tokens: 8, total_tokens: 18, completion_tokens_details: { reasoning_tokens: 5 } })).toMatchObject({ output_tokens: 8, total_tokens: 18 });
    // A total that disagrees with both readings: total = input + output.
    expect(usage({ prompt_tokens: 10, completion_tokens: 8, total_tokens: 99 })).toMatchObject({ output_tokens: 8, total_tokens: 18 });
  });

  it('marks collaboration calls with encrypted_function_args: []', () => {
    const out = last(run([chunk(tc(0, { name: 'collaboration-spawn_agent', arguments: '{"message":"x"}' }, 's')), chunk({}, 'tool_calls')])).response.output[0];
    expect(out).toMatchObject({ name: 'spawn_agent', namespace: 'collaboration', encrypted_function_args: [] });
  });

  it('keeps sequence numbers running through keep-alives and stops after the terminal event', () => {
    const s = newStream();
    const events = [...s.open(), ...s.idle(), ...s.chunk(chunk({ content: 'a' }, 'stop')), ...s.idle(), ...s.chunk('[DONE]'), ...s.idle(), ...s.end(), ...s.failWith({ code: 'x', message: 'y' })].map((e) => JSON.parse(e.data) as Ev);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(types(events).filter((t) => t === 'response.in_progress')).toHaveLength(3);
    expect(last(events).type).toBe('response.completed');
  });

  it('reads Mistral thinking parts as reasoning', () => {
    const events = run([chunk({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'hmm' }] }, { type: 'text', text: 'answer' }] }, 'stop')]);
    expect(last(events).response.output.map((i: Ev) => i.type)).toEqual(['reasoning', 'message']);
  });
});

describe('non-streaming translation', () => {
  it('returns the same object the streaming terminal event carries (acceptance 33)', () => {
    const map = convertTools(tools, log).map;
    const body = translateCompletion(
      { id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'Let me', reasoning_content: 'why', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'apply_patch', arguments: '{"patch":"P"}' } }] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 17, completion_tokens: 2, total_tokens: 19, prompt_cache_hit_tokens: 11 } },
      { model: 'gpt-5.4', upstreamModel: 'u', map },
    );
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-5.4', usage: { input_tokens: 17, input_tokens_details: { cached_tokens: 11 } } });
    expect((body.output as Ev[]).map((i) => i.type)).toEqual(['reasoning', 'message', 'custom_tool_call']);
    expect((body.output as Ev[])[2]!.input).toBe('P');
    expect(() => translateCompletion({ error: { message: 'boom' } }, { model: 'm', upstreamModel: 'u', map })).toThrow(expect.objectContaining({ status: 502, code: 'upstream_stream_error' }));
  });
});

// ----- property: any chunk sequence yields a well-formed event sequence -----

const pieceArb = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('reasoning' as const), text: fc.string({ minLength: 1, maxLength: 8 }), field: fc.constantFrom('reasoning_content', 'reasoning') }),
  fc.record({ kind: fc.constant('tool' as const), index: fc.integer({ min: 0, max: 2 }), name: fc.constantFrom('exec_command', 'apply_patch', 'mcp__node_repl-js', undefined), args: fc.constantFrom('', '{"', 'patch":"a\\n', 'b"}', '{}', 'x') }),
  fc.record({ kind: fc.constant('usage' as const), n: fc.nat(100) }),
);
const endingArb = fc.record({
  finish: fc.constantFrom(null, 'stop', 'tool_calls', 'length', 'content_filter', 'weird'),
  done: fc.boolean(),
  cut: fc.boolean(),
});

describe('property: well-formed Responses event sequences', () => {
  it('holds for any sequence of Chat chunks', () => {
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 25 }), endingArb, (pieces, ending) => {
        const ids = new Map<number, string>();
        const datas = pieces.map((p) => {
          if (p.kind === 'text') return chunk({ content: p.text });
          if (p.kind === 'reasoning') return chunk({ [p.field]: p.text });
          if (p.kind === 'usage') return usageChunk({ prompt_tokens: p.n, completion_tokens: 1 });
          const id = ids.has(p.index) ? undefined : `call_${p.index}`;
          if (id) ids.set(p.index, id);
          return chunk(tc(p.index, { ...(p.name && !id ? {} : { name: p.name ?? 'exec_command' }), arguments: p.args }, id));
        });
        if (ending.finish) datas.push(chunk({}, ending.finish));
        if (ending.done) datas.push('[DONE]');
        const events = run(datas, ending.cut ? 'error' : 'eof');
        checkSequence(events);
      }),
      { numRuns: 400 },
    );
  });
});

function checkSequence(events: Ev[]): void {
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  const terminals = events.filter((e) => ['response.completed', 'response.incomplete', 'response.failed'].includes(e.type));
  expect(terminals).toHaveLength(1);
  expect(events.indexOf(terminals[0]!)).toBe(events.length - 1);
  const end = terminals[0]!;
  expect(typeof end.response.id).toBe('string');
  const added = events.filter((e) => e.type === 'response.output_item.added');
  const done = events.filter((e) => e.type === 'response.output_item.done');
  // Fail closed: no tool call is ever finalized unless the response completed.
  const doneCalls = done.filter((e) => e.item.type === 'function_call' || e.item.type === 'custom_tool_call');
  if (end.type !== 'response.completed') expect(doneCalls).toEqual([]);
  if (end.type === 'response.failed') expect(done).toEqual([]);
  if (end.type === 'response.completed') {
    expect(done.map((e) => e.item.id).sort()).toEqual(added.map((e) => e.item.id).sort());
    expect(end.response.output).toEqual(done.map((e) => e.item));
    expect(done.map((e) => e.output_index)).toEqual([...done.map((e) => e.output_index)].sort((a, b) => a - b));
    for (const d of done) {
      const id = d.item.id;
      if (d.item.type === 'function_call') expect(events.filter((e) => e.type === 'response.function_call_arguments.delta' && e.item_id === id).map((e) => e.delta).join('')).toBe(d.item.arguments);
      if (d.item.type === 'custom_tool_call') expect(events.filter((e) => e.type === 'response.custom_tool_call_input.delta' && e.item_id === id).map((e) => e.delta).join('')).toBe(d.item.input);
      if (d.item.type === 'message') expect(events.filter((e) => e.type === 'response.output_text.delta' && e.item_id === id).map((e) => e.delta).join('')).toBe(d.item.content[0].text);
    }
  }
}

describe('event text', () => {
  const keys: Record<string, string[]> = {
    'response.output_text.delta': ['type', 'item_id', 'output_index', 'content_index', 'delta', 'logprobs', 'sequence_number'],
    'response.reasoning_summary_text.delta': ['type', 'item_id', 'output_index', 'summary_index', 'delta', 'sequence_number'],
    'response.function_call_arguments.delta': ['type', 'item_id', 'output_index', 'delta', 'sequence_number'],
    'response.custom_tool_call_input.delta': ['type', 'item_id', 'output_index', 'delta', 'sequence_number'],
  };

  it('is what JSON.stringify writes, for deltas of any text (control characters, quotes, lone surrogates)', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', minLength: 1 }), fc.constantFrom('"', '\\', '\n', '\u2028', '\ud800', '</script>'));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), (texts) => {
        const s = newStream();
        const patch = JSON.stringify({ patch: texts.join('') });
        const datas = [
          ...texts.map((t) => chunk({ reasoning_content: t })),
          ...texts.map((t) => chunk({ content: t })),
          chunk(tc(0, { name: 'exec_command', arguments: JSON.stringify({ cmd: texts.join('') }) }, 'call_1')),
          chunk(tc(1, { name: 'apply_patch', arguments: patch.slice(0, 12) }, 'call_2')),
          chunk(tc(1, { arguments: patch.slice(12) })),
          chunk({}, 'tool_calls'),
        ];
        const events = [...s.open(), ...datas.flatMap((d) => s.chunk(d)), ...s.end()];
        for (const event of events) {
          const parsed = JSON.parse(event.data) as Ev;
          expect(JSON.stringify(parsed)).toBe(event.data);
          expect(event.event).toBe(parsed.type);
          if (keys[parsed.type]) expect(Object.keys(parsed)).toEqual(keys[parsed.type]);
        }
        const parsed = events.map((e) => JSON.parse(e.data) as Ev);
        const indexOf = new Map(parsed.filter((e) => e.type === 'response.output_item.added').map((e) => [e.item.id, e.output_index]));
        for (const e of parsed.filter((x) => keys[x.type])) {
          expect(e.output_index).toBe(indexOf.get(e.item_id));
          if (e.type === 'response.output_text.delta') expect(e).toMatchObject({ content_index: 0, logprobs: [] });
          if (e.type === 'response.reasoning_summary_text.delta') expect(e.summary_index).toBe(0);
        }
        expect(events.map((e) => (JSON.parse(e.data) as Ev).type)).toEqual(expect.arrayContaining(Object.keys(keys)));
      }),
      { numRuns: 300 },
    );
  });
});
