import type { ServerResponse } from 'node:http';
import { parsedRequest as toRecord, startMockUpstream, type ParsedRequest, type RecordedRequest } from './mock-upstream.js';
import { checkRequest, estimateTokens, PromptCache, ThinkingSigner, type CacheUsage } from './mock-messages-rules.js';

/**
 * A loopback mock of an Anthropic Messages provider that applies the API's rules, for tests and plugin authors.
 *
 *   const claude = await startMockMessages();
 *   claude.enqueue(messagesReply({ thinking: 'plan', text: 'Hello' }));
 *   // point a provider at claude.url; read claude.requests[0].body and claude.usages[0] afterwards
 *
 * `POST …/v1/messages` is checked first (alternation, tool_result after each tool_use, max_tokens, thinking
 * signatures of blocks sent back, at most four cache_control breakpoints, …): a broken rule is answered with the
 * API's 400 and recorded in `violations`. A valid request gets the next scripted answer; a `reply` is rendered as an
 * event stream or a JSON message (as the request asks) with signed thinking and usage from the prompt cache
 * accounting, so a test can measure `cache_read_input_tokens` on its second turn. `GET …/v1/models` lists models.
 */

/** What the model answers: blocks in order, and why it stopped. The mock signs thinking and counts usage. */
export interface MessagesReply {
  content: ReplyBlock[];
  /** Default `tool_use` when a tool_use block is scripted, else `end_turn`. */
  stopReason?: string;
  stopSequence?: string | null;
  stopDetails?: Record<string, unknown>;
  /** Output tokens reported; default estimated from the content. */
  outputTokens?: number;
  /** Characters per delta event. Default 8. */
  pieceSize?: number;
  /** Milliseconds between events. */
  paceMs?: number;
  /** Send an `error` event after this many content blocks instead of finishing (e.g. `overloaded_error`). */
  errorAfterBlocks?: { blocks: number; type: string; message: string };
  model?: string;
}

export type ReplyBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string }
  | { type: 'redacted_thinking' }
  | { type: 'tool_use'; id?: string; name: string; input: Record<string, unknown> | string };

/** One raw event of a hand-written stream: an object (sent with its `type` as the SSE event name), a raw line, or a pause. */
export type MessagesStreamPiece = object | string | { pause: number };

export type MessagesResponse =
  | { reply: MessagesReply; headers?: Record<string, string> }
  | { events: MessagesStreamPiece[]; paceMs?: number; cutAfter?: number; headers?: Record<string, string> }
  | { status: number; body: unknown; headers?: Record<string, string> };

export type ScriptedMessages = MessagesResponse | ((request: MessagesRequestRecord, index: number) => MessagesResponse);

export type MessagesRequestRecord = ParsedRequest;

export interface MockMessagesOptions {
  /** Model ids served by `GET /v1/models`. Default `['claude-mock']`. */
  models?: string[];
  /** When set, `x-api-key` or `Authorization: Bearer` must carry it (401 otherwise). */
  apiKey?: string;
  /** Smallest prefix (estimated tokens) a breakpoint caches. Default 1024. */
  minCacheTokens?: number;
  /** Prompts above this many estimated tokens get the API's "prompt is too long" 400. Default 200000. */
  contextWindow?: number;
  /** Answers valid requests when the script is empty. Default: a 500 naming the unscripted request. */
  respond?: (request: MessagesRequestRecord, index: number) => MessagesResponse;
}

