import type { ServerResponse } from 'node:http';
import { parsedRequest as toRecord, startMockUpstream, type ParsedRequest } from './mock-upstream.js';

/**
 * A loopback mock of an OpenAI-compatible Chat Completions provider, for tests and plugin authors.
 *
 *   const chat = await startMockChat({ models: [{ id: 'deepseek-chat', contextLength: 65536 }] });
 *   chat.enqueue(chatStream({ reasoning: ['think'], content: ['Hello'] }));
 *   // point a provider at chat.baseUrl (`http://127.0.0.1:<port>/v1`); read chat.requests[0].body afterwards
 *
 * `POST …/chat/completions` answers the next scripted response (or the `respond` fallback); `GET …/models` answers
 * an OpenAI list. Every request is recorded.
 */

/**
 * One piece of a scripted stream: a chunk object (sent as `data: <json>`), a raw data string, a pause, or bytes
 * written exactly as given (`{ raw }`: a recorded SSE body, comments and `event:` lines included).
 */
export type StreamPiece = object | string | { pause: number } | { raw: string | Buffer };

export type ChatResponse =
  | {
      /** The SSE pieces, in order. */
      stream: StreamPiece[];
      /** Milliseconds between pieces. Default 0. */
      paceMs?: number;
      /** Send `data: [DONE]` at the end. Default true. */
      done?: boolean;
      /** Hold the response headers this long (a slow provider). */
      headersDelayMs?: number;
      /** Destroy the connection after this many pieces (a cut mid-stream). */
      cutAfter?: number;
      headers?: Record<string, string>;
    }
  | { status: number; body: unknown; headers?: Record<string, string>; headersDelayMs?: number }
  /** A non-streaming completion body (`stream:false`). */
  | { json: object; headersDelayMs?: number };

/** A scripted answer, or a function of the request it answers (e.g. to read the tools the client declared). */
export type ScriptedResponse = ChatResponse | ((request: ChatRequestRecord, index: number) => ChatResponse);

export type ChatRequestRecord = ParsedRequest;

export interface MockModel {
  id: string;
  /** Reported under `contextField` when set. */
  contextLength?: number;
  /** The field name this provider uses: `context_length` (OpenRouter, Together), `context_window` (Groq), `max_model_len` (vLLM)… Default `context_length`. */
  contextField?: string;
  /** Extra fields merged into the model object. */
  extra?: Record<string, unknown>;
}

export interface MockChatOptions {
  models?: MockModel[];
  /** Replace the `/models` answer (e.g. `{ status: 500, body: 'down' }`). */
  modelsResponse?: { status: number; body: unknown };
  /** Answers requests when the script is empty. Default: HTTP 500 naming the unscripted request. */
  respond?: (request: ChatRequestRecord, index: number) => ChatResponse;
}

export interface MockChat {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/v1`: what a provider's `baseUrl` should be. */
  baseUrl: string;
  /** Chat completion requests only, in arrival order. */
  requests: ChatRequestRecord[];
  /** Every request, `/models` included. */
  allRequests: ChatRequestRecord[];
  /** Script the next responses, served in order; a function computes its answer from the request it serves. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** How many scripted responses are still waiting. */
  pending(): number;
  setModels(models: MockModel[]): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMockChat(options: MockChatOptions = {}): Promise<MockChat> {
  const queue: ScriptedResponse[] = [];
  const requests: ChatRequestRecord[] = [];
  const allRequests: ChatRequestRecord[] = [];
  let models = options.models ?? [{ id: 'mock-model' }];

  const server = await startMockUpstream(async (req, res) => {
    const record = toRecord(req);
    allRequests.push(record);
    const path = record.url.split('?')[0] ?? '';
    if (req.method === 'GET' && path.endsWith('/models')) {
      const answer = options.modelsResponse ?? { status: 200, body: modelList(models) };
      return sendBody(res, answer.status, answer.body);
    }
    if (req.method === 'POST' && path.endsWith('/chat/completions')) {
      requests.push(record);
      const index = requests.length - 1;
      const scripted = queue.shift();
      const next = (typeof scripted === 'function' ? scripted(record, index) : scripted) ?? options.respond?.(record, index) ?? { status: 500, body: { error: { message: `mock-chat: no scripted response for request #${index}`, type: 'server_error' } } };
      return answer(res, next);
    }
    sendBody(res, 404, { error: { message: `mock-chat: no route ${req.method} ${path}` } });
  });
  return {
    url: server.url,
    baseUrl: `${server.url}/v1`,
    requests,
    allRequests,
    enqueue: (...responses) => void queue.push(...responses),
    pending: () => queue.length,
    setModels: (next) => void (models = next),
    close: () => server.close(),
  };
}

