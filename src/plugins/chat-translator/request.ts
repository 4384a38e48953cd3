import { isObject, PrefixUnusable, readRequestHead, wireTools, type HistoryPrefixes, type KeptBody, type KeptTools, type JsonObject, type Logger, type TranslatedBody } from '../../index.js';
import { allMatching, matchPattern, type Settings } from './presets.js';
import { sealMessages, usableFrom, type ChatHistory } from './history.js';
import { MessageBuilder } from './messages.js';
import type { ReasoningCache } from './reasoning-carrier.js';
import { convertToolChoice } from './tools.js';

export { IMAGE_OMITTED, type ChatMessage } from './messages.js';

export interface TranslatedRequest extends TranslatedBody {
  /** The history to remember (a kept body's translation, `ctx.history` given), when it has a boundary. */
  history?: ChatHistory;
}

export interface TranslateContext {
  log: Logger;
  carrierKey?: string;
  cache?: ReasoningCache;
  /** The kept body's `keep`, when the source is a kept body's json. */
  keep?: (content: Buffer) => string;
  /** The kept body's `original`: a reasoning item's `encrypted_content` is kept out of the parse. */
  original?: (value: unknown) => unknown;
  /**
   * The request's `tools` as sent, the kept body's `keepJson` and the plugin's cache: tools converted once per
   * distinct array go into the body as the bytes made then.
   */
  tools?: KeptTools;
  /**
   * A kept body's translation that remembers its history: `from`, the remembered prefix this body's input follows
   * (its items are not in this body), checked against this request's head with `usable`; the result's `history` is
   * what to remember of this one.
   */
  history?: { kept: KeptBody; from: ChatHistory | undefined; cache: HistoryPrefixes<ChatHistory> };
}

/** Builds the Chat Completions body from scratch: nothing Codex-only reaches the upstream unless mapped here. */
export function translateRequest(source: unknown, settings: Settings, ctx: TranslateContext): TranslatedRequest {
  const { raw, codexModel, upstreamModel, items } = readRequestHead(source, settings.modelMap);
  const { quirks } = settings;
  const images = quirks.imageModels.some((p) => matchPattern(p, upstreamModel));
  const tools = wireTools(() => (ctx.original ? ctx.original(raw.tools) : raw.tools), ctx.log, ctx.tools, (chat) => chat);
  const { map } = tools;

  const history = ctx.history;
  const from = history?.from;
  const skipped = from ? from.resumed.items : 0;
  const builder = new MessageBuilder({ map, images, reasoningField: quirks.reasoningField, log: ctx.log, carrierKey: ctx.carrierKey, cache: ctx.cache, keep: ctx.keep, original: ctx.original, text: history?.kept.text });
  if (typeof raw.instructions === 'string' && raw.instructions.trim()) builder.system.push(raw.instructions);
  if (typeof raw.system === 'string' && raw.system.trim()) builder.system.push(raw.system);
  const headSystem = builder.system.length;
  // Item indexes count the prefix's items, which this body does not hold.
  const lastUser = (before: number) => {
    const local = lastUserIndex(items, before - skipped);
    return local >= 0 ? local + skipped : (from?.lastUser ?? -1);
  };
  builder.replayFrom = quirks.reasoningReplay === 'after-last-user' ? lastUser(skipped + items.length) : -1;
  if (from) {
    if (!usableFrom(from, upstreamModel, ctx.tools?.bytes, builder.replayFrom)) throw new PrefixUnusable();
    for (const part of from.systemParts) builder.system.push(ctx.keep!(part));
    builder.resume(from.resumed);
  }
  items.forEach((item, index) => builder.add(item, index + skipped));
  const { system, messages: built } = builder.finish();
  const sealed = history ? sealMessages(system, built, builder, history.kept, from, history.cache, { headSystem, lastUser, replayFrom: builder.replayFrom, upstreamModel, tools: ctx.tools?.bytes }) : undefined;
  const messages = sealed ? sealed.messages : system ? [system, ...built] : built;

  const stream = raw.stream === true;
  const body: JsonObject = { model: upstreamModel, messages, stream };
  if (stream && quirks.streamOptions) body.stream_options = { include_usage: true };
  if (tools.count) {
    body.tools = tools.value;
    const choice = quirks.toolChoice ? convertToolChoice(raw.tool_choice, map) : undefined;
    if (choice !== undefined) body.tool_choice = choice;
    if (quirks.parallelToolCalls && typeof raw.parallel_tool_calls === 'boolean') body.parallel_tool_calls = raw.parallel_tool_calls;
  }
  if (typeof raw.temperature === 'number') body.temperature = raw.temperature;
  if (typeof raw.top_p === 'number') body.top_p = raw.top_p;
  if (typeof raw.max_output_tokens === 'number') body[quirks.maxTokensField] = raw.max_output_tokens;
  const effort = mapEffort(isObject(raw.reasoning) ? raw.reasoning.effort : undefined);
  if (effort && quirks.reasoningEffort === 'reasoning_effort') body.reasoning_effort = effort;
  if (effort && quirks.reasoningEffort === 'reasoning') body.reasoning = { effort };
  const format = mapResponseFormat(isObject(raw.text) ? raw.text.format : undefined, quirks.responseFormat);
  if (format) body.response_format = format;
  if (quirks.glmThinking && /glm|zhipu|bigmodel/i.test(`${codexModel} ${upstreamModel}`)) body.thinking = { type: 'enabled' };
  for (const keys of allMatching(settings.dropParams, upstreamModel)) for (const key of keys) delete body[key];
  for (const extra of allMatching(settings.extraBody, upstreamModel)) Object.assign(body, extra);
  return { body, map, stream, codexModel, upstreamModel, history: sealed?.next };
}

/** The last user message among the first `before` items, or -1. */
function lastUserIndex(items: unknown[], before: number): number {
  for (let i = Math.min(before, items.length) - 1; i >= 0; i--) {
    const item = items[i];
    if (isObject(item) && (item.type === 'message' || item.type === undefined) && item.role === 'user') return i;
  }
  return -1;
}

/** Chat providers know low/medium/high; Codex's extremes map to the nearest of those. */
function mapEffort(effort: unknown): string | undefined {
  if (typeof effort !== 'string') return undefined;
  if (effort === 'xhigh') return 'high';
  if (effort === 'minimal') return 'low';
  return ['low', 'medium', 'high'].includes(effort) ? effort : undefined;
}

function mapResponseFormat(format: unknown, support: Settings['quirks']['responseFormat']): JsonObject | undefined {
  if (!support || !isObject(format)) return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type !== 'json_schema') return undefined;
  if (support === 'json_object') return { type: 'json_object' };
  const schema: JsonObject = { name: typeof format.name === 'string' ? format.name : 'output', schema: format.schema ?? {} };
  if (typeof format.strict === 'boolean') schema.strict = format.strict;
  if (typeof format.description === 'string') schema.description = format.description;
  return { type: 'json_schema', json_schema: schema };
}
