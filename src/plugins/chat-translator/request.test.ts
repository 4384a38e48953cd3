import { describe, expect, it } from 'vitest';
import { codexFixture, codexFixtureNames, relayFixture, relayFixtures } from '../../../test/support/fixtures.js';
import { createLogger } from '../../index.js';
import { resolveSettings } from './presets.js';
import { encodeCarrier } from './reasoning-carrier.js';
import { IMAGE_OMITTED, translateRequest, type ChatMessage } from './request.js';
import type { ChatTranslatorOptions } from './schema.js';
import { flattenName } from '../../responses-tools/index.js';

const log = createLogger({ level: 'silent', pretty: false });
const base: ChatTranslatorOptions = { baseUrl: 'http://up.test/v1', headers: {}, modelMap: {}, extraBody: {}, dropParams: {}, commitAfterMs: 1000, keepAliveMs: 10000, contextWindow: 128000, models: [], quirks: {}, reasoningCacheSize: 8, historyCacheBytes: 0, refusalAs: 'auto' };
const translate = (body: unknown, options: Partial<ChatTranslatorOptions> = {}) => translateRequest(body, resolveSettings({ ...base, ...options }), { log });
const messagesOf = (body: unknown, options: Partial<ChatTranslatorOptions> = {}) => translate(body, options).body.messages as ChatMessage[];
const toolNames = (body: Record<string, unknown>) => ((body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);

describe('request mapping: Codex 0.169 fixtures', () => {
  it.each(codexFixtureNames())('%s translates to a valid Chat body without Codex-only fields', (name) => {
    const { body } = translate(codexFixture(name).body);
    for (const key of ['client_metadata', 'include', 'store', 'prompt_cache_key', 'input', 'text']) expect(body).not.toHaveProperty(key);
    expect(body.reasoning).toBeUndefined();
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    const messages = body.messages as ChatMessage[];
    expect(messages.filter((m) => m.role === 'system')).toHaveLength(1);
    expect(messages[0]!.role).toBe('system');
    for (const name of toolNames(body)) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it('merges every developer message in order into one leading system message (acceptance 6)', () => {
    const { body } = translate(codexFixture('hello-fallback-model').body);
    const messages = body.messages as ChatMessage[];
    const system = messages[0]!.content as string;
    const at = (s: string) => system.indexOf(s);
    expect(at('You are a coding agent running in the Codex CLI')).toBe(0);
    expect(at('<skills_instructions>')).toBeGreaterThan(0);
    expect(at('<permissions instructions>')).toBeGreaterThan(at('<skills_instructions>'));
    expect(system).toContain('</skills_instructions>\n\n<permissions instructions>');
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'user']);
    expect(messages[1]!.content).toContain('<environment_context>');
    expect(messages[2]!.content).toBe('say hi');
    expect(toolNames(body)).toEqual([
      'exec_command', 'write_stdin', 'request_user_input', 'view_image',
      'multi_agent_v1-close_agent', 'multi_agent_v1-resume_agent', 'multi_agent_v1-send_input', 'multi_agent_v1-spawn_agent', 'multi_agent_v1-wait_agent',
      'get_goal', 'create_goal', 'update_goal',
    ]);
    expect(body.tool_choice).toBe('auto');
    expect(body.parallel_tool_calls).toBe(true);
  });

  it('replays the tool loop as assistant tool_calls followed by the tool message (acceptance 7)', () => {
    const messages = messagesOf(codexFixture('tool-loop-turn2-with-function-call-output').body);
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'user', 'assistant', 'tool']);
    expect(messages[3]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"echo TOOL_RAN_OK"}' } }] });
    expect(messages[4]!.tool_call_id).toBe('call_abc');
    expect(messages[4]!.content).toContain('TOOL_RAN_OK');
  });

  it('turns custom apply_patch into a one-string-field function and drops tool_search/web_search (acceptance 8)', () => {
    const { body } = translate(codexFixture('model-gpt-5.5-apply-patch-custom-tool').body);
    expect(toolNames(body)).toEqual(['exec_command', 'write_stdin', 'request_user_input', 'apply_patch', 'view_image', 'get_goal', 'create_goal', 'update_goal']);
    const patch = (body.tools as { function: { name: string; parameters: Record<string, unknown>; description: string } }[])[3]!.function;
    expect(patch.parameters).toMatchObject({ type: 'object', required: ['patch'], additionalProperties: false, properties: { patch: { type: 'string' } } });
    expect(patch.description).toContain('*** Begin Patch');
    expect(body.reasoning_effort).toBeUndefined();
    expect(body.verbosity).toBeUndefined();
    const withEffort = translate(codexFixture('model-gpt-5.5-apply-patch-custom-tool').body, { quirks: { reasoningEffort: 'reasoning_effort' } }).body;
    expect(withEffort.reasoning_effort).toBe('medium');
  });
});

