import { describe, expect, it } from 'vitest';
import { codexFixture, codexFixtureNames } from '../../../test/support/fixtures.js';
import { checkRequest, PromptCache, ThinkingSigner } from '../../testing/mock-messages-rules.js';
import { createLogger } from '../../index.js';
import { sealThinking } from './carrier.js';
import { resolveSettings } from './presets.js';
import { translateRequest, type TranslateContext } from './request.js';
import type { MessagesTranslatorOptions } from './schema.js';
import { IMAGE_OMITTED, NO_RESULT, type Turn } from './turns.js';

const log = createLogger({ level: 'silent', pretty: false });
const base: MessagesTranslatorOptions = { baseUrl: 'http://up.test', anthropicVersion: '2023-06-01', betas: [], headers: {}, modelMap: {}, modelInfo: {}, models: [], thinkingBudgets: {}, promptCaching: true, extraBody: {}, commitAfterMs: 1000, keepAliveMs: 10000, historyCacheBytes: 0 };
const translate = (body: unknown, options: Partial<MessagesTranslatorOptions> = {}, ctx: Partial<TranslateContext> = {}) => translateRequest(body, resolveSettings({ ...base, ...options }), { log, ...ctx });
const signer = new ThinkingSigner('request-test');
const claude = (body: Record<string, unknown>, model = 'claude-sonnet-4.5') => ({ ...body, model });
const turnsOf = (body: Record<string, unknown>) => body.messages as Turn[];
const roles = (body: Record<string, unknown>) => turnsOf(body).map((t) => `${t.role}:${t.content.map((b) => b.type).join(',')}`);
const cacheMarks = (body: Record<string, unknown>) => JSON.stringify(body).split('"cache_control"').length - 1;

const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const call = (id: string, name = 'exec_command', args = '{"cmd":"ls"}') => ({ type: 'function_call', call_id: id, name, arguments: args });
const output = (id: string, out: unknown = 'ok') => ({ type: 'function_call_output', call_id: id, output: out });
const tools = [{ type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] } }];
const signed = (thinking: string, model = 'claude-sonnet-4.5') => ({ type: 'reasoning', summary: [{ type: 'summary_text', text: thinking }], encrypted_content: sealThinking({ blocks: [{ type: 'thinking', thinking, signature: signer.sign(thinking) }], model }) });

