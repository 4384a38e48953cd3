/** Provider behaviours that differ between Chat Completions upstreams. A preset fills them; options override. */
export interface Quirks {
  /**
   * Field of an assistant message that carries the model's earlier reasoning back to the upstream
   * (`reasoning_content` for DeepSeek/Kimi/Qwen, `reasoning` for OpenRouter/Ollama); null never sends it.
   * Both fields are always read from the upstream.
   * @default "reasoning_content"
   */
  reasoningField: 'reasoning_content' | 'reasoning' | null;
  /**
   * Which assistant turns get their reasoning back: `all`, or only those after the last user message.
   * @default "all"
   */
  reasoningReplay: 'all' | 'after-last-user';
  /**
   * How Codex's `reasoning.effort` reaches the upstream: top-level `reasoning_effort`, OpenRouter's
   * `reasoning: {effort}`, or not at all.
   * @default false
   */
  reasoningEffort: 'reasoning_effort' | 'reasoning' | false;
  /**
   * Structured output support: `json_schema` maps `text.format` through, `json_object` degrades a schema to
   * JSON mode, false drops it.
   * @default "json_schema"
   */
  responseFormat: 'json_schema' | 'json_object' | false;
  /** Send `stream_options: {include_usage: true}` on streaming requests. @default true */
  streamOptions: boolean;
  /** Send `tool_choice` (never when the request has no tools). @default true */
  toolChoice: boolean;
  /** Send `parallel_tool_calls` (never when the request has no tools). @default true */
  parallelToolCalls: boolean;
  /** Name of the output-token limit field. @default "max_tokens" */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Send `thinking: {type: "enabled"}` to GLM/Zhipu models. @default true */
  glmThinking: boolean;
  /** Upstream model name patterns (`*` wildcard) that accept image parts; others get a text note. @default ["*"] */
  imageModels: string[];
  /**
   * Upstream model name patterns (`*` wildcard) whose answers put their reasoning in `content` as a leading
   * `<think>…</think>` block, split out as reasoning; `[]` never splits, `["*"]` always.
   * @default ["*deepseek-r1*", "*qwq*"]
   */
  thinkTags: string[];
}

export type PresetName = 'deepseek' | 'kimi' | 'moonshot' | 'qwen' | 'dashscope' | 'mistral' | 'groq' | 'xai' | 'openrouter' | 'llamacpp' | 'ollama';

/** Options of the `chat-translator` plugin. Explicit options override the chosen preset. */
export interface ChatTranslatorOptions {
  /** Named provider preset filling `baseUrl`, `apiKeyEnv` and `quirks`. */
  preset?: PresetName;
  /** Chat Completions base URL; `/chat/completions` and `/models` are appended. Default: the preset's. */
  baseUrl?: string;
  /** Upstream API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Name of the environment variable holding the API key (used when `apiKey` is not set). Default: the preset's. */
  apiKeyEnv?: string;
  /** Extra headers sent upstream on every request. @default {} */
  headers: Record<string, string>;
  /** Codex model name → upstream model name; `*` wildcards allowed in keys; responses keep the Codex name. @default {} */
  modelMap: Record<string, string>;
  /** Upstream model pattern → top-level keys merged into the Chat body last (provider extras). @default {} */
  extraBody: Record<string, Record<string, unknown>>;
  /** Upstream model pattern → top-level Chat body keys to remove before `extraBody` applies. @default {} */
  dropParams: Record<string, string[]>;
  /** Commit a 200 event stream to Codex when the upstream has not answered after this long (ms). @default 1000 */
  commitAfterMs: number;
  /** Send a `response.in_progress` event when nothing was sent to Codex for this long (ms). @default 10000 */
  keepAliveMs: number;
  /** Context window reported in the Codex catalogue when the upstream does not report one. @default 128000 */
  contextWindow: number;
  /** Codex model slugs always listed in the catalogue, besides the upstream's and `modelMap`'s. @default [] */
  models: string[];
  /** Provider behaviour overrides (see `Quirks`). @default {} */
  quirks: Partial<Quirks>;
  /** Secret mixed into the reasoning carrier's integrity tag; set it to reject carriers from other installs. */
  carrierKey?: string;
  /** Entries of the in-memory reasoning fallback cache (for clients that drop `encrypted_content`). @default 512 */
  reasoningCacheSize: number;
  /**
   * Bytes of recent sessions' translated history kept in memory (8 sessions at most): a request that repeats a
   * remembered history translates only the items after it. 0 turns it off. @default 67108864
   */
  historyCacheBytes: number;
  /**
   * How a model's refusal (`delta.refusal`) reaches the client: `refusal`, the Responses API's refusal content part;
   * `output_text`, answer text; `auto`, answer text for Codex (its `originator` or `user-agent`), which drops a
   * message whose only part is a refusal, and the refusal part for every other client. @default "auto"
   */
  refusalAs: 'refusal' | 'output_text' | 'auto';
}

const patternMap = (description: string, value: object) => ({ type: 'object', description, default: {}, additionalProperties: value });

