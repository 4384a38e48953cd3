import { buildCatalog, readModelsAnswer, validateCatalog, type InputModality, type ModelCatalog, type ModelInfoInput } from '../../index.js';
import { matchPattern, type Settings } from './presets.js';

/** What the upstream's `/models` says about one model. */
export interface UpstreamModel {
  id: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  images?: boolean;
}

/** What the upstream's `/models` says, through the project's one reader of model lists (`readModelsAnswer`). */
export function parseModelList(body: unknown): UpstreamModel[] {
  const { entries, inputs } = readModelsAnswer(body);
  return [
    ...entries.map((e) => ({ id: e.slug, contextWindow: e.context_window, images: e.input_modalities?.includes('image') })),
    ...inputs.map((i) => ({ id: i.slug, contextWindow: i.contextWindow, maxOutputTokens: i.maxOutputTokens, images: i.inputModalities?.includes('image') })),
  ];
}

/**
 * The Codex catalogue: every upstream model under its own id, every `modelMap` key and `models` entry, each with
 * metadata the translator can honour (freeform apply_patch, no tool_search, no verbosity). Validated before serving;
 * an upstream failure still yields the configured entries.
 */
export function codexCatalog(upstream: UpstreamModel[], settings: Settings, o: { contextWindow: number; models: string[] }): ModelCatalog {
  const byId = new Map(upstream.map((m) => [m.id, m]));
  const slugs = [...upstream.map((m) => m.id), ...Object.keys(settings.modelMap).filter((k) => !k.includes('*')), ...o.models];
  const inputs: ModelInfoInput[] = slugs.map((slug, i) => {
    const target = settings.modelMap[slug] ?? slug;
    const known = byId.get(target) ?? byId.get(slug);
    const images = known?.images ?? settings.quirks.imageModels.some((p) => matchPattern(p, target));
    const modalities: InputModality[] = images ? ['text', 'image'] : ['text'];
    const input: ModelInfoInput = {
      slug,
      description: target === slug ? `${slug} via chat-translator` : `${slug} → ${target} via chat-translator`,
      contextWindow: known?.contextWindow ?? o.contextWindow,
      inputModalities: modalities,
      reasoningEfforts: settings.quirks.reasoningEffort ? ['low', 'medium', 'high'] : [],
      supportsParallelToolCalls: settings.quirks.parallelToolCalls,
      applyPatch: true,
      supportsSearchTool: false,
      supportsVerbosity: false,
      priority: 1000 + i,
    };
    if (known?.maxOutputTokens) input.maxOutputTokens = known.maxOutputTokens;
    return input;
  });
  const catalog = buildCatalog(inputs);
  const check = validateCatalog(catalog);
  if (!check.valid) throw new Error(`chat-translator built an invalid Codex catalogue: ${check.errors.join('; ')}`);
  return catalog;
}
