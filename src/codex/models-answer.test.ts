import { describe, expect, it } from 'vitest';
import { buildModelInfo } from './catalog.js';
import { readModelsAnswer } from './models-answer.js';

describe('readModelsAnswer: every /models shape the project meets', () => {
  it('reads context lengths under each provider\'s field name and image support however it is declared', () => {
    const { inputs } = readModelsAnswer({
      object: 'list',
      data: [
        { id: 'or', context_length: 200000, architecture: { input_modalities: ['text', 'image'] }, top_provider: { max_completion_tokens: 8192 } },
        { id: 'groq', context_window: 131072 },
        { id: 'vllm', max_model_len: 32768 },
        { id: 'llama', meta: { n_ctx_train: 16384 } },
        { id: 'mistral', max_context_length: 128000, capabilities: { vision: false } },
        { id: 'copilot', capabilities: { limits: { max_context_window_tokens: 400000, max_output_tokens: 128000 }, supports: { vision: true } } },
      ],
    });
    expect(inputs).toEqual([
      { slug: 'or', contextWindow: 200000, maxOutputTokens: 8192, inputModalities: ['text', 'image'] },
      { slug: 'groq', contextWindow: 131072, maxOutputTokens: undefined },
      { slug: 'vllm', contextWindow: 32768, maxOutputTokens: undefined },
      { slug: 'llama', contextWindow: 16384, maxOutputTokens: undefined },
      { slug: 'mistral', contextWindow: 128000, maxOutputTokens: undefined, inputModalities: ['text'] },
      { slug: 'copilot', contextWindow: 400000, maxOutputTokens: 128000, inputModalities: ['text', 'image'] },
    ]);
  });

  it('takes a bare array, names under `name` or `model`, and complete Codex entries as they are', () => {
    expect(readModelsAnswer([{ name: 'local-a' }, { model: 'local-b' }, { nothing: 1 }]).inputs.map((i) => i.slug)).toEqual(['local-a', 'local-b']);
    const entry = buildModelInfo({ slug: 'ready' });
    expect(readModelsAnswer({ models: [entry] })).toEqual({ entries: [entry], inputs: [] });
  });
});
