import { buildCatalog, validateCatalog, type InputModality, type ModelCatalog, type ModelInfoInput } from '../../index.js';
import { matchPattern, type Settings } from './presets.js';
import { isObject } from './tools.js';

/** What the upstream's `/models` says about one model. */
export interface UpstreamModel {
  id: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  images?: boolean;
}

/** Reads an OpenAI-style list (`data`) or a `models` array; tolerant of every provider's extra fields. */
export function parseModelList(body: unknown): UpstreamModel[] {
  const list = isObject(body) ? (Array.isArray(body.data) ? body.data : Array.isArray(body.models) ? body.models : []) : Array.isArray(body) ? body : [];
  const out: UpstreamModel[] = [];
  for (const entry of list as unknown[]) {
    if (!isObject(entry)) continue;
    const id = typeof entry.id === 'string' ? entry.id : typeof entry.name === 'string' ? entry.name : typeof entry.model === 'string' ? entry.model : undefined;
    if (!id) continue;
    const meta = isObject(entry.meta) ? entry.meta : {};
    const top = isObject(entry.top_provider) ? entry.top_provider : {};
    const model: UpstreamModel = { id };
    // OpenRouter context_length, Groq context_window, vLLM max_model_len, Mistral max_context_length, llama.cpp meta.n_ctx_train.
    const window = firstNumber(entry.context_length, entry.context_window, entry.max_model_len, entry.max_context_length, meta.n_ctx_train, top.context_length);
    if (window) model.contextWindow = window;
    const maxOut = firstNumber(top.max_completion_tokens, entry.max_completion_tokens, entry.max_output_tokens);
    if (maxOut) model.maxOutputTokens = maxOut;
    const arch = isObject(entry.architecture) ? entry.architecture : {};
    const capabilities = isObject(entry.capabilities) ? entry.capabilities : {};
    if (Array.isArray(arch.input_modalities)) model.images = arch.input_modalities.includes('image');
    else if (typeof capabilities.vision === 'boolean') model.images = capabilities.vision;
    out.push(model);
  }
  return out;
}

function firstNumber(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.trunc(v);
  return undefined;
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
