import { buildCatalog, isObject, validateCatalog, type InputModality, type ModelCatalog, type ModelInfoInput, type ReasoningEffort, type UpstreamModelInfo } from '../../index.js';

/** Which upstream API an exchange for a model goes to. `none`: the model cannot serve Codex through this chain. */
export type Route = 'responses' | 'messages' | 'chat-completions' | 'none';

/** Which translators the chain has, and which of Copilot's endpoints wins for a model that lists both. */
export interface RouteOptions {
  chat: boolean;
  messages: boolean;
  /** `/v1/messages` over `/chat/completions` when a model lists both (Claude). */
  preferMessages: boolean;
}

/** What Copilot's `GET /models` says about one model, reduced to what routing and the catalogue need. */
export interface CopilotModel {
  id: string;
  name: string;
  vendor: string | undefined;
  /** `capabilities.type`; only `chat` models can answer Codex. */
  type: string;
  /** `supported_endpoints`, or what an entry without it implies (chat models: `/chat/completions` only). */
  endpoints: string[];
  pickerEnabled: boolean;
  isDefault: boolean;
  premium: boolean | undefined;
  multiplier: number | undefined;
  contextWindow: number | undefined;
  maxPromptTokens: number | undefined;
  maxOutputTokens: number | undefined;
  vision: boolean;
  toolCalls: boolean;
  parallelToolCalls: boolean | undefined;
  reasoningEfforts: string[];
  /** `supports.adaptive_thinking`: the model takes adaptive thinking on `/v1/messages`. */
  adaptiveThinking: boolean;
  minThinkingBudget: number | undefined;
  maxThinkingBudget: number | undefined;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.trunc(v) : undefined);

/** Reads Copilot's `{"data":[…]}` (tolerates a bare array); entries without an id are skipped. */
export function parseCopilotModels(body: unknown): CopilotModel[] {
  const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.data) ? body.data : [];
  const out: CopilotModel[] = [];
  for (const entry of list as unknown[]) {
    if (!isObject(entry) || typeof entry.id !== 'string' || !entry.id) continue;
    const caps = isObject(entry.capabilities) ? entry.capabilities : {};
    const limits = isObject(caps.limits) ? caps.limits : {};
    const supports = isObject(caps.supports) ? caps.supports : {};
    const billing = isObject(entry.billing) ? entry.billing : {};
    const type = typeof caps.type === 'string' ? caps.type : 'chat';
    const declared = Array.isArray(entry.supported_endpoints) ? entry.supported_endpoints.filter((e): e is string => typeof e === 'string') : undefined;
    out.push({
      id: entry.id,
      name: typeof entry.name === 'string' && entry.name ? entry.name : entry.id,
      vendor: typeof entry.vendor === 'string' ? entry.vendor : undefined,
      type,
      // Entries without the field predate the Responses API on Copilot (gpt-4o class): chat only.
      endpoints: declared ?? (type === 'chat' ? ['/chat/completions'] : []),
      pickerEnabled: entry.model_picker_enabled !== false,
      isDefault: entry.is_chat_default === true,
      premium: typeof billing.is_premium === 'boolean' ? billing.is_premium : undefined,
      multiplier: typeof billing.multiplier === 'number' ? billing.multiplier : undefined,
      contextWindow: num(limits.max_context_window_tokens),
      maxPromptTokens: num(limits.max_prompt_tokens),
      maxOutputTokens: num(limits.max_output_tokens),
      vision: supports.vision === true,
      toolCalls: supports.tool_calls !== false,
      parallelToolCalls: typeof supports.parallel_tool_calls === 'boolean' ? supports.parallel_tool_calls : undefined,
      reasoningEfforts: Array.isArray(supports.reasoning_effort) ? supports.reasoning_effort.filter((e): e is string => typeof e === 'string' && e !== '') : [],
      adaptiveThinking: supports.adaptive_thinking === true,
      minThinkingBudget: num(supports.min_thinking_budget),
      maxThinkingBudget: num(supports.max_thinking_budget),
    });
  }
  return out;
}

/**
 * The official client's rule: `/responses` whenever listed; otherwise `/v1/messages` (Claude, as Copilot's editor
 * client sends it) or `/chat/completions`, through the translator the chain has, Messages first unless configured
 * otherwise. Embeddings, and models whose only endpoints have no translator in the chain, cannot serve Codex here.
 */