describe('request mapping: Codex 0.169 fixtures', () => {
  it.each(codexFixtureNames())('%s becomes a Messages body the API accepts, without Codex-only fields', (name) => {
    const { body, stream } = translate(claude(codexFixture(name).body));
    expect(checkRequest(body, signer)).toBeUndefined();
    for (const key of ['client_metadata', 'include', 'store', 'prompt_cache_key', 'input', 'text', 'reasoning', 'parallel_tool_calls', 'instructions']) expect(body).not.toHaveProperty(key);
    expect(stream).toBe(true);
    expect(body.stream).toBe(true);
    expect(body.max_tokens).toBe(64000);
    expect(cacheMarks(body)).toBeLessThanOrEqual(4);
  });

  it('puts the developer messages in system blocks and the user turns together, with the prefix marked for caching', () => {
    const { body } = translate(claude(codexFixture('hello-fallback-model').body));
    const system = body.system as { text: string; cache_control?: unknown }[];
    expect(system).toHaveLength(2);
    expect(system[0]!.text.startsWith('You are a coding agent running in the Codex CLI')).toBe(true);
    expect(system[1]!.text).toContain('</skills_instructions>\n\n<permissions instructions>');
    expect(system[1]!.cache_control).toEqual({ type: 'ephemeral' });
    expect(roles(body)).toEqual(['user:text,text']);
    expect(turnsOf(body)[0]!.content[1]).toEqual({ type: 'text', text: 'say hi', cache_control: { type: 'ephemeral' } });
    const names = (body.tools as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(['exec_command', 'write_stdin', 'request_user_input', 'view_image', 'multi_agent_v1-close_agent', 'multi_agent_v1-resume_agent', 'multi_agent_v1-send_input', 'multi_agent_v1-spawn_agent', 'multi_agent_v1-wait_agent', 'get_goal', 'create_goal', 'update_goal']);
    expect((body.tools as Record<string, unknown>[]).at(-1)!.cache_control).toEqual({ type: 'ephemeral' });
    for (const tool of body.tools as { input_schema: { type: string } }[]) expect(tool.input_schema.type).toBe('object');
    expect(cacheMarks(body)).toBe(3);
    // Codex's `tool_choice: "auto"` with parallel calls allowed is the Messages default.
    expect(body.tool_choice).toBeUndefined();
  });

  it('replays the tool loop as a tool_use answered by the tool_result in the next user turn', () => {
    const { body } = translate(claude(codexFixture('tool-loop-turn2-with-function-call-output').body));
    expect(roles(body)).toEqual(['user:text,text', 'assistant:tool_use', 'user:tool_result']);
    expect(turnsOf(body)[1]!.content[0]).toEqual({ type: 'tool_use', id: 'call_abc', name: 'exec_command', input: { cmd: 'echo TOOL_RAN_OK' } });
    const result = turnsOf(body)[2]!.content[0]!;
    expect(result).toMatchObject({ type: 'tool_result', tool_use_id: 'call_abc', cache_control: { type: 'ephemeral' } });
    expect(result.content).toContain('TOOL_RAN_OK');
    // Tools, system, the end of the previous request (the prompt) and this request's end.
    expect(turnsOf(body)[0]!.content[1]).toMatchObject({ text: 'run echo', cache_control: { type: 'ephemeral' } });
    expect(cacheMarks(body)).toBe(4);
  });

  it('sends custom apply_patch as a tool with one string input and reads the history call back into it', () => {
    const fixture = codexFixture('model-gpt-5.5-apply-patch-custom-tool').body;
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n';
    const input = [...(fixture.input as unknown[]), { type: 'custom_tool_call', call_id: 'call_p', name: 'apply_patch', input: patch }, { type: 'custom_tool_call_output', call_id: 'call_p', output: 'Success.' }];
    const { body, map } = translate(claude({ ...fixture, input }));
    expect(checkRequest(body, signer)).toBeUndefined();
    const tool = (body.tools as { name: string; input_schema: Record<string, unknown>; description: string }[]).find((t) => t.name === 'apply_patch')!;
    expect(tool.input_schema).toMatchObject({ type: 'object', properties: { patch: { type: 'string' } }, required: ['patch'] });
    expect(tool.description).toContain('grammar');
    expect((body.tools as { name: string }[]).map((t) => t.name)).not.toContain('tool_search');
    expect(map.byUpstream.get('apply_patch')).toEqual({ kind: 'custom', name: 'apply_patch', field: 'patch' });
    const turns = turnsOf(body);
    expect(turns.at(-2)!.content).toEqual([{ type: 'tool_use', id: 'call_p', name: 'apply_patch', input: { patch } }]);
    expect(turns.at(-1)!.content[0]).toMatchObject({ type: 'tool_result', tool_use_id: 'call_p', content: 'Success.' });
  });
});

describe('request mapping: alternation and tool results', () => {
  it('puts parallel results together in call order, wherever Codex put them, and answers a call left without one', () => {
    const input = [user('go'), call('c1'), call('c2'), call('c3'), output('c2', 'two'), user('also this'), output('c1', 'one')];
    const { body } = translate(claude({ input, tools }));
    expect(checkRequest(body, signer)).toBeUndefined();
    expect(roles(body)).toEqual(['user:text', 'assistant:tool_use,tool_use,tool_use', 'user:tool_result,tool_result,tool_result,text']);
    const results = turnsOf(body)[2]!.content;
    expect(results.slice(0, 3).map((b) => [b.tool_use_id, b.content])).toEqual([['c1', 'one'], ['c2', 'two'], ['c3', NO_RESULT]]);
    expect(results[2]!.is_error).toBe(true);
  });

  it('merges consecutive same-role items, keeps later developer messages in place and an orphan output as text', () => {
    const input = [
      { type: 'message', role: 'developer', content: 'rules' },
      user('a'), user('b'),
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'first' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'second' }] },
      { type: 'message', role: 'developer', content: 'now in plan mode' },
      output('ghost', 'lost output'),
      user('c'),
    ];
    const { body } = translate(claude({ input, instructions: 'base prompt' }));
    expect(checkRequest(body, signer)).toBeUndefined();
    expect((body.system as { text: string }[]).map((b) => b.text)).toEqual(['base prompt', 'rules']);
    expect(roles(body)).toEqual(['user:text,text', 'assistant:text,text', 'user:text,text,text']);
    const last = turnsOf(body)[2]!.content.map((b) => b.text);
    expect(last[0]).toBe('now in plan mode');
    expect(last[1]).toContain('lost output');
  });

  it('starts with a user turn and ends with one', () => {
    const { body } = translate(claude({ input: [{ type: 'message', role: 'assistant', content: 'hello' }] }));
    expect(checkRequest(body, signer)).toBeUndefined();
    expect(roles(body)).toEqual(['user:text', 'assistant:text', 'user:text']);
  });

  it('maps namespace tools to flat names within the API rules and back', () => {
    const ns = { type: 'namespace', name: 'mcp__files.srv', tools: [{ type: 'function', name: 'read.file', parameters: { type: 'object', properties: {} } }] };
    const input = [user('x'), { type: 'function_call', call_id: 'n1', namespace: 'mcp__files.srv', name: 'read.file', arguments: '{}' }, output('n1')];
    const { body, map } = translate(claude({ input, tools: [ns] }));
    expect(checkRequest(body, signer)).toBeUndefined();
    const name = (body.tools as { name: string }[])[0]!.name;
    expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(map.byUpstream.get(name)).toEqual({ kind: 'function', name: 'read.file', namespace: 'mcp__files.srv' });
    expect(turnsOf(body)[1]!.content[0]!.name).toBe(name);
  });

  it('sends images (data URLs as base64, http URLs as url) in user turns and tool results, and a note where the model takes none', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const input = [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: png }, { type: 'input_image', image_url: 'https://example.com/a.jpg' }, { type: 'input_image', image_url: 'data:image/bmp;base64,Qk0=' }] },
      call('v1', 'view_image', '{"path":"a.png"}'),
      output('v1', [{ type: 'input_image', image_url: png }, { type: 'input_text', text: 'a.png' }]),
    ];
    const viewTools = [{ type: 'function', name: 'view_image', parameters: { type: 'object', properties: { path: { type: 'string' } } } }];
    const { body } = translate(claude({ input, tools: viewTools }));
    expect(checkRequest(body, signer)).toBeUndefined();
    const first = turnsOf(body)[0]!.content;
    expect(first[1]).toEqual({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } });
    expect(first[2]).toEqual({ type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } });
    expect(first[3]!.text).toMatch(/image\/bmp/);
    expect(turnsOf(body)[2]!.content[0]).toEqual({ type: 'tool_result', tool_use_id: 'v1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }, { type: 'text', text: 'a.png' }], cache_control: { type: 'ephemeral' } });

    const noImages = translate({ model: 'kimi-k2-0905', input }, { preset: 'kimi' });
    expect(turnsOf(noImages.body)[0]!.content[1]).toEqual({ type: 'text', text: IMAGE_OMITTED });
  });

  it('sends a note, not an image the API refuses, for a data URL with no data or not in base64; reads parameters before ;base64', () => {
    const image = (url: string) => ({ type: 'input_image', image_url: url });
    const input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'look' }, image('data:image/png;base64,'), image('data:image/png,%89PNG'), image('data:image/PNG;name=a.png;base64,iVBORw0KGgo=')] }];
    const { body } = translate(claude({ input }));
    expect(checkRequest(body, signer)).toBeUndefined();
    const [, empty, notBase64, named] = turnsOf(body)[0]!.content;
    expect(empty).toEqual({ type: 'text', text: '[image omitted: its data URL holds no data]' });
    expect(notBase64).toEqual({ type: 'text', text: '[image omitted: a data URL that is not base64]' });
    expect(named).toMatchObject({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } });
  });
});