export interface MockMessages {
  url: string;
  /** Valid and invalid `POST /v1/messages` requests, in arrival order. */
  requests: MessagesRequestRecord[];
  /** Per request (same index): the rule it broke, or undefined. */
  verdicts: (string | undefined)[];
  /** The broken rules only, with the request index. */
  violations: { index: number; message: string }[];
  /** Per valid request (same index as `requests`; undefined for rejected ones): the usage the cache accounting gave. */
  usages: (CacheUsage | undefined)[];
  enqueue(...responses: ScriptedMessages[]): void;
  pending(): number;
  /** Forget every cache entry (as if the 5-minute TTL ran out). */
  clearCache(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMockMessages(options: MockMessagesOptions = {}): Promise<MockMessages> {
  const mock = messagesHandler(options);
  const server = await startMockUpstream(mock.handle);
  return { ...mock, url: server.url, close: () => server.close() };
}

/**
 * The mock's request handling without a server of its own, to serve Messages from another mock (e.g. a mock Copilot
 * whose `/v1/messages` must apply the same rules): call `handle` for the requests it should answer.
 */
export function messagesHandler(options: MockMessagesOptions = {}): Omit<MockMessages, 'url' | 'close'> & { handle: (req: RecordedRequest, res: ServerResponse) => Promise<void> } {
  const queue: ScriptedMessages[] = [];
  const requests: MessagesRequestRecord[] = [];
  const verdicts: (string | undefined)[] = [];
  const violations: { index: number; message: string }[] = [];
  const usages: (CacheUsage | undefined)[] = [];
  const signer = new ThinkingSigner(`mock-messages-${process.pid}-${Date.now()}`);
  const cache = new PromptCache(options.minCacheTokens ?? 1024);
  const contextWindow = options.contextWindow ?? 200_000;
  let messageCount = 0;

  const handle = async (req: RecordedRequest, res: ServerResponse): Promise<void> => {
    const record = toRecord(req);
    const path = record.url.split('?')[0] ?? '';
    if (options.apiKey !== undefined) {
      const given = record.headers['x-api-key'] ?? record.headers.authorization?.replace(/^Bearer\s+/i, '');
      if (given !== options.apiKey) return send(res, 401, apiError('authentication_error', 'invalid x-api-key'));
    }
    if (req.method === 'GET' && path.endsWith('/models')) {
      const data = (options.models ?? ['claude-mock']).map((id) => ({ type: 'model', id, display_name: id, created_at: '2026-01-01T00:00:00Z' }));
      return send(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    if (req.method !== 'POST' || !path.endsWith('/messages')) return send(res, 404, apiError('not_found_error', `mock-messages: no route ${req.method} ${path}`));
    requests.push(record);
    const index = requests.length - 1;
    const verdict = record.headers['anthropic-version'] ? checkRequest(record.body, signer) : 'anthropic-version: header is required';
    verdicts.push(verdict);
    if (verdict) {
      violations.push({ index, message: verdict });
      usages.push(undefined);
      return send(res, 400, apiError('invalid_request_error', verdict));
    }
    const usage = cache.account(record.body);
    if (usage.promptTokens > contextWindow) {
      usages.push(undefined);
      return send(res, 400, apiError('invalid_request_error', `prompt is too long: ${usage.promptTokens} tokens > ${contextWindow} maximum`));
    }
    const { promptTokens: _, ...reported } = usage;
    usages.push(reported);
    const scripted = queue.shift();
    const next = (typeof scripted === 'function' ? scripted(record, index) : scripted) ?? options.respond?.(record, index) ?? { status: 500, body: apiError('api_error', `mock-messages: no scripted response for request #${index}`) };
    if ('status' in next) return send(res, next.status, next.body, next.headers);
    if ('events' in next) return streamEvents(res, next.events, next);
    messageCount += 1;
    const message = renderMessage(next.reply, record.body, reported, signer, `msg_mock${String(messageCount).padStart(4, '0')}`);
    if (record.body.stream === true) return streamEvents(res, messageEvents(message, next.reply), { paceMs: next.reply.paceMs, headers: next.headers });
    send(res, 200, message, next.headers);
  };

  return {
    handle,
    requests,
    verdicts,
    violations,
    usages,
    enqueue: (...responses) => void queue.push(...responses),
    pending: () => queue.length,
    clearCache: () => cache.clear(),
  };
}

type Json = Record<string, unknown>;

/** The whole `message` object the reply stands for, thinking signed and usage filled in. */
function renderMessage(reply: MessagesReply, request: Json, usage: CacheUsage, signer: ThinkingSigner, id: string): Json {
  let toolCount = 0;
  const content = reply.content.map((block): Json => {
    if (block.type === 'thinking') return { type: 'thinking', thinking: block.thinking, signature: signer.sign(block.thinking) };
    if (block.type === 'redacted_thinking') return { type: 'redacted_thinking', data: signer.issueRedacted() };
    if (block.type === 'tool_use') {
      toolCount += 1;
      return { type: 'tool_use', id: block.id ?? `toolu_mock${id.slice(-4)}_${toolCount}`, name: block.name, input: block.input };
    }
    return { type: 'text', text: block.text };
  });
  const stop = reply.stopReason ?? (toolCount ? 'tool_use' : 'end_turn');
  const output = reply.outputTokens ?? Math.max(1, estimateTokens(JSON.stringify(content)));
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: reply.model ?? String(request.model),
    content,
    stop_reason: stop,
    stop_sequence: reply.stopSequence ?? null,
    ...(reply.stopDetails ? { stop_details: reply.stopDetails } : {}),
    usage: { ...usage, output_tokens: output },
  };
}

/** The event stream of a rendered message, split into deltas as the API sends them. */
function messageEvents(message: Json, reply: MessagesReply): object[] {
  const size = Math.max(1, reply.pieceSize ?? 8);
  const pieces = (text: string) => {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
    return out;
  };
  const usage = message.usage as Json;
  const events: object[] = [
    { type: 'message_start', message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } },
    { type: 'ping' },
  ];
  const content = message.content as Json[];
  for (const [index, block] of content.entries()) {
    if (reply.errorAfterBlocks && index === reply.errorAfterBlocks.blocks) {
      events.push({ type: 'error', error: { type: reply.errorAfterBlocks.type, message: reply.errorAfterBlocks.message } });
      return events;
    }
    if (block.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const text of pieces(block.text as string)) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    } else if (block.type === 'thinking') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const thinking of pieces(block.thinking as string)) events.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } });
      events.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } });
    } else if (block.type === 'redacted_thinking') {
      events.push({ type: 'content_block_start', index, content_block: block });
    } else {
      const original = reply.content[index] as { input: unknown };
      const json = typeof original.input === 'string' ? original.input : JSON.stringify(block.input);
      events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const partial_json of pieces(json)) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
    }
    events.push({ type: 'content_block_stop', index });
  }
  if (reply.errorAfterBlocks && reply.errorAfterBlocks.blocks >= content.length) {
    events.push({ type: 'error', error: { type: reply.errorAfterBlocks.type, message: reply.errorAfterBlocks.message } });
    return events;
  }
  events.push({ type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence, ...(message.stop_details ? { stop_details: message.stop_details } : {}) }, usage });
  events.push({ type: 'message_stop' });
  return events;
}

