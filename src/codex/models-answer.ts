import { buildModelInfo, type InputModality, type ModelInfo, type ModelInfoInput } from './catalog.js';
import { validateCatalog } from './catalog-schema.js';
import { isObject, type JsonObject } from '../json/is-object.js';

/** What a `/models` answer tells about the models behind a chain. */
export interface DiscoveredModels {
  /** Complete Codex entries (the chain already serves a Codex catalogue). */
  entries: ModelInfo[];
  /** Partial facts (an OpenAI or Copilot list), to be completed with `buildModelInfo`. */
  inputs: ModelInfoInput[];
}

// Field names under which OpenAI-compatible providers report a model's context length.
const CONTEXT_FIELDS = ['context_window', 'context_length', 'max_context_length', 'max_model_len', 'max_context_window', 'max_context_window_tokens', 'input_token_limit'];
const OUTPUT_FIELDS = ['max_output_tokens', 'max_completion_tokens', 'output_token_limit'];

/**
 * Reads a `/models` answer of any shape the project meets: a Codex catalogue (`{"models":[ModelInfo]}`), an OpenAI
 * list (`{"data":[{id, context_length?...}]}`, as Chat providers answer), or Copilot's list (`capabilities.limits`).
 */
export function readModelsAnswer(body: unknown): DiscoveredModels {
  const out: DiscoveredModels = { entries: [], inputs: [] };
  if (typeof body !== 'object' || body === null) return out;
  // Some local servers answer a bare array.
  const { models, data } = (Array.isArray(body) ? { data: body } : body) as { models?: unknown; data?: unknown };
  if (Array.isArray(models)) {
    for (const model of models) {
      if (!isObject(model)) continue;
      if (validateCatalog({ models: [model] }).valid) out.entries.push(model as ModelInfo);
      else {
        const input = inputFrom(model);
        if (input) out.inputs.push(input);
      }
    }
  }
  if (Array.isArray(data)) {
    for (const model of data) {
      const input = isObject(model) ? inputFrom(model) : undefined;
      if (input && !out.entries.some((e) => e.slug === input.slug) && !out.inputs.some((i) => i.slug === input.slug)) out.inputs.push(input);
    }
  }
  return out;
}

function inputFrom(model: JsonObject): ModelInfoInput | undefined {
  const slug = [model.slug, model.id, model.name, model.model].find((v): v is string => typeof v === 'string' && v !== '');
  if (!slug) return undefined;
  const limits = isObject(model.capabilities) && isObject(model.capabilities.limits) ? model.capabilities.limits : {};
  const supports = isObject(model.capabilities) && isObject(model.capabilities.supports) ? model.capabilities.supports : {};
  const top = isObject(model.top_provider) ? model.top_provider : {};
  // llama.cpp reports the trained context under meta.n_ctx_train.
  const meta = isObject(model.meta) ? { context_window: model.meta.n_ctx_train } : {};
  const input: ModelInfoInput = { slug };
  if (typeof model.display_name === 'string') input.displayName = model.display_name;
  else if (typeof model.name === 'string' && model.name !== slug) input.displayName = model.name;
  input.contextWindow = firstNumber([model, limits, top, meta], CONTEXT_FIELDS) ?? firstNumber([limits], ['max_prompt_tokens']);
  input.maxOutputTokens = firstNumber([model, limits, top], OUTPUT_FIELDS);
  const modalities = imageSupport(model, supports);
  if (modalities) input.inputModalities = modalities;
  return input;
}

function imageSupport(model: JsonObject, supports: JsonObject): InputModality[] | undefined {
  if (supports.vision === true) return ['text', 'image'];
  const declared = model.input_modalities ?? (isObject(model.architecture) ? model.architecture.input_modalities : undefined);
  if (Array.isArray(declared)) return declared.includes('image') ? ['text', 'image'] : ['text'];
  const vision = isObject(model.capabilities) ? model.capabilities.vision : undefined;
  if (typeof vision === 'boolean') return vision ? ['text', 'image'] : ['text'];
  return undefined;
}

function firstNumber(sources: JsonObject[], fields: string[]): number | undefined {
  for (const source of sources) {
    for (const field of fields) {
      const value = source[field];
      if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.trunc(value);
    }
  }
  return undefined;
}

/** Completes discovered models into entries, applying an instructions override to every entry. */
export function completeEntries(found: DiscoveredModels, o: { baseInstructions?: string; contextWindow?: number } = {}): ModelInfo[] {
  const entries = found.entries.map((e) => (o.baseInstructions ? { ...e, base_instructions: o.baseInstructions, model_messages: undefined } : e));
  for (const input of found.inputs) {
    entries.push(buildModelInfo({ ...input, contextWindow: input.contextWindow ?? o.contextWindow, baseInstructions: o.baseInstructions }));
  }
  return entries;
}