async function answer(res: ServerResponse, response: ChatResponse): Promise<void> {
  if (response.headersDelayMs) await sleep(response.headersDelayMs);
  if ('json' in response) return sendBody(res, 200, response.json);
  if (!('stream' in response)) return sendBody(res, response.status, response.body, response.headers);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...response.headers });
  res.flushHeaders();
  let sent = 0;
  for (const piece of response.stream) {
    if (res.destroyed) return;
    if (response.cutAfter !== undefined && sent >= response.cutAfter) {
      res.destroy();
      return;
    }
    if (isPause(piece)) {
      await sleep(piece.pause);
      continue;
    }
    if (isRaw(piece)) res.write(piece.raw);
    else res.write(`data: ${typeof piece === 'string' ? piece : JSON.stringify(piece)}\n\n`);
    sent += 1;
    if (response.paceMs) await sleep(response.paceMs);
  }
  if (response.cutAfter !== undefined && sent >= response.cutAfter) {
    res.destroy();
    return;
  }
  if (response.done !== false) res.write('data: [DONE]\n\n');
  res.end();
}

function isPause(piece: StreamPiece): piece is { pause: number } {
  return typeof piece === 'object' && piece !== null && Object.keys(piece).length === 1 && typeof (piece as { pause?: unknown }).pause === 'number';
}

function isRaw(piece: StreamPiece): piece is { raw: string | Buffer } {
  return typeof piece === 'object' && piece !== null && Object.keys(piece).length === 1 && 'raw' in piece && (typeof piece.raw === 'string' || Buffer.isBuffer(piece.raw));
}

function sendBody(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function modelList(models: readonly MockModel[]): object {
  return {
    object: 'list',
    data: models.map((m) => ({
      id: m.id,
      object: 'model',
      created: 1_700_000_000,
      owned_by: 'mock',
      ...(m.contextLength !== undefined ? { [m.contextField ?? 'context_length']: m.contextLength } : {}),
      ...m.extra,
    })),
  };
}

// ----- Builders for scripted streams -----

export interface ToolCallScript {
  /** Default `call_<n>`. */
  id?: string;
  name: string;
  /** The arguments JSON text, as one string or in pieces (each piece is its own chunk). */
  arguments: string | string[];
}

export interface ChatStreamScript {
  /** `reasoning_content` pieces (DeepSeek/Kimi style). */
  reasoning?: string[];
  /** Field name for reasoning pieces. Default `reasoning_content`. */
  reasoningField?: 'reasoning_content' | 'reasoning';
  content?: string[];
  toolCalls?: ToolCallScript[];
  /** Default `tool_calls` when tool calls are scripted, else `stop`; null sends no finish_reason. */
  finishReason?: string | null;
  /** Adds a final usage-only chunk. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens?: number; [extra: string]: unknown };
  id?: string;
  model?: string;
}

/** Builds the chunk objects of a typical streamed completion, in the order real providers send them. */
export function chatChunks(script: ChatStreamScript): object[] {
  const id = script.id ?? 'chatcmpl-mock';
  const model = script.model ?? 'mock-model';
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
  const out: object[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of script.reasoning ?? []) out.push(chunk({ [script.reasoningField ?? 'reasoning_content']: piece }));
  for (const piece of script.content ?? []) out.push(chunk({ content: piece }));
  (script.toolCalls ?? []).forEach((call, index) => {
    const pieces = typeof call.arguments === 'string' ? [call.arguments] : call.arguments;
    out.push(chunk({ tool_calls: [{ index, id: call.id ?? `call_${index}`, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of pieces) out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  const finish = script.finishReason === undefined ? (script.toolCalls?.length ? 'tool_calls' : 'stop') : script.finishReason;
  if (finish !== null) out.push(chunk({}, finish));
  if (script.usage) {
    const usage = { total_tokens: script.usage.prompt_tokens + script.usage.completion_tokens, ...script.usage };
    out.push({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage });
  }
  return out;
}

/** A scripted streamed completion (see `chatChunks`), with optional pacing and `[DONE]`. */
export function chatStream(script: ChatStreamScript, o: { paceMs?: number; done?: boolean; cutAfter?: number; headersDelayMs?: number } = {}): ChatResponse {
  return { stream: chatChunks(script), ...o };
}

/** An upstream HTTP error with an OpenAI-style body. */
export function chatError(status: number, message: string, o: { type?: string; code?: string | null; headers?: Record<string, string> } = {}): ChatResponse {
  return { status, body: { error: { message, type: o.type ?? 'invalid_request_error', code: o.code ?? null } }, headers: o.headers };
}

/** The 400 that OpenAI-compatible providers (DeepSeek among them) send when the prompt is too long. */
export function contextLengthError(limit = 65536, requested = 70000): ChatResponse {
  return chatError(400, `This model's maximum context length is ${limit} tokens. However, you requested ${requested} tokens (${requested - 4096} in the messages, 4096 in the completion). Please reduce the length of the messages or completion.`, { code: 'context_length_exceeded' });
}
