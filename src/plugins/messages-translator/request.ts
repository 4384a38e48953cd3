import { allMatching, invalidRequest, isObject, PrefixUnusable, readRequestHead, wireTools, type BytesCache, type ChatTool, type ConvertedTools, type HistoryPrefixes, type KeptBody, type KeptTools, type JsonObject, type Logger, type ToolMap, type TranslatedBody } from '../../index.js';
import { markBlock, markCachePrefix } from './cache-control.js';
import { modelInfoOf, type Settings } from './presets.js';
import type { ModelInfo } from './schema.js';
import { thinkingFor, type Thinking } from './thinking.js';
import { checkFrom, checkResumed, contentOf, sealTurns, type MessagesHistory } from './history.js';
import { TurnBuilder, type Turn } from './turns.js';

export interface TranslatedRequest extends TranslatedBody {
  /** Whether thinking was asked of the upstream (why not, when Codex asked for it, is logged). */
  thinking: boolean;
  /** Thinking with a budget: the kind that needs the interleaved-thinking beta to think between tool calls. */
  budgetThinking: boolean;
  /** The history to remember (a kept body's translation, `ctx.history` given), when it has turns that are final. */
  history?: MessagesHistory;
}

export interface TranslateContext {
  log: Logger;
  carrierKey?: string;
  /** What an earlier plugin knows of the model (Copilot's `/models`), over the configured tables. */
  model?: ModelInfo & { minThinkingBudget?: number; maxThinkingBudget?: number };
  /** The kept body's `original`: a reasoning item's `encrypted_content` is kept out of the parse. */
  original?: (value: unknown) => unknown;
  /** The kept body's `keep`, when the source is a kept body's json. */
  keep?: (content: Buffer) => string;
  /** The plugin's tools converted once per distinct array: used with a kept body's `tools` (upstream-body.ts). */
  toolsCache?: BytesCache<ConvertedTools>;
  /** The request's `tools` as sent and the kept body's `keepJson`: converted tools go into the body as bytes made once. */
  tools?: KeptTools;
  /**
   * A kept body's translation that remembers its history: `from`, the remembered prefix this body's input follows
   * (its items are not in this body; `PrefixUnusable` when this request would translate them otherwise).
   */
  history?: { kept: KeptBody; from: MessagesHistory | undefined; cache: HistoryPrefixes<MessagesHistory> };
}