describe.skipIf(!relayFixtures.available)(`request mapping: codex-relay fixtures${relayFixtures.skip}`, () => {
  it('flattens namespaces and drops built-ins (acceptance 1)', () => {
    const { body, map } = translate(relayFixture('with_namespace_tool'));
    expect(toolNames(body)).toEqual(['exec_command', 'mcp__codex_apps__github-_add_comment_to_issue', 'mcp__codex_apps__github-_close_issue']);
    expect(map.byUpstream.get('mcp__codex_apps__github-_close_issue')).toEqual({ kind: 'function', name: '_close_issue', namespace: 'mcp__codex_apps__github' });
    expect(body.stream).toBe(false);
    expect(body.stream_options).toBeUndefined();
  });

  it('drops foreign reasoning items without leaving empty messages (acceptance 2, 29)', () => {
    const messages = messagesOf(relayFixture('with_reasoning_item'));
    expect(messages.map((m) => [m.role, m.content])).toEqual([['system', 'system'], ['user', 'first turn'], ['user', 'second turn']]);
    expect(JSON.stringify(messages)).not.toContain('internal thought');
  });

  it('sends images to image models and a note to text-only models (acceptance 3)', () => {
    const withImages = messagesOf(relayFixture('with_image_input'));
    expect(withImages[1]!.content).toEqual([{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } }]);
    const textOnly = messagesOf(relayFixture('with_image_input'), { preset: 'deepseek' });
    expect(textOnly[1]!.content).toBe(`What is in this image?\n\n${IMAGE_OMITTED}`);
  });
});

const fc = (id: string, name = 'exec_command', extra: object = {}) => ({ type: 'function_call', call_id: id, name, arguments: '{"cmd":"ls"}', ...extra });
const out = (id: string, output: unknown = 'ok') => ({ type: 'function_call_output', call_id: id, output });
const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const dev = (text: string) => ({ type: 'message', role: 'developer', content: [{ type: 'input_text', text }] });
const assistant = (text: string) => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
const execTool = { type: 'function', name: 'exec_command', parameters: { type: 'object' } };

