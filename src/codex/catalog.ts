import { DEFAULT_BASE_INSTRUCTIONS } from './base-instructions.js';

/** Reasoning effort names Codex knows; Codex accepts any non-empty string, these are the ones it sends to OpenAI. */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | (string & {});
export type InputModality = 'text' | 'image' | 'audio';

/** One entry of a Codex 0.169 model catalogue (`model_catalog_json`, `model_catalog_url`, `GET /models`). */
export interface ModelInfo {
  slug: string;
  display_name: string;
  description?: string | null;
  visibility: 'list' | 'hide' | 'none';
  supported_in_api: boolean;
  /** Lower sorts first in Codex's model picker. */
  priority: number;
  supported_reasoning_levels: { effort: ReasoningEffort; description: string }[];
  default_reasoning_level?: ReasoningEffort | null;
  default_reasoning_summary?: 'auto' | 'concise' | 'detailed' | 'none';
  shell_type: 'unified_exec' | 'disabled';
  support_verbosity: boolean;
  default_verbosity?: 'low' | 'medium' | 'high' | null;
  /** `freeform` makes Codex send the custom `apply_patch` tool; null (or absent) sends none. */
  apply_patch_tool_type: 'freeform' | null;
  web_search_tool_type: 'text' | 'text_and_image';
  truncation_policy: { mode: 'bytes' | 'tokens'; limit: number };
  experimental_supported_tools: string[];
  supports_search_tool: boolean;
  input_modalities: InputModality[];
  context_window?: number;
  max_context_window?: number;
  auto_compact_token_limit?: number;
  effective_context_window_percent: number;
  /** Legacy: Codex accepts and drops it; kept so other clients of the catalogue can read it. */
  supports_parallel_tool_calls?: boolean;
  /** Sent verbatim by Codex as the first developer message of every request. */
  base_instructions: string;
  [extra: string]: unknown;
}

/** The file / response shape Codex reads. */
export interface ModelCatalog {
  models: ModelInfo[];
}

/** What a caller knows about a model; everything but the slug has a Codex-safe default. */
export interface ModelInfoInput {
  slug: string;
  /** Default: the slug. */
  displayName?: string;
  /** Default: `<slug> via codex-code-router`. */
  description?: string;
  /** Tokens the model accepts in total. Omitted from the entry when unknown (Codex then shows no context meter). */
  contextWindow?: number;
  /** Tokens the model may answer with; used to keep auto-compaction early enough to leave room for the answer. */
  maxOutputTokens?: number;
  /** Auto-compaction threshold in tokens. Default: derived from `contextWindow` and `maxOutputTokens`. */
  autoCompactTokenLimit?: number;
  /** Default `['text']`; add `image` only for models that accept images. */
  inputModalities?: InputModality[];
  /** Efforts the model supports (shown in Codex's picker, sent as `reasoning.effort`). Default none. */
  reasoningEfforts?: ReasoningEffort[];
  /** Default: `medium` when supported, else the first of `reasoningEfforts`. */
  defaultReasoningEffort?: ReasoningEffort;
  defaultReasoningSummary?: 'auto' | 'concise' | 'detailed' | 'none';
  /** false removes the shell tools (`shell_type: disabled`). Default true. */
  supportsTools?: boolean;
  supportsParallelToolCalls?: boolean;
  /** The prompt Codex sends first. Default: the project's coding-agent prompt. */
  baseInstructions?: string;
  /** Picker order; lower first. Default 1000. */
  priority?: number;
  /** Send the freeform `apply_patch` tool. Default true (the translator round-trips it). */
  applyPatch?: boolean;
  /** Send the deferred `tool_search` tool (MCP tools then stop being listed inline). Default false. */
  supportsSearchTool?: boolean;
  /** Default false: when true Codex sends `text.verbosity`. */
  supportsVerbosity?: boolean;
  defaultVerbosity?: 'low' | 'medium' | 'high';
  webSearchToolType?: 'text' | 'text_and_image';
  /** How Codex trims long tool outputs. Default `{ mode: 'tokens', limit: 10000 }`. */
  truncationPolicy?: { mode: 'bytes' | 'tokens'; limit: number };
  /** Default `list`; `hide` keeps a model usable but out of the picker. */
  visibility?: 'list' | 'hide';
  /** Extra ModelInfo fields, copied last (for fields newer Codex versions add). */
  extra?: Record<string, unknown>;
}

