import { checkBaseUrl, lookupPattern } from '../../index.js';
import type { MessagesTranslatorOptions, ModelInfo, PresetName } from './schema.js';

/** What a preset fills in; every field can be overridden by an explicit option. */
export interface Preset {
  baseUrl: string;
  apiKeyEnv: string;
  authHeader: 'x-api-key' | 'authorization';
  /** Model facts for this provider's own models (over the built-in Claude table). */
  modelInfo?: Record<string, ModelInfo>;
  /** Ask for interleaved thinking (thinking between tool calls) on budget-thinking models, as Anthropic documents. */
  interleavedThinking?: boolean;
}

// Each provider's documented Anthropic-compatible endpoint (docs/messages-translator.md has the sources).
const kimi: Preset = {
  baseUrl: 'https://api.moonshot.ai/anthropic',
  apiKeyEnv: 'MOONSHOT_API_KEY',
  authHeader: 'x-api-key',
  modelInfo: { 'kimi-k2*': { contextWindow: 262144, maxOutputTokens: 32768, thinking: 'budget', images: false }, 'kimi-*vision*': { images: true } },
};
const glm: Preset = {
  baseUrl: 'https://api.z.ai/api/anthropic',
  apiKeyEnv: 'ZAI_API_KEY',
  authHeader: 'x-api-key',
  modelInfo: { 'glm-*': { contextWindow: 200000, maxOutputTokens: 65536, thinking: 'budget', images: false }, 'glm-*v*': { images: true } },
};

export const presets: Readonly<Record<PresetName, Preset>> = {
  anthropic: { baseUrl: 'https://api.anthropic.com', apiKeyEnv: 'ANTHROPIC_API_KEY', authHeader: 'x-api-key', interleavedThinking: true },
  kimi,
  moonshot: kimi,
  deepseek: {
    baseUrl: 'https://api.deepseek.com/anthropic',
    apiKeyEnv: 'DEEPSEEK_API_KEY',
    authHeader: 'x-api-key',
    // DeepSeek maps unknown claude-* names to its own models and rejects other unknown names.
    modelInfo: { 'deepseek-*': { contextWindow: 131072, maxOutputTokens: 32768, thinking: 'budget', images: false } },
  },
  glm,
  zai: glm,
  minimax: {
    baseUrl: 'https://api.minimax.io/anthropic',
    apiKeyEnv: 'MINIMAX_API_KEY',
    authHeader: 'x-api-key',
    modelInfo: { 'minimax-*': { contextWindow: 204800, maxOutputTokens: 32768, thinking: 'budget', images: false } },
  },
};

/**
 * Anthropic's Claude models (context window, largest output, thinking mode), matched on the name with `.` read as
 * `-` (Copilot writes `claude-sonnet-4.5`, Anthropic `claude-sonnet-4-5-20250929`). First match wins.
 */
export const CLAUDE_MODELS: Readonly<Record<string, ModelInfo>> = {
  'claude-opus-4-6*': { contextWindow: 200000, maxOutputTokens: 128000, thinking: 'adaptive', images: true, structuredOutputs: true },
  'claude-sonnet-4-6*': { contextWindow: 200000, maxOutputTokens: 64000, thinking: 'adaptive', images: true, structuredOutputs: true },
  'claude-opus-4-5*': { contextWindow: 200000, maxOutputTokens: 64000, thinking: 'budget', images: true, structuredOutputs: true },
  'claude-opus-4-1*': { contextWindow: 200000, maxOutputTokens: 32000, thinking: 'budget', images: true, structuredOutputs: true },
  'claude-opus-4*': { contextWindow: 200000, maxOutputTokens: 32000, thinking: 'budget', images: true, structuredOutputs: false },
  'claude-sonnet-4-5*': { contextWindow: 200000, maxOutputTokens: 64000, thinking: 'budget', images: true, structuredOutputs: true },
  'claude-haiku-4-5*': { contextWindow: 200000, maxOutputTokens: 64000, thinking: 'budget', images: true, structuredOutputs: true },
  'claude-sonnet-4*': { contextWindow: 200000, maxOutputTokens: 64000, thinking: 'budget', images: true, structuredOutputs: false },
  'claude-haiku-4*': { contextWindow: 200000, maxOutputTokens: 64000, thinking: 'budget', images: true, structuredOutputs: false },
  'claude-3-7-sonnet*': { contextWindow: 200000, maxOutputTokens: 64000, thinking: 'budget', images: true, structuredOutputs: false },
  'claude-3*': { contextWindow: 200000, maxOutputTokens: 8192, thinking: 'none', images: true, structuredOutputs: false },
  // Later Claude generations: adaptive thinking, as Anthropic's newest models take it.
  'claude-*-5*': { contextWindow: 200000, maxOutputTokens: 64000, thinking: 'adaptive', images: true, structuredOutputs: true },
  'claude-*': { contextWindow: 200000, maxOutputTokens: 32000, thinking: 'budget', images: true, structuredOutputs: false },
};