const quirkProperties = {
  reasoningField: { enum: ['reasoning_content', 'reasoning', null], description: 'Assistant message field that carries earlier reasoning back upstream (null: never). Default: "reasoning_content".' },
  reasoningReplay: { enum: ['all', 'after-last-user'], description: 'Which assistant turns get their reasoning back. Default: "all".' },
  reasoningEffort: { enum: ['reasoning_effort', 'reasoning', false], description: 'How reasoning.effort is sent: reasoning_effort, reasoning:{effort}, or not at all. Default: false.' },
  responseFormat: { enum: ['json_schema', 'json_object', false], description: 'Structured output support for text.format. Default: "json_schema".' },
  streamOptions: { type: 'boolean', description: 'Send stream_options.include_usage on streaming requests. Default: true.' },
  toolChoice: { type: 'boolean', description: 'Send tool_choice when tools are present. Default: true.' },
  parallelToolCalls: { type: 'boolean', description: 'Send parallel_tool_calls when tools are present. Default: true.' },
  maxTokensField: { enum: ['max_tokens', 'max_completion_tokens'], description: 'Field that carries max_output_tokens. Default: "max_tokens".' },
  glmThinking: { type: 'boolean', description: 'Send thinking:{type:"enabled"} to GLM/Zhipu models. Default: true.' },
  imageModels: { type: 'array', items: { type: 'string' }, description: 'Upstream model patterns that accept image parts (* wildcard). Default: ["*"].' },
  thinkTags: { type: 'array', items: { type: 'string' }, description: 'Upstream model patterns whose content starts with a <think> block to split out as reasoning (* wildcard). Default: ["*deepseek-r1*", "*qwq*"]; the groq preset adds qwen/qwen3*.' },
} as const;

/**
 * The ajv schema. Options a preset can fill (`baseUrl`, `apiKeyEnv`, `quirks.*`) carry their default in the
 * description only: an ajv default would be indistinguishable from an explicit value and override the preset.
 */
export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    preset: {
      enum: ['deepseek', 'kimi', 'moonshot', 'qwen', 'dashscope', 'mistral', 'groq', 'xai', 'openrouter', 'llamacpp', 'ollama'],
      description: 'Named provider preset filling baseUrl, apiKeyEnv and quirks (explicit options win). Default: none.',
    },
    baseUrl: { type: 'string', pattern: '^https?://', description: 'Chat Completions base URL; /chat/completions is appended. Default: the preset\'s.' },
    apiKey: { type: 'string', minLength: 1, description: 'Upstream API key (Bearer). Default: the value of apiKeyEnv.' },
    apiKeyEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Environment variable holding the API key. Default: the preset\'s (e.g. DEEPSEEK_API_KEY).' },
    headers: patternMap('Extra headers sent upstream on every request.', { type: 'string' }),
    modelMap: patternMap('Codex model name (or * pattern) -> upstream model name; responses keep the Codex name.', { type: 'string', minLength: 1 }),
    extraBody: patternMap('Upstream model pattern -> top-level keys merged into the Chat body last.', { type: 'object' }),
    dropParams: patternMap('Upstream model pattern -> top-level Chat body keys removed before extraBody.', { type: 'array', items: { type: 'string', minLength: 1 } }),
    commitAfterMs: { type: 'integer', minimum: 0, description: 'Commit a 200 event stream to Codex when the upstream has not answered after this many ms.', default: 1000 },
    keepAliveMs: { type: 'integer', minimum: 1, description: 'Send response.in_progress when nothing was sent to Codex for this many ms.', default: 10000 },
    contextWindow: { type: 'integer', minimum: 1, description: 'Context window in the Codex catalogue when the upstream reports none.', default: 128000 },
    models: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Codex model slugs always listed in the catalogue.', default: [] },
    quirks: { type: 'object', additionalProperties: false, properties: quirkProperties, description: 'Provider behaviour overrides; unset ones come from the preset, then the generic defaults.', default: {} },
    carrierKey: { type: 'string', minLength: 1, description: 'Secret mixed into the reasoning carrier integrity tag. Default: a fixed project key.' },
    reasoningCacheSize: { type: 'integer', minimum: 0, description: 'Entries of the in-memory reasoning fallback cache.', default: 512 },
    historyCacheBytes: { type: 'integer', minimum: 0, description: 'Bytes of recent sessions\' translated history kept in memory (8 sessions at most); a request repeating a remembered history translates only its new items. 0 turns it off.', default: 67108864 },
    refusalAs: { enum: ['refusal', 'output_text', 'auto'], description: 'How delta.refusal reaches the client: a refusal content part, answer text, or auto (answer text for Codex, which drops refusal parts).', default: 'auto' },
  },
} as const;

export const quirkDefaults: Quirks = {
  reasoningField: 'reasoning_content',
  reasoningReplay: 'all',
  reasoningEffort: false,
  responseFormat: 'json_schema',
  streamOptions: true,
  toolChoice: true,
  parallelToolCalls: true,
  maxTokensField: 'max_tokens',
  glmThinking: true,
  imageModels: ['*'],
  thinkTags: ['*deepseek-r1*', '*qwq*'],
};