describe('request mapping: rules', () => {
  it('groups consecutive calls into one assistant message followed by their tool messages (acceptance 4)', () => {
    const messages = messagesOf({ model: 'm', input: [user('go'), fc('c1'), fc('c2'), out('c1'), out('c2')], tools: [execTool] });
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(messages[1]!.tool_calls!.map((c) => c.id)).toEqual(['c1', 'c2']);
  });

  it('hoists a developer item between a call and its output into the system message, in order (acceptance 5)', () => {
    const messages = messagesOf({ model: 'm', instructions: 'base', input: [dev('first'), user('go'), fc('c1'), dev('later'), out('c1')], tools: [execTool] });
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(messages[0]!.content).toBe('base\n\nfirst\n\nlater');
  });

  it('sends no tools, tool_choice or parallel_tool_calls for compaction requests (acceptance 9)', () => {
    const { body } = translate({ model: 'm', input: [user('compact')], tools: [], tool_choice: 'auto', parallel_tool_calls: false, stream: true });
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });

  it('joins array outputs and routes images per model (acceptance 10)', () => {
    const output = [{ type: 'input_text', text: 'line 1' }, { type: 'input_image', image_url: 'data:image/png;base64,AAA' }, { type: 'input_text', text: 'line 2' }];
    const vision = messagesOf({ model: 'm', input: [user('look'), fc('c1', 'view_image'), out('c1', output), user('next')], tools: [{ type: 'function', name: 'view_image' }] });
    expect(vision.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user', 'user']);
    expect(vision[2]!.content).toBe('line 1\n\n[image attached in the next message]\n\nline 2');
    expect(vision[3]!.content).toEqual([{ type: 'text', text: 'Images returned by the tool calls above:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } }]);
    const text = messagesOf({ model: 'm', input: [user('look'), fc('c1', 'view_image'), out('c1', output)], tools: [] }, { quirks: { imageModels: [] } });
    expect(text.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(text[2]!.content).toBe(`line 1\n\n${IMAGE_OMITTED}\n\nline 2`);
  });

  it('re-qualifies namespaced calls and wraps custom apply_patch input in its field (acceptance 11)', () => {
    const tools = [{ type: 'namespace', name: 'mcp__node_repl', tools: [{ type: 'function', name: 'js' }] }, { type: 'custom', name: 'apply_patch' }];
    const messages = messagesOf({
      model: 'm',
      tools,
      input: [user('go'), fc('c1', 'js', { namespace: 'mcp__node_repl' }), out('c1'), { type: 'custom_tool_call', call_id: 'c2', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' }, { type: 'custom_tool_call_output', call_id: 'c2', output: 'Success' }],
    });
    expect(messages[1]!.tool_calls![0]!.function.name).toBe('mcp__node_repl-js');
    expect(messages[3]!.tool_calls![0]!.function).toEqual({ name: 'apply_patch', arguments: JSON.stringify({ patch: '*** Begin Patch\n*** End Patch' }) });
    expect(messages[4]).toEqual({ role: 'tool', tool_call_id: 'c2', content: 'Success' });
  });

  it('rejects two tools that flatten to the same name with 422 (acceptance 12)', () => {
    const tools = [{ type: 'function', name: 'collaboration-spawn_agent' }, { type: 'namespace', name: 'collaboration', tools: [{ type: 'function', name: 'spawn_agent' }] }];
    expect(() => translate({ model: 'm', input: 'hi', tools })).toThrow(expect.objectContaining({ status: 422, code: 'ambiguous_tool_name' }));
  });

  it('maps the model and applies GLM thinking, drop and extra params (acceptance 13, 14)', () => {
    expect(translate({ model: 'gpt-5.4', input: 'hi' }, { modelMap: { 'gpt-5.4': 'deepseek-v4-pro' } }).body.model).toBe('deepseek-v4-pro');
    expect(translate({ model: 'gpt-x', input: 'hi' }, { modelMap: { 'gpt-*': 'qwen3' } }).body.model).toBe('qwen3');
    expect(translate({ model: 'glm-5.2', input: 'hi' }).body.thinking).toEqual({ type: 'enabled' });
    expect(translate({ model: 'deepseek-reasoner', input: 'hi' }).body.thinking).toBeUndefined();
    const tuned = translate({ model: 'glm-5.2', input: 'hi', stream: true }, { extraBody: { 'glm-*': { thinking: { type: 'disabled' } } }, dropParams: { '*': ['stream_options'] } }).body;
    expect(tuned.thinking).toEqual({ type: 'disabled' });
    expect(tuned).not.toHaveProperty('stream_options');
  });

  it('inserts a placeholder answer for a call whose output never came, and drops orphan outputs', () => {
    const messages = messagesOf({ model: 'm', input: [user('go'), fc('c1'), user('stop that'), out('zz')], tools: [execTool] });
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user']);
    expect(messages[2]).toEqual({ role: 'tool', tool_call_id: 'c1', content: 'aborted' });
  });

  it('joins a commentary message and the calls of the same response into one assistant message', () => {
    const messages = messagesOf({ model: 'm', input: [user('go'), assistant('Let me check'), fc('c1'), out('c1')], tools: [execTool] });
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(messages[1]).toMatchObject({ content: 'Let me check', tool_calls: [{ id: 'c1' }] });
  });

  it('drops a repeated assistant text and unknown items', () => {
    const messages = messagesOf({ model: 'm', input: [user('a'), assistant('same'), assistant('same'), { type: 'web_search_call' }, { type: 'local_shell_call' }, { type: 'tool_search_call', call_id: 'x' }] });
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('gives carried reasoning back on the next assistant message, tool calls and text alike (acceptance 28)', () => {
    const reasoning = (text: string) => ({ type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text }], encrypted_content: encodeCarrier({ text, field: 'reasoning_content', model: 'm' }) });
    const messages = messagesOf({ model: 'm', input: [user('go'), reasoning('plan A'), fc('c1'), out('c1'), reasoning('plan B'), assistant('done')], tools: [execTool] });
    expect(messages[1]).toMatchObject({ role: 'assistant', reasoning_content: 'plan A' });
    expect(messages[3]).toMatchObject({ role: 'assistant', content: 'done', reasoning_content: 'plan B' });
    const scoped = messagesOf({ model: 'm', input: [user('go'), reasoning('old'), assistant('a1'), user('again'), reasoning('new'), assistant('a2')] }, { quirks: { reasoningReplay: 'after-last-user' } });
    expect(scoped[1]).not.toHaveProperty('reasoning_content');
    expect(scoped[3]).toMatchObject({ reasoning_content: 'new' });
    const openrouter = messagesOf({ model: 'm', input: [user('go'), reasoning('x'), assistant('a')] }, { preset: 'openrouter' });
    expect(openrouter[1]).toMatchObject({ reasoning: 'x' });
    const tampered = { ...reasoning('x'), encrypted_content: reasoning('x').encrypted_content.slice(0, -2) + 'AA' };
    expect(messagesOf({ model: 'm', input: [user('go'), tampered, assistant('a')] })[1]).not.toHaveProperty('reasoning_content');
  });

  it('maps tool_choice, response_format and max tokens per quirks', () => {
    const body = translate({ model: 'm', input: 'hi', tools: [execTool], tool_choice: { type: 'function', name: 'exec_command' }, max_output_tokens: 99, text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true } } }).body;
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'exec_command' } });
    expect(body.max_tokens).toBe(99);
    expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } });
    const deepseek = translate({ model: 'm', input: 'hi', tools: [execTool], text: { format: { type: 'json_schema', name: 'x', schema: {} } } }, { preset: 'deepseek', quirks: { maxTokensField: 'max_completion_tokens' } }).body;
    expect(deepseek.response_format).toEqual({ type: 'json_object' });
    expect(deepseek).not.toHaveProperty('parallel_tool_calls');
  });

  it('keeps flattened names within 64 safe characters, reversibly', () => {
    const long = flattenName('mcp__a_very_long_server_name_for_testing_purposes', 'and_an_equally_long_tool_name_here');
    expect(long).toMatch(/^[a-zA-Z0-9_-]{64}$/);
    const tools = [{ type: 'namespace', name: 'mcp__a_very_long_server_name_for_testing_purposes', tools: [{ type: 'function', name: 'and_an_equally_long_tool_name_here' }, { type: 'function', name: 'has.dot' }] }];
    const { map } = translate({ model: 'm', input: 'hi', tools });
    expect(map.byUpstream.get(long)).toEqual({ kind: 'function', name: 'and_an_equally_long_tool_name_here', namespace: 'mcp__a_very_long_server_name_for_testing_purposes' });
    expect([...map.byUpstream.keys()].every((n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n))).toBe(true);
  });

  it('rejects a body without model or input with a 400', () => {
    expect(() => translate({ input: 'x' })).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => translate({ model: 'm' })).toThrow(expect.objectContaining({ status: 400 }));
  });
});
