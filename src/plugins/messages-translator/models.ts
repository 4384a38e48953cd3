import { buildCatalog, isObject, validateCatalog, type InputModality, type ModelCatalog, type ModelInfoInput, type ReasoningEffort } from '../../index.js';
import { modelInfoOf, type Settings } from './presets.js';
import type { ModelInfo } from './schema.js';

/** The Messages API's `GET /v1/models` (`{data: [{id, display_name}]}`): ids and names only. */
export function parseModelList(body: unknown): { id: string; name?: string }[] {
  const list = isObject(body) && Array.isArray(body.data) ? (body.data as unknown[]) : [];
  return list.flatMap((m) => (isObject(m) && typeof m.id === 'string' && m.id ? [{ id: m.id, name: typeof m.display_name === 'string' ? m.display_name : undefined }] : []));
}

/** The reasoning levels Codex offers for a model, by how it thinks. */
export function effortsOf(thinking: ModelInfo['thinking']): ReasoningEffort[] {
  if (thinking === 'adaptive') return ['low', 'medium', 'high', 'xhigh'];
  if (thinking === 'budget') return ['low', 'medium', 'high', 'xhigh'];
  return [];
}

/**
 * The Codex catalogue: every upstream model, every `modelMap` key and `models` entry, each with its real context
 * window, output limit and reasoning levels (from the model table), the freeform apply_patch tool (the translator
 * sends it as a one-string tool), no tool_search and no verbosity.
 */
export function codexCatalog(upstream: { id: string; name?: string }[], settings: Settings, models: string[]): ModelCatalog {
  const names = new Map(upstream.map((m) => [m.id, m.name]));
  const slugs = [...new Set([...upstream.map((m) => m.id), ...Object.keys(settings.modelMap).filter((k) => !k.includes('*')), ...models])];
  const inputs: ModelInfoInput[] = slugs.map((slug, i) => {
    const target = settings.modelMap[slug] ?? slug;
    const info = modelInfoOf(settings, target);
    const efforts = effortsOf(info.thinking);
    const input: ModelInfoInput = {
      slug,
      displayName: names.get(slug) ?? slug,
      description: target === slug ? `${slug} via messages-translator` : `${slug} → ${target} via messages-translator`,
      contextWindow: info.contextWindow,
      maxOutputTokens: info.maxOutputTokens,
      inputModalities: (info.images ? ['text', 'image'] : ['text']) satisfies InputModality[],
      reasoningEfforts: efforts,
      supportsParallelToolCalls: true,
      applyPatch: true,
      supportsSearchTool: false,
      supportsVerbosity: false,
      priority: 1000 + i,
    };
    if (efforts.length) input.defaultReasoningSummary = 'auto';
    return input;
  });
  const catalog = buildCatalog(inputs);
  const check = validateCatalog(catalog);
  if (!check.valid) throw new Error(`messages-translator built an invalid Codex catalogue: ${check.errors.join('; ')}`);
  return catalog;
}
