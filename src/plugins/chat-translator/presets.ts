import { allMatching, checkBaseUrl, lookupPattern, matchPattern } from '../../index.js';
import { quirkDefaults, type ChatTranslatorOptions, type PresetName, type Quirks } from './schema.js';

/** What a preset fills in. Everything here can be overridden by an explicit option. */
export interface Preset {
  baseUrl: string;
  /** Environment variable holding the key; absent for local servers that need none. */
  apiKeyEnv?: string;
  quirks: Partial<Quirks>;
  dropParams?: Record<string, string[]>;
  extraBody?: Record<string, Record<string, unknown>>;
}

// Facts per provider, as documented by each provider's OpenAI-compatible API (see docs/chat-translator.md):
// which reasoning field it streams and wants back, and which optional Chat parameters it rejects.
const kimi: Preset = {
  baseUrl: 'https://api.moonshot.ai/v1',
  apiKeyEnv: 'MOONSHOT_API_KEY',
  // Moonshot accepts only auto/none as tool_choice and rejects json_schema response formats.
  quirks: { reasoningField: 'reasoning_content', responseFormat: 'json_object', toolChoice: false, imageModels: ['kimi-k2*', 'kimi-latest*', '*vision*'] },
};
const qwen: Preset = {
  baseUrl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
  apiKeyEnv: 'DASHSCOPE_API_KEY',
  quirks: { reasoningField: 'reasoning_content', responseFormat: 'json_object', imageModels: ['qwen-vl*', 'qwen*-vl*', 'qvq*', 'qwen-omni*', 'qwen*-omni*'] },
};

export const presets: Readonly<Record<PresetName, Preset>> = {
  deepseek: {
    baseUrl: 'https://api.deepseek.com/v1',
    apiKeyEnv: 'DEEPSEEK_API_KEY',
    // Thinking mode requires reasoning_content back on tool-call turns; the Chat API has no image parts.
    quirks: { reasoningField: 'reasoning_content', responseFormat: 'json_object', parallelToolCalls: false, imageModels: [] },
  },
  kimi,
  moonshot: kimi,
  qwen,
  dashscope: qwen,
  mistral: {
    baseUrl: 'https://api.mistral.ai/v1',
    apiKeyEnv: 'MISTRAL_API_KEY',
    // Mistral forbids unknown body fields (stream_options, reasoning fields on messages); usage comes anyway.
    quirks: { reasoningField: null, streamOptions: false, imageModels: ['pixtral*', 'mistral-medium*', 'mistral-small*'] },
  },
  groq: {
    baseUrl: 'https://api.groq.com/openai/v1',
    apiKeyEnv: 'GROQ_API_KEY',
    // Groq streams `reasoning` but rejects it as an input message field; its reasoning_format "raw" (the default
    // for Qwen3 and the R1 distills) leaves the reasoning in content as <think> tags.
    quirks: { reasoningField: null, responseFormat: 'json_object', imageModels: ['meta-llama/llama-4*'], thinkTags: ['*deepseek-r1*', '*qwq*', 'qwen/qwen3*'] },
  },
  xai: {
    baseUrl: 'https://api.x.ai/v1',
    apiKeyEnv: 'XAI_API_KEY',
    quirks: { reasoningField: null, imageModels: ['grok-4*', '*vision*'] },
  },
  openrouter: {
    baseUrl: 'https://openrouter.ai/api/v1',
    apiKeyEnv: 'OPENROUTER_API_KEY',
    quirks: { reasoningField: 'reasoning', reasoningEffort: 'reasoning', imageModels: ['*'] },
  },
  llamacpp: {
    baseUrl: 'http://127.0.0.1:8080/v1',
    // llama-server answers image parts with an error unless started with a projector; opt in with quirks.imageModels.
    quirks: { reasoningField: 'reasoning_content', imageModels: [] },
  },
  ollama: {
    baseUrl: 'http://127.0.0.1:11434/v1',
    quirks: { reasoningField: 'reasoning', imageModels: [] },
  },
};

/** The merged, validated configuration the translator runs with. */
export interface Settings {
  /** Undefined in routed mode: an earlier plugin (e.g. copilot-models) picks the upstream per exchange. */
  baseUrl: string | undefined;
  apiKeyEnv: string | undefined;
  headers: Record<string, string>;
  modelMap: Record<string, string>;
  extraBody: Record<string, Record<string, unknown>>;
  dropParams: Record<string, string[]>;
  quirks: Quirks;
}

/** Preset, then explicit options; throws a plain Error (the loader names plugin and chain) when unusable. */
export function resolveSettings(options: ChatTranslatorOptions): Settings {
  const preset = options.preset ? presets[options.preset] : undefined;
  const baseUrl = (options.baseUrl ?? preset?.baseUrl)?.replace(/\/+$/, '');
  if (baseUrl !== undefined) checkBaseUrl(baseUrl);
  const quirks: Quirks = { ...quirkDefaults, ...preset?.quirks, ...definedOnly(options.quirks) };
  return {
    baseUrl,
    apiKeyEnv: options.apiKeyEnv ?? preset?.apiKeyEnv,
    headers: { ...options.headers },
    modelMap: { ...options.modelMap },
    extraBody: { ...preset?.extraBody, ...options.extraBody },
    dropParams: { ...preset?.dropParams, ...options.dropParams },
    quirks,
  };
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export { allMatching, lookupPattern, matchPattern };
