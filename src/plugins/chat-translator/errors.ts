import { GatewayError, isObject, retryAfter } from '../../index.js';

/**
 * Upstream HTTP failures in the vocabulary Codex acts on (`codex-contract.md` §3.4, `chat-translation.md` §8). The
 * same GatewayError serves before commit (HTTP status + JSON) and after (its `code` and `message` go into
 * `response.failed`), so every code here is one Codex reads correctly in both forms.
 */
export function upstreamHttpError(status: number, body: Buffer | string, headers: Record<string, string | string[]>, keyHint?: string): GatewayError {
  const { message, code, type } = readError(body, status);
  const shown = `upstream HTTP ${status}: ${message}`;
  const details = { upstream_status: status };
  const retryAfter = retryAfterSeconds(headers);

  if (CONTEXT.test(message) || code === 'context_length_exceeded') {
    return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'context_length_exceeded', message: shown, details });
  }
  if (status === 402 || code === 'insufficient_quota' || type === 'insufficient_quota' || QUOTA.test(message)) {
    return new GatewayError({ status: 429, type: 'insufficient_quota', code: 'insufficient_quota', message: shown, details });
  }
  if (status === 429) {
    const wait = retryAfter ?? 2;
    return new GatewayError({
      status: 429,
      type: 'rate_limit_exceeded',
      code: 'rate_limit_exceeded',
      message: `${shown} (rate limited; try again in ${wait}s)`,
      headers: { 'retry-after': String(wait) },
      details,
    });
  }
  if (status === 401 || status === 403) {
    // Fatal on purpose: retrying with the same key cannot help, and Codex retries generic codes six times.
    const hint = keyHint ? ` Check the chat-translator apiKey (or ${keyHint}).` : ' Check the chat-translator apiKey.';
    return new GatewayError({ status, type: 'invalid_request_error', code: 'invalid_prompt', message: `the upstream rejected the API key (HTTP ${status}): ${message}.${hint}`, details });
  }
  if (status >= 500 || status === 408) {
    const overloaded = status === 503 || status === 529;
    return new GatewayError({
      status: overloaded ? 503 : 502,
      type: 'server_error',
      code: 'upstream_error',
      message: shown,
      expose: true,
      headers: { 'retry-after': String(retryAfter ?? 1) },
      details,
    });
  }
  // Other 4xx (bad request, unknown model, …): fatal with the upstream's words, never retried pointlessly.
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'invalid_prompt', message: shown, details });
}

const CONTEXT = /context[ _-]?(length|window)|maximum context|context_length_exceeded|too many tokens|prompt is too long|input is too long|reduce the length|exceeds? (the )?(model'?s? )?(maximum|max|context|token limit)/i;
const QUOTA = /insufficient[ _](quota|balance)|exceeded your current quota|quota exceeded|out of credits|insufficient credits|billing|payment required/i;

function readError(body: Buffer | string, status: number): { message: string; code?: string; type?: string } {
  const text = (typeof body === 'string' ? body : body.toString('utf8')).trim();
  try {
    const json = JSON.parse(text) as unknown;
    const error = isObject(json) && isObject(json.error) ? json.error : isObject(json) ? json : {};
    const message = firstString(error.message, isObject(json) ? json.message : undefined, isObject(json) ? json.detail : undefined, typeof (isObject(json) ? json.error : undefined) === 'string' ? (json as { error: string }).error : undefined);
    return { message: message ?? clip(text) ?? `HTTP ${status}`, code: firstString(error.code), type: firstString(error.type) };
  } catch {
    return { message: clip(text) || `HTTP ${status}` };
  }
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v) return v;
  for (const v of values) if (typeof v === 'number') return String(v);
  return undefined;
}

function clip(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** `Retry-After` as whole seconds (numeric or a future HTTP date), else `retry-after-ms`. */
function retryAfterSeconds(headers: Record<string, string | string[]>): number | undefined {
  const wait = retryAfter(headers, Date.now());
  return wait && Math.max(1, Math.ceil(wait.ms / 1000));
}

/** A failure found while reading the upstream stream (after commit), as `response.failed` will carry it. */
export interface StreamFailure {
  code: string;
  message: string;
  /** The HTTP status a blocking answer with this failure gets (default 502). */
  status?: number;
}

/**
 * An `error` object inside a 200 stream (or body), classified by the status it carries, as if the upstream had
 * answered with that status: Groq's `{"error":{…,"code":"tool_use_failed","status_code":400}}` and OpenRouter's
 * `{"code":400,"message":"Token limit reached"}` are final (`invalid_prompt` with the provider's words, context
 * length as `context_length_exceeded`); 429 stays retryable as `rate_limit_exceeded`, 5xx as `upstream_error`. One
 * that carries no status keeps the retryable `upstream_stream_error`.
 */
export function inStreamError(error: unknown): StreamFailure {
  const e = isObject(error) ? error : {};
  const message = typeof e.message === 'string' && e.message ? e.message : typeof error === 'string' ? error : JSON.stringify(error);
  const status = statusOf(e);
  if (status === undefined) {
    if (e.code === 'context_length_exceeded' || CONTEXT.test(message)) return { code: 'context_length_exceeded', message: `upstream error: ${message}`, status: 400 };
    return { code: 'upstream_stream_error', message: `upstream error: ${message}` };
  }
  const mapped = upstreamHttpError(status, JSON.stringify({ error: { ...e, message } }), {});
  return { code: mapped.code ?? 'upstream_error', message: mapped.message.replace(`upstream HTTP ${status}:`, `upstream error ${status} in the stream:`), status: mapped.status };
}

/** The status an error object carries: `status_code` (Groq), a numeric `code` (OpenRouter), `status`, else its type. */
function statusOf(e: Record<string, unknown>): number | undefined {
  for (const value of [e.status_code, e.code, e.status]) {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^[1-5]\d\d$/.test(value) ? Number(value) : undefined;
    if (n !== undefined && n >= 400 && n <= 599) return n;
  }
  return STATUS_OF_TYPE[String(e.type ?? e.code)];
}

const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  rate_limit_exceeded: 429,
  rate_limit_error: 429,
  insufficient_quota: 429,
  server_error: 500,
  api_error: 500,
  overloaded_error: 503,
};
