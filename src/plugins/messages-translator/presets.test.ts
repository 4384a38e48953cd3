import { describe, expect, it } from 'vitest';
import { modelInfoOf, resolveSettings } from './presets.js';
import type { MessagesTranslatorOptions } from './schema.js';

const base: MessagesTranslatorOptions = { baseUrl: 'http://up.test', anthropicVersion: '2023-06-01', betas: [], headers: {}, modelMap: {}, modelInfo: {}, models: [], thinkingBudgets: {}, promptCaching: true, extraBody: {}, commitAfterMs: 1000, keepAliveMs: 10000, historyCacheBytes: 0 };

describe('model facts', () => {
  it('gives each model its own facts however often and in whatever order the chain asks (they are matched once per name)', () => {
    const settings = resolveSettings({ ...base, modelInfo: { 'my-model*': { contextWindow: 1000, maxOutputTokens: 100, thinking: 'none', images: false } } });
    const asked = ['claude-opus-4.6', 'my-model-2', 'claude-sonnet-4.5', 'unknown', 'my-model-2', 'claude-opus-4.6', 'unknown'];
    const facts = asked.map((model) => modelInfoOf(settings, model));
    expect(facts.map((f) => [f.maxOutputTokens, f.thinking, f.images])).toEqual([
      [128000, 'adaptive', true],
      [100, 'none', false],
      [64000, 'budget', true],
      [32000, 'none', true],
      [100, 'none', false],
      [128000, 'adaptive', true],
      [32000, 'none', true],
    ]);
    // Another chain's tables give its own facts for the same name, and a per-request override still wins.
    expect(modelInfoOf(resolveSettings(base), 'my-model-2').maxOutputTokens).toBe(32000);
    expect(modelInfoOf(settings, 'my-model-2', { maxOutputTokens: 7 }).maxOutputTokens).toBe(7);
  });
});