export function routeOf(model: CopilotModel, o: RouteOptions): Route {
  if (model.type !== 'chat') return 'none';
  if (model.endpoints.includes('/responses')) return 'responses';
  const messages = o.messages && model.endpoints.includes('/v1/messages');
  const chat = o.chat && model.endpoints.includes('/chat/completions');
  if (messages && (o.preferMessages || !chat)) return 'messages';
  if (chat) return 'chat-completions';
  return 'none';
}

const PATHS: Record<Route, string> = { responses: '/responses', messages: '/v1/messages', 'chat-completions': '/chat/completions', none: '' };

/** The endpoint path of a route, for descriptions and messages. */
export function routePath(route: Route): string {
  return PATHS[route];
}

/** Codex's catalogue (`{"models":[…]}`) for every model this chain can serve, default model first. */
export function copilotCatalog(models: readonly CopilotModel[], o: RouteOptions): ModelCatalog {
  const usable = models.filter((m) => routeOf(m, o) !== 'none');
  const ordered = [...usable.filter((m) => m.isDefault), ...usable.filter((m) => !m.isDefault)];
  const catalog = buildCatalog(ordered.map((m, i) => modelInput(m, routeOf(m, o), i)));
  const check = validateCatalog(catalog);
  if (!check.valid) throw new Error(`copilot-models built an invalid Codex catalogue: ${check.errors.join('; ')}`);
  return catalog;
}

function modelInput(m: CopilotModel, route: Route, index: number): ModelInfoInput {
  const window = m.contextWindow ?? (m.maxPromptTokens !== undefined && m.maxOutputTokens !== undefined ? m.maxPromptTokens + m.maxOutputTokens : m.maxPromptTokens);
  const billing = m.multiplier !== undefined ? `, ${m.multiplier}x premium requests` : m.premium === false ? ', included' : '';
  const input: ModelInfoInput = {
    slug: m.id,
    displayName: m.name,
    description: `${m.name}${m.vendor ? ` (${m.vendor})` : ''} via GitHub Copilot ${routePath(route)}${billing}`,
    inputModalities: (m.vision ? ['text', 'image'] : ['text']) satisfies InputModality[],
    reasoningEfforts: effortsOf(m, route),
    supportsTools: m.toolCalls,
    // Freeform apply_patch works on both paths: copilot-tools wraps it for /responses, the translator for chat.
    applyPatch: m.toolCalls,
    supportsSearchTool: false,
    supportsVerbosity: false,
    visibility: m.pickerEnabled ? 'list' : 'hide',
    priority: 100 + index,
  };
  // On /v1/messages the efforts become Claude's thinking, whose text Codex shows as the reasoning summary.
  if (route === 'messages' && input.reasoningEfforts?.length) input.defaultReasoningSummary = 'auto';
  if (m.parallelToolCalls !== undefined) input.supportsParallelToolCalls = m.parallelToolCalls;
  if (window !== undefined) input.contextWindow = window;
  if (m.maxOutputTokens !== undefined) input.maxOutputTokens = m.maxOutputTokens;
  // Copilot refuses prompts above max_prompt_tokens even when the window is larger: compact before that.
  if (window !== undefined && m.maxPromptTokens !== undefined) {
    input.autoCompactTokenLimit = Math.min(Math.floor(window * 0.9), Math.floor(m.maxPromptTokens * 0.95), m.maxOutputTokens ? window - m.maxOutputTokens : Infinity);
  }
  return input;
}

/** Copilot's listed efforts; on `/v1/messages`, the thinking levels a thinking model takes when it lists none. */
function effortsOf(m: CopilotModel, route: Route): ReasoningEffort[] {
  if (m.reasoningEfforts.length || route !== 'messages') return m.reasoningEfforts as ReasoningEffort[];
  return m.adaptiveThinking || m.maxThinkingBudget !== undefined ? ['low', 'medium', 'high'] : [];
}

/** What the Messages translator needs to know of the model (output limit, thinking bounds, images). */
export function upstreamModelInfo(m: CopilotModel): UpstreamModelInfo {
  const info: UpstreamModelInfo = { id: m.id, vision: m.vision, adaptiveThinking: m.adaptiveThinking };
  if (m.contextWindow !== undefined) info.contextWindow = m.contextWindow;
  if (m.maxOutputTokens !== undefined) info.maxOutputTokens = m.maxOutputTokens;
  if (m.minThinkingBudget !== undefined) info.minThinkingBudget = m.minThinkingBudget;
  if (m.maxThinkingBudget !== undefined) info.maxThinkingBudget = m.maxThinkingBudget;
  return info;
}