describe('request mapping: thinking, limits and choices', () => {
  it('maps reasoning.effort to a thinking budget below max_tokens, or adaptive thinking where the model has it', () => {
    const input = [user('hi')];
    expect(translate(claude({ input, reasoning: { effort: 'high' } })).body).toMatchObject({ max_tokens: 64000, thinking: { type: 'enabled', budget_tokens: 16384 } });
    expect(translate(claude({ input, reasoning: { effort: 'low' }, max_output_tokens: 1200 })).body.thinking).toBeUndefined();
    expect(translate(claude({ input, reasoning: { effort: 'medium' }, max_output_tokens: 4000 })).body).toMatchObject({ max_tokens: 4000, thinking: { budget_tokens: 3000 } });
    expect(translate(claude({ input, reasoning: { effort: 'xhigh' } }, 'claude-opus-4-6')).body).toMatchObject({ max_tokens: 128000, thinking: { type: 'adaptive' }, output_config: { effort: 'max' } });
    expect(translate(claude({ input, reasoning: { effort: 'minimal' } })).body.thinking).toBeUndefined();
    expect(translate(claude({ input, reasoning: { summary: 'auto' } })).body.thinking).toBeUndefined();
    expect(translate(claude({ input, reasoning: { effort: 'high' } }, 'claude-3-5-haiku')).body).toMatchObject({ max_tokens: 8192 });
    expect(translate(claude({ input, reasoning: { effort: 'high' } }, 'claude-3-5-haiku')).body.thinking).toBeUndefined();
    // Budgets from options, bounds from what an earlier plugin knows of the model.
    expect(translate(claude({ input, reasoning: { effort: 'low' } }), { thinkingBudgets: { low: 1500 } }).body.thinking).toEqual({ type: 'enabled', budget_tokens: 1500 });
    expect(translate(claude({ input, reasoning: { effort: 'high' } }), {}, { model: { maxThinkingBudget: 12000 } }).body.thinking).toEqual({ type: 'enabled', budget_tokens: 12000 });
    for (const effort of ['low', 'medium', 'high', 'xhigh']) expect(checkRequest(translate(claude({ input, reasoning: { effort } })).body, signer)).toBeUndefined();
  });

  it('sends carried thinking back, signature intact, at the start of its assistant turn', () => {
    const input = [user('go'), signed('I will list.'), { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Listing.' }] }, call('c1'), output('c1')];
    const { body, thinking } = translate(claude({ input, tools, reasoning: { effort: 'medium' } }));
    expect(thinking).toBe(true);
    expect(checkRequest(body, signer)).toBeUndefined();
    expect(roles(body)).toEqual(['user:text', 'assistant:thinking,text,tool_use', 'user:tool_result']);
    expect(turnsOf(body)[1]!.content[0]).toEqual({ type: 'thinking', thinking: 'I will list.', signature: signer.sign('I will list.') });
  });

  it('turns thinking off for a tool loop whose turn carries none, and drops thinking another model wrote or that was altered', () => {
    const foreign = [user('go'), signed('other model', 'claude-opus-4.5'), call('c1'), output('c1')];
    const r1 = translate(claude({ input: foreign, tools, reasoning: { effort: 'medium' } }));
    expect(r1.thinking).toBe(false);
    expect(r1.body.thinking).toBeUndefined();
    expect(roles(r1.body)).toEqual(['user:text', 'assistant:tool_use', 'user:tool_result']);
    expect(checkRequest(r1.body, signer)).toBeUndefined();

    const item = signed('tampered');
    const altered = { ...item, encrypted_content: `${item.encrypted_content.slice(0, -3)}AAA` };
    expect(translate(claude({ input: [user('go'), altered, call('c1'), output('c1')], tools, reasoning: { effort: 'medium' } })).thinking).toBe(false);
    // A fresh question needs no earlier thinking.
    expect(translate(claude({ input: [user('go'), call('c1'), output('c1'), { type: 'message', role: 'assistant', content: 'done' }, user('next')], tools, reasoning: { effort: 'medium' } })).thinking).toBe(true);
  });

  it('maps tool_choice and parallel_tool_calls, never forcing a tool while thinking', () => {
    const input = [user('x')];
    expect(translate(claude({ input, tools, tool_choice: 'required' })).body.tool_choice).toEqual({ type: 'any' });
    expect(translate(claude({ input, tools, tool_choice: 'none' })).body.tool_choice).toEqual({ type: 'none' });
    expect(translate(claude({ input, tools, tool_choice: { type: 'function', name: 'exec_command' } })).body.tool_choice).toEqual({ type: 'tool', name: 'exec_command' });
    expect(translate(claude({ input, tools, tool_choice: 'auto', parallel_tool_calls: false })).body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    const thinking = translate(claude({ input, tools, tool_choice: 'required', parallel_tool_calls: false, reasoning: { effort: 'low' } })).body;
    expect(thinking.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(checkRequest(thinking, signer)).toBeUndefined();
    expect(translate(claude({ input, tool_choice: 'required' })).body.tool_choice).toBeUndefined();
  });

  it('uses max_output_tokens, maps models, merges extraBody and can leave caching off', () => {
    const { body, codexModel, upstreamModel } = translate({ model: 'gpt-5.5', input: [user('x')], max_output_tokens: 1234, temperature: 0.2 }, { modelMap: { 'gpt-*': 'claude-haiku-4-5' }, extraBody: { 'claude-haiku*': { metadata: { user_id: 'u' } } }, promptCaching: false });
    expect([codexModel, upstreamModel]).toEqual(['gpt-5.5', 'claude-haiku-4-5']);
    expect(body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 1234, temperature: 0.2, metadata: { user_id: 'u' } });
    expect(cacheMarks(body)).toBe(0);
  });

  it('sends text.format\'s JSON schema as output_config.format where the model takes it, beside the adaptive effort', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const text = { format: { type: 'json_schema', name: 'out', schema, strict: true } };
    expect(translate(claude({ input: [user('x')], text })).body.output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect(translate(claude({ input: [user('x')], text, reasoning: { effort: 'high' } }, 'claude-opus-4-6')).body.output_config).toEqual({ format: { type: 'json_schema', schema }, effort: 'high' });
    expect(translate(claude({ input: [user('x')], text }, 'claude-3-5-haiku')).body.output_config).toBeUndefined();
    expect(translate(claude({ input: [user('x')], text: { verbosity: 'low' } })).body.output_config).toBeUndefined();
    expect(translate({ model: 'glm-4.6', input: [user('x')], text }, { preset: 'glm', modelInfo: { 'glm-4.6': { structuredOutputs: true } } }).body.output_config).toEqual({ format: { type: 'json_schema', schema } });
  });

  it('refuses input it cannot use', () => {
    expect(() => translate({ model: 'claude-x', input: 5 })).toThrow(/input/);
    expect(() => translate({ input: [] })).toThrow(/model/);
    expect(() => translate({ model: 'claude-x', input: [{ type: 'web_search_call' }] })).toThrow(/no input/);
  });
});

describe('request mapping: prompt caching across a Codex tool loop', () => {
  it('reads the whole previous request from cache on every later request of the loop, a wide parallel step included (the mock applies the API accounting)', () => {
    const cache = new PromptCache(1024);
    const fixture = codexFixture('tool-loop-turn2-with-function-call-output').body;
    const history = (fixture.input as unknown[]).slice(0, 4);
    const reads: number[] = [];
    const totals: number[] = [];
    for (let step = 0; step < 25; step++) {
      const { body } = translate(claude({ ...fixture, input: history }));
      expect(checkRequest(body, signer)).toBeUndefined();
      const usage = cache.account(body);
      reads.push(usage.cache_read_input_tokens);
      totals.push(usage.promptTokens);
      // Each answer is a call with a long output; one is 15 parallel calls, 30 blocks, beyond the API's 20-block lookback.
      const width = step === 10 ? 15 : 1;
      const ids = Array.from({ length: width }, (_, i) => `call_${step}_${i}`);
      history.push(...ids.map((id) => call(id, 'exec_command', `{"cmd":"${id}"}`)), ...ids.map((id) => output(id, `output ${id} `.repeat(50))));
    }
    expect(reads[0]).toBe(0);
    for (let i = 1; i < reads.length; i++) expect(reads[i]).toBeGreaterThan(0.9 * totals[i - 1]!);
  });
});
