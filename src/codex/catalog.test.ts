import { describe, expect, it } from 'vitest';
import { buildCatalog, buildModelInfo, DEFAULT_BASE_INSTRUCTIONS, validateCatalog } from './catalog.js';

const REQUIRED = ['slug', 'display_name', 'supported_reasoning_levels', 'shell_type', 'visibility', 'supported_in_api', 'priority', 'support_verbosity', 'truncation_policy', 'experimental_supported_tools', 'base_instructions'];

describe('buildModelInfo', () => {
  it('fills every field Codex requires from a slug alone, with Chat-friendly values', () => {
    const info = buildModelInfo({ slug: 'deepseek-chat' });
    for (const key of REQUIRED) expect(info).toHaveProperty(key);
    expect(info).toMatchObject({
      slug: 'deepseek-chat',
      display_name: 'deepseek-chat',
      visibility: 'list',
      supported_in_api: true,
      shell_type: 'unified_exec',
      apply_patch_tool_type: 'freeform',
      web_search_tool_type: 'text',
      supports_search_tool: false,
      support_verbosity: false,
      supported_reasoning_levels: [],
      input_modalities: ['text'],
      truncation_policy: { mode: 'tokens', limit: 10000 },
      experimental_supported_tools: [],
      base_instructions: DEFAULT_BASE_INSTRUCTIONS,
    });
    expect(info).not.toHaveProperty('default_reasoning_level');
    expect(info).not.toHaveProperty('context_window');
    expect(validateCatalog({ models: [info] })).toMatchObject({ valid: true });
  });

  it('maps reasoning efforts, context window, images and an instructions override', () => {
    const info = buildModelInfo({
      slug: 'kimi-k2',
      displayName: 'Kimi K2',
      contextWindow: 262144,
      maxOutputTokens: 32768,
      inputModalities: ['text', 'image'],
      reasoningEfforts: ['low', 'medium', 'high'],
      baseInstructions: 'Be terse.',
      priority: 7.9,
      supportsParallelToolCalls: true,
    });
    expect(info.supported_reasoning_levels.map((l) => l.effort)).toEqual(['low', 'medium', 'high']);
    expect(info.supported_reasoning_levels.every((l) => l.description.length > 0)).toBe(true);
    expect(info.default_reasoning_level).toBe('medium');
    expect(info).toMatchObject({ context_window: 262144, max_context_window: 262144, auto_compact_token_limit: 262144 - 32768, priority: 7 });
    expect(info.input_modalities).toEqual(['text', 'image']);
    expect(info.base_instructions).toBe('Be terse.');
    expect(info.supports_parallel_tool_calls).toBe(true);
    expect(validateCatalog({ models: [info] }).valid).toBe(true);
  });

  it('drops apply_patch and the shell when asked, still valid', () => {
    expect(buildModelInfo({ slug: 'a', applyPatch: false }).apply_patch_tool_type).toBeNull();
    const noTools = buildModelInfo({ slug: 'b', supportsTools: false });
    expect(noTools).toMatchObject({ shell_type: 'disabled', apply_patch_tool_type: null });
    expect(validateCatalog(buildCatalog([{ slug: 'a', applyPatch: false }, { slug: 'b', supportsTools: false }])).valid).toBe(true);
  });

  it('keeps the first of duplicate slugs and rejects an empty slug', () => {
    expect(buildCatalog([{ slug: 'x', priority: 1 }, { slug: 'x', priority: 2 }]).models.map((m) => m.priority)).toEqual([1]);
    expect(() => buildModelInfo({ slug: '' })).toThrow(/slug/);
  });

  it('the default prompt is our own coding-agent prompt naming the tools Codex sends', () => {
    expect(DEFAULT_BASE_INSTRUCTIONS).toMatch(/apply_patch/);
    expect(DEFAULT_BASE_INSTRUCTIONS).toMatch(/exec_command/);
    expect(DEFAULT_BASE_INSTRUCTIONS.split('\n\n').length).toBeGreaterThanOrEqual(3);
  });
});

describe('validateCatalog', () => {
  const good = () => buildModelInfo({ slug: 'm', contextWindow: 128000 }) as Record<string, unknown>;

  it('names the entry and the rule for each value Codex would reject', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ apply_patch_tool_type: 'function' }, /apply_patch_tool_type must be one of "freeform", null/],
      [{ web_search_tool_type: 'none' }, /web_search_tool_type must be one of/],
      [{ shell_type: 'bash' }, /shell_type must be one of/],
      [{ truncation_policy: { mode: 'tokens' } }, /truncation_policy must have required property 'limit'/],
      [{ priority: 1.5 }, /priority must be integer/],
      [{ context_window: 1.5 }, /context_window must be integer/],
      [{ supported_reasoning_levels: [{ effort: 'low' }] }, /must have required property 'description'/],
      [{ supported_reasoning_levels: [{ effort: '', description: 'x' }] }, /effort must NOT have fewer than 1 characters/],
      [{ input_modalities: ['video'] }, /input_modalities\/0 must be one of/],
      [{ display_name: null }, /display_name must be string/],
    ];
    for (const [patch, message] of cases) {
      const result = validateCatalog({ models: [good(), { ...good(), slug: 'bad', ...patch }] });
      expect(result.valid, JSON.stringify(patch)).toBe(false);
      expect(result.errors.join('\n')).toMatch(message);
      expect(result.errors.join('\n')).toMatch(/^\/models\/1 \(bad\)/);
    }
  });

  it('requires each required field and one of base_instructions / model_messages', () => {
    for (const key of REQUIRED.filter((k) => k !== 'base_instructions')) {
      const entry = good();
      delete entry[key];
      expect(validateCatalog({ models: [entry] }).valid, key).toBe(false);
    }
    const entry = good();
    delete entry.base_instructions;
    expect(validateCatalog({ models: [entry] }).errors).toEqual(['/models/0 (m): needs base_instructions or model_messages.instructions_template']);
    expect(validateCatalog({ models: [{ ...entry, model_messages: { instructions_template: 'x' } }] }).valid).toBe(true);
  });

  it('accepts what Codex accepts: unknown fields, open effort names, legacy shell types', () => {
    expect(validateCatalog({ models: [{ ...good(), future_field: 1, shell_type: 'local', supported_reasoning_levels: [{ effort: 'max', description: 'x' }] }] }).valid).toBe(true);
  });

  it('rejects OpenAI-style lists and duplicate slugs', () => {
    expect(validateCatalog({ object: 'list', data: [] }).valid).toBe(false);
    expect(validateCatalog({ models: [good(), good()] }).errors).toEqual(['/models: duplicate slug "m"']);
  });
});