async function streamEvents(res: ServerResponse, events: MessagesStreamPiece[], o: { paceMs?: number; cutAfter?: number; headers?: Record<string, string> }): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...o.headers });
  res.flushHeaders();
  let sent = 0;
  for (const piece of events) {
    if (res.destroyed) return;
    if (o.cutAfter !== undefined && sent >= o.cutAfter) {
      res.destroy();
      return;
    }
    if (typeof piece === 'object' && 'pause' in piece && typeof piece.pause === 'number' && Object.keys(piece).length === 1) {
      await sleep(piece.pause);
      continue;
    }
    if (typeof piece === 'string') res.write(`data: ${piece}\n\n`);
    else res.write(`event: ${String((piece as { type?: unknown }).type ?? 'message')}\ndata: ${JSON.stringify(piece)}\n\n`);
    sent += 1;
    if (o.paceMs) await sleep(o.paceMs);
  }
  if (o.cutAfter !== undefined && sent >= o.cutAfter) {
    res.destroy();
    return;
  }
  res.end();
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function apiError(type: string, message: string): object {
  return { type: 'error', error: { type, message } };
}

// ----- Builders -----

/** A scripted model answer: `thinking` first, then `text`, then `tools`, as Claude orders them. */
export function messagesReply(script: { thinking?: string; redacted?: boolean; text?: string; tools?: { id?: string; name: string; input: Record<string, unknown> | string }[] } & Omit<MessagesReply, 'content'>): MessagesResponse {
  const { thinking, redacted, text, tools, ...rest } = script;
  const content: ReplyBlock[] = [];
  if (thinking !== undefined) content.push({ type: 'thinking', thinking });
  if (redacted) content.push({ type: 'redacted_thinking' });
  if (text !== undefined) content.push({ type: 'text', text });
  for (const tool of tools ?? []) content.push({ type: 'tool_use', ...tool });
  return { reply: { content, ...rest } };
}

/** An HTTP error in the API's shape (`overloaded_error` is 529, `rate_limit_error` 429, …). */
export function messagesError(status: number, type: string, message: string, headers?: Record<string, string>): MessagesResponse {
  return { status, body: apiError(type, message), headers };
}