/** Builds the Messages body from scratch: nothing Codex-only reaches the upstream unless mapped here. */
export function translateRequest(source: unknown, settings: Settings, ctx: TranslateContext): TranslatedRequest {
  const { raw, codexModel, upstreamModel, items } = readRequestHead(source, settings.modelMap);
  const info = modelInfoOf(settings, upstreamModel, ctx.model);
  // Tools converted once carry the last tool's prompt-cache mark, as markCachePrefix marks a request's own.
  const wire = wireTools(() => (ctx.original ? ctx.original(raw.tools) : raw.tools), ctx.log, ctx.tools, messagesTools, settings.promptCaching ? (tools) => markBlock(tools.at(-1)!) : undefined);
  const { map } = wire;

  const maxTokens = typeof raw.max_output_tokens === 'number' && raw.max_output_tokens >= 1 ? Math.trunc(raw.max_output_tokens) : info.maxOutputTokens;
  const effort = isObject(raw.reasoning) ? raw.reasoning.effort : undefined;
  let thinking: Thinking | undefined = thinkingFor(effort, info.thinking, maxTokens, settings.budgets, ctx.model);

  // Without thinking, carried thinking is never sent: its carriers are not opened (a long history has hundreds).
  const builder = new TurnBuilder({ map, images: info.images, upstreamModel, thinking: thinking !== undefined, carrierKey: ctx.carrierKey, original: ctx.original, keep: ctx.keep, log: ctx.log });
  const from = ctx.history?.from;
  const asked = JSON.stringify([upstreamModel, info.images, thinking !== undefined]);
  if (from) {
    checkFrom(from, asked, ctx.tools?.bytes);
    builder.resume(from.resumed);
  }
  // Item indexes count the prefix's items, which this body does not hold.
  const skipped = from ? from.resumed.items : 0;
  items.forEach((item, index) => builder.add(item, index + skipped));
  const system = [raw.instructions, raw.system].filter((s): s is string => typeof s === 'string' && s.trim() !== '');
  if (from) system.push(...from.systemParts.map((part) => ctx.keep!(part)));
  else system.push(...builder.system);
  const messages = builder.finish();
  if (from) checkResumed(messages);
  if (!messages.length) throw invalidRequest('the request has no input the Messages API can take (no user or assistant content)');

  if (thinking && !continuesWithThinking(messages)) {
    // A tool loop whose last assistant turn has no thinking (another model wrote it, or it was dropped) would be
    // refused with thinking on: this request goes without.
    ctx.log.debug({ model: upstreamModel }, 'messages-translator: thinking off for this request, the turn it continues carries none');
    thinking = undefined;
    for (const turn of messages) if (turn.role === 'assistant') turn.content = turn.content.filter((b) => b.type !== 'thinking' && b.type !== 'redacted_thinking');
  }
  // The prefix's turns went with thinking or without, as this request's would.
  if (from && from.thinking !== (thinking !== undefined)) throw new PrefixUnusable();

  const stream = raw.stream === true;
  const body: JsonObject = { model: upstreamModel, max_tokens: maxTokens, messages };
  const systemBlocks = system.map((text) => ({ type: 'text', text }) as JsonObject);
  if (systemBlocks.length) body.system = systemBlocks;
  const tools = wire.own;
  if (wire.count) {
    body.tools = wire.value;
    const choice = toolChoice(raw.tool_choice, raw.parallel_tool_calls, map, thinking !== undefined, ctx.log);
    if (choice) body.tool_choice = choice;
  }
  const output: JsonObject = {};
  const format = isObject(raw.text) && isObject(raw.text.format) ? raw.text.format : undefined;
  if (format?.type === 'json_schema' && isObject(format.schema)) {
    if (info.structuredOutputs) output.format = { type: 'json_schema', schema: format.schema };
    else ctx.log.debug({ model: upstreamModel }, 'messages-translator: text.format dropped, the model takes no JSON schema output');
  }
  if (thinking) {
    body.thinking = thinking.thinking;
    if (thinking.effort) output.effort = thinking.effort;
  } else {
    if (typeof raw.temperature === 'number') body.temperature = raw.temperature;
    if (typeof raw.top_p === 'number') body.top_p = raw.top_p;
  }
  if (Object.keys(output).length) body.output_config = output;
  if (stream) body.stream = true;
  if (settings.promptCaching) markCachePrefix(tools, systemBlocks, messages);
  // After the marks, which never go on a turn kept (sealTurns keeps none of the last two user turns).
  const history = ctx.history;
  const sealed = history ? sealTurns(messages, builder, history.kept, from, history.cache, { asked, thinking: thinking !== undefined, tools: ctx.tools?.bytes, systemParts: () => (from ? from.systemParts : builder.system.map((text) => contentOf(history.kept, text))) }) : undefined;
  if (sealed) body.messages = sealed.messages;
  for (const extra of allMatching(settings.extraBody, upstreamModel)) Object.assign(body, extra);
  return { body, map, stream, codexModel, upstreamModel, thinking: thinking !== undefined, budgetThinking: thinking?.thinking.type === 'enabled', history: sealed?.next };
}

function messagesTools(chatTools: readonly ChatTool[]): JsonObject[] {
  return chatTools.map((t) => {
    const tool: JsonObject = { name: t.function.name, input_schema: objectSchema(t.function.parameters) };
    if (t.function.description) tool.description = t.function.description;
    return tool;
  });
}

/** With thinking on, a continued tool-use turn must open with its thinking block. */
function continuesWithThinking(messages: Turn[]): boolean {
  const last = messages.at(-1);
  const previous = messages.at(-2);
  if (!last || !previous || previous.role !== 'assistant') return true;
  if (!last.content.some((b) => b.type === 'tool_result') || !previous.content.some((b) => b.type === 'tool_use')) return true;
  const first = previous.content[0]?.type;
  return first === 'thinking' || first === 'redacted_thinking';
}

function objectSchema(parameters: unknown): JsonObject {
  if (isObject(parameters) && (parameters.type === 'object' || parameters.type === undefined)) return { ...parameters, type: 'object' };
  return { type: 'object', properties: {} };
}

/** Responses `tool_choice` and `parallel_tool_calls` → Messages `tool_choice`; undefined leaves the default (auto). */
function toolChoice(choice: unknown, parallel: unknown, map: ToolMap, thinking: boolean, log: Logger): JsonObject | undefined {
  let out: JsonObject | undefined;
  if (choice === 'none') out = { type: 'none' };
  else if (choice === 'required') out = { type: 'any' };
  else if (isObject(choice) && (choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string') {
    out = { type: 'tool', name: map.upstreamName(choice.type, choice.name, typeof choice.namespace === 'string' ? choice.namespace : undefined) };
  }
  if (thinking && (out?.type === 'any' || out?.type === 'tool')) {
    // Thinking excludes forced tool use: the model still sees the tools and decides.
    log.debug({ toolChoice: out.type }, 'messages-translator: forced tool choice sent as auto, thinking is on');
    out = undefined;
  }
  if (parallel === false && out?.type !== 'none') out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}