/** When nothing is known of a model. */
export const UNKNOWN_MODEL: Required<ModelInfo> = { contextWindow: 200000, maxOutputTokens: 32000, thinking: 'none', images: true, structuredOutputs: false };

export const DEFAULT_BUDGETS = { low: 2048, medium: 8192, high: 16384, xhigh: 32000 } as const;

/** The merged configuration the translator runs with. */
export interface Settings {
  /** Undefined in routed mode: an earlier plugin (copilot-models) picks the upstream per exchange. */
  baseUrl: string | undefined;
  apiKeyEnv: string | undefined;
  authHeader: 'x-api-key' | 'authorization';
  anthropicVersion: string;
  betas: string[];
  headers: Record<string, string>;
  modelMap: Record<string, string>;
  /** Options first, then the preset's, then the Claude table: the first pattern that matches gives each field. */
  modelTables: Record<string, ModelInfo>[];
  budgets: Record<'low' | 'medium' | 'high' | 'xhigh', number>;
  promptCaching: boolean;
  extraBody: Record<string, Record<string, unknown>>;
  /** `anthropic-beta: interleaved-thinking-2025-05-14` on requests with budget thinking (the preset's; routed mode always). */
  interleavedThinking: boolean;
}

export function resolveSettings(options: MessagesTranslatorOptions): Settings {
  const preset = options.preset ? presets[options.preset] : undefined;
  const baseUrl = (options.baseUrl ?? preset?.baseUrl)?.replace(/\/+$/, '').replace(/\/v1(\/messages)?$/, '');
  if (baseUrl !== undefined) checkBaseUrl(baseUrl);
  return {
    baseUrl,
    apiKeyEnv: options.apiKeyEnv ?? preset?.apiKeyEnv,
    authHeader: options.authHeader ?? preset?.authHeader ?? 'x-api-key',
    anthropicVersion: options.anthropicVersion,
    betas: [...options.betas],
    headers: Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k.toLowerCase(), v])),
    modelMap: { ...options.modelMap },
    modelTables: [options.modelInfo, preset?.modelInfo ?? {}, CLAUDE_MODELS],
    budgets: { ...DEFAULT_BUDGETS, ...options.thinkingBudgets },
    promptCaching: options.promptCaching,
    extraBody: { ...options.extraBody },
    // Routed mode follows Copilot's editor client, which asks for it on every model without adaptive thinking.
    interleavedThinking: baseUrl === undefined || preset?.interleavedThinking === true,
  };
}

/** Each field from the first table whose pattern matches (exact names before patterns), else the unknown-model value. */
export function modelInfoOf(settings: Pick<Settings, 'modelTables'>, model: string, override?: ModelInfo): Required<ModelInfo> {
  const name = model.replace(/\./g, '-');
  const found = tableEntries(settings.modelTables, name);
  const field = <K extends keyof ModelInfo>(key: K): Required<ModelInfo>[K] => (override?.[key] ?? found.find((info) => info[key] !== undefined)?.[key] ?? UNKNOWN_MODEL[key]) as Required<ModelInfo>[K];
  return { contextWindow: field('contextWindow'), maxOutputTokens: field('maxOutputTokens'), thinking: field('thinking'), images: field('images'), structuredOutputs: field('structuredOutputs') };
}

const lookups = new WeakMap<object, Map<string, ModelInfo[]>>();

/** Each table's entry for a model name: matched once per name (a chain names a few models, on every request). */
function tableEntries(tables: Record<string, ModelInfo>[], name: string): ModelInfo[] {
  let byName = lookups.get(tables);
  if (!byName) lookups.set(tables, (byName = new Map()));
  let found = byName.get(name);
  if (!found) {
    found = tables.map((table) => lookupPattern(normalizedKeys(table), name) ?? {});
    // Names come from requests: a client naming thousands of models must not grow this without bound.
    if (byName.size >= 256) byName.clear();
    byName.set(name, found);
  }
  return found;
}

const normalized = new WeakMap<object, Record<string, ModelInfo>>();

function normalizedKeys(table: Record<string, ModelInfo>): Record<string, ModelInfo> {
  let out = normalized.get(table);
  if (!out) {
    out = Object.fromEntries(Object.entries(table).map(([k, v]) => [k.replace(/\./g, '-'), v]));
    normalized.set(table, out);
  }
  return out;
}