const EFFORT_DESCRIPTIONS: Record<string, string> = {
  none: 'No reasoning; fastest answers',
  minimal: 'Minimal reasoning for simple tasks',
  low: 'Fast responses with lighter reasoning',
  medium: 'Balances speed and reasoning depth for everyday tasks',
  high: 'Greater reasoning depth for complex problems',
  xhigh: 'Extra high reasoning depth for complex problems',
};

/** Builds a catalogue entry with every field Codex 0.169 requires and only values it accepts. */
export function buildModelInfo(input: ModelInfoInput): ModelInfo {
  if (!input.slug) throw new TypeError('buildModelInfo: slug must be a non-empty string');
  const efforts = [...new Set(input.reasoningEfforts ?? [])].filter((e) => e !== '');
  const defaultEffort = input.defaultReasoningEffort ?? (efforts.includes('medium') ? 'medium' : efforts[0]);
  const info: ModelInfo = {
    slug: input.slug,
    display_name: input.displayName ?? input.slug,
    description: input.description ?? `${input.slug} via codex-code-router`,
    visibility: input.visibility ?? 'list',
    supported_in_api: true,
    priority: Math.trunc(input.priority ?? 1000),
    supported_reasoning_levels: efforts.map((effort) => ({ effort, description: EFFORT_DESCRIPTIONS[effort] ?? `${effort} reasoning effort` })),
    shell_type: input.supportsTools === false ? 'disabled' : 'unified_exec',
    support_verbosity: input.supportsVerbosity ?? false,
    apply_patch_tool_type: input.applyPatch === false || input.supportsTools === false ? null : 'freeform',
    web_search_tool_type: input.webSearchToolType ?? 'text',
    truncation_policy: input.truncationPolicy ?? { mode: 'tokens', limit: 10_000 },
    experimental_supported_tools: [],
    supports_search_tool: input.supportsSearchTool ?? false,
    input_modalities: input.inputModalities?.length ? [...new Set(input.inputModalities)] : ['text'],
    effective_context_window_percent: 95,
    base_instructions: input.baseInstructions ?? DEFAULT_BASE_INSTRUCTIONS,
  };
  if (defaultEffort !== undefined) info.default_reasoning_level = defaultEffort;
  if (input.defaultReasoningSummary) info.default_reasoning_summary = input.defaultReasoningSummary;
  if (input.defaultVerbosity) info.default_verbosity = input.defaultVerbosity;
  if (input.supportsParallelToolCalls !== undefined) info.supports_parallel_tool_calls = input.supportsParallelToolCalls;
  const window = positiveInt(input.contextWindow);
  if (window !== undefined) {
    info.context_window = window;
    info.max_context_window = window;
    const limit = positiveInt(input.autoCompactTokenLimit) ?? autoCompactLimit(window, positiveInt(input.maxOutputTokens));
    if (limit !== undefined) info.auto_compact_token_limit = limit;
  } else {
    const limit = positiveInt(input.autoCompactTokenLimit);
    if (limit !== undefined) info.auto_compact_token_limit = limit;
  }
  return { ...info, ...input.extra };
}

/** Builds a whole catalogue; a duplicate slug keeps the first entry. */
export function buildCatalog(inputs: readonly ModelInfoInput[]): ModelCatalog {
  const seen = new Set<string>();
  const models: ModelInfo[] = [];
  for (const input of inputs) {
    if (seen.has(input.slug)) continue;
    seen.add(input.slug);
    models.push(buildModelInfo(input));
  }
  return { models };
}

/**
 * Compaction must start while the reply still fits: leave the model's output budget free, and never go above 90% of
 * the window (Codex's own margin for the next user message and tool outputs).
 */
function autoCompactLimit(window: number, maxOutput: number | undefined): number | undefined {
  if (maxOutput === undefined) return undefined;
  const limit = Math.min(Math.floor(window * 0.9), window - maxOutput);
  return limit > 0 ? limit : undefined;
}

function positiveInt(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.trunc(value) : undefined;
}

export { validateCatalog, type CatalogValidation } from './catalog-schema.js';
export { DEFAULT_BASE_INSTRUCTIONS } from './base-instructions.js';
