/** What a model can do, as far as the translator needs to know. Known Claude models are built in; options add more. */
export interface ModelInfo {
  /** Context window in tokens, for Codex's catalogue. */
  contextWindow?: number;
  /** Largest `max_tokens` the model takes: the default when Codex sends no `max_output_tokens`. */
  maxOutputTokens?: number;
  /**
   * How `reasoning.effort` becomes thinking: `budget` (`thinking: {type: "enabled", budget_tokens}`), `adaptive`
   * (`thinking: {type: "adaptive"}` with `output_config.effort`), or `none` (never sent).
   */
  thinking?: 'budget' | 'adaptive' | 'none';
  /** Whether image blocks are sent (a text note otherwise). */
  images?: boolean;
  /** Whether Codex's `text.format` JSON schema is sent as `output_config.format` (dropped otherwise). */
  structuredOutputs?: boolean;
}

export type PresetName = 'anthropic' | 'kimi' | 'moonshot' | 'deepseek' | 'glm' | 'zai' | 'minimax';

/** Options of the `messages-translator` plugin. Explicit options override the chosen preset. */
export interface MessagesTranslatorOptions {
  /** Named provider preset filling `baseUrl`, `apiKeyEnv`, `authHeader` and `modelInfo`. */
  preset?: PresetName;
  /** Messages API base URL; `/v1/messages` and `/v1/models` are appended. Default: the preset's. */
  baseUrl?: string;
  /** Upstream API key. */
  apiKey?: string;
  /** Name of the environment variable holding the API key (used when `apiKey` is not set). Default: the preset's. */
  apiKeyEnv?: string;
  /** How the key is sent: `x-api-key: <key>` (Anthropic) or `Authorization: Bearer <key>`. Default: the preset's, else `x-api-key`. */
  authHeader?: 'x-api-key' | 'authorization';
  /** The `anthropic-version` header. @default "2023-06-01" */
  anthropicVersion: string;
  /** Values of the `anthropic-beta` header (joined with commas); none is sent when empty. @default [] */
  betas: string[];
  /** Extra headers sent upstream on every request. @default {} */
  headers: Record<string, string>;
  /** Codex model name → upstream model name; `*` wildcards allowed in keys; responses keep the Codex name. @default {} */
  modelMap: Record<string, string>;
  /** Upstream model pattern (`*` wildcard, `.` and `-` alike) → what the model can do; merged over the built-in table. @default {} */
  modelInfo: Record<string, ModelInfo>;
  /** Codex model slugs always listed in the catalogue, besides the upstream's and `modelMap`'s. @default [] */
  models: string[];
  /** Thinking budget (tokens) per Codex reasoning effort, for models with budget thinking. @default {} */
  thinkingBudgets: Partial<Record<'low' | 'medium' | 'high' | 'xhigh', number>>;
  /** Mark Codex's stable prefix (tools, system, the growing history) with `cache_control` breakpoints. @default true */
  promptCaching: boolean;
  /** Upstream model pattern → top-level keys merged into the Messages body last (provider extras). @default {} */
  extraBody: Record<string, Record<string, unknown>>;
  /** Commit a 200 event stream to Codex when the upstream has not answered after this long (ms). @default 1000 */
  commitAfterMs: number;
  /** Send a `response.in_progress` event when nothing was sent to Codex for this long (ms). @default 10000 */
  keepAliveMs: number;
  /** Secret mixed into the thinking carrier's integrity tag; set it to reject carriers from other installs. */
  carrierKey?: string;
  /**
   * Bytes of recent sessions' translated history kept in memory (8 sessions at most): a request that repeats a
   * remembered history translates only the items after it. 0 turns it off. @default 67108864
   */
  historyCacheBytes: number;
}

const patternMap = (description: string, value: object) => ({ type: 'object', description, default: {}, additionalProperties: value });

const modelInfoSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    contextWindow: { type: 'integer', minimum: 1, description: 'Context window in tokens (Codex catalogue).' },
    maxOutputTokens: { type: 'integer', minimum: 1, description: 'Largest max_tokens; the default when Codex sends no max_output_tokens.' },
    thinking: { enum: ['budget', 'adaptive', 'none'], description: 'How reasoning.effort becomes thinking: budget_tokens, adaptive with output_config.effort, or none.' },
    images: { type: 'boolean', description: 'Whether image blocks are sent (a text note otherwise).' },
    structuredOutputs: { type: 'boolean', description: "Whether text.format's JSON schema is sent as output_config.format (dropped otherwise)." },
  },
} as const;

const budget = (effort: string) => ({ type: 'integer', minimum: 1024, description: `Thinking budget for reasoning effort ${effort}.` }) as const;

/**
 * The ajv schema. Options a preset can fill carry their default in the description only: an ajv default would be
 * indistinguishable from an explicit value and override the preset.
 */
export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    preset: { enum: ['anthropic', 'kimi', 'moonshot', 'deepseek', 'glm', 'zai', 'minimax'], description: 'Named provider preset filling baseUrl, apiKeyEnv, authHeader and modelInfo (explicit options win). Default: none.' },
    baseUrl: { type: 'string', pattern: '^https?://', description: "Messages API base URL; /v1/messages is appended. Default: the preset's." },
    apiKey: { type: 'string', minLength: 1, description: 'Upstream API key. Default: the value of apiKeyEnv.' },
    apiKeyEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: "Environment variable holding the API key. Default: the preset's (e.g. ANTHROPIC_API_KEY)." },
    authHeader: { enum: ['x-api-key', 'authorization'], description: "How the key is sent: x-api-key or Authorization: Bearer. Default: the preset's, else x-api-key." },
    anthropicVersion: { type: 'string', minLength: 1, default: '2023-06-01', description: 'The anthropic-version header.' },
    betas: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'anthropic-beta values (comma-joined); none sent when empty.' },
    headers: patternMap('Extra headers sent upstream on every request.', { type: 'string' }),
    modelMap: patternMap('Codex model name (or * pattern) -> upstream model name; responses keep the Codex name.', { type: 'string', minLength: 1 }),
    modelInfo: patternMap('Upstream model pattern -> what it can do (contextWindow, maxOutputTokens, thinking, images, structuredOutputs); over the built-in table.', modelInfoSchema),
    models: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Codex model slugs always listed in the catalogue.' },
    thinkingBudgets: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { low: budget('low'), medium: budget('medium'), high: budget('high'), xhigh: budget('xhigh') },
      description: 'Thinking budget (tokens, >= 1024) per reasoning effort. Default: low 2048, medium 8192, high 16384, xhigh 32000.',
    },
    promptCaching: { type: 'boolean', default: true, description: 'Mark the stable prefix (tools, system, history) with cache_control breakpoints (at most four).' },
    extraBody: patternMap('Upstream model pattern -> top-level keys merged into the Messages body last.', { type: 'object' }),
    commitAfterMs: { type: 'integer', minimum: 0, default: 1000, description: 'Commit a 200 event stream to Codex when the upstream has not answered after this many ms.' },
    keepAliveMs: { type: 'integer', minimum: 1, default: 10000, description: 'Send response.in_progress when nothing was sent to Codex for this many ms.' },
    carrierKey: { type: 'string', minLength: 1, description: 'Secret mixed into the thinking carrier integrity tag. Default: a fixed project key.' },
    historyCacheBytes: { type: 'integer', minimum: 0, description: 'Bytes of recent sessions\' translated history kept in memory (8 sessions at most); a request repeating a remembered history translates only its new items. 0 turns it off.', default: 67108864 },
  },
} as const;
