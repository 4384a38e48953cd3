import { isObject } from '../json/is-object.js';
import { GatewayError } from './errors.js';
import type { KernelExchange } from './exchange.js';
import type { UpstreamResponse } from './types.js';

/**
 * The final errors Codex turns into its own message, in the one shape every Codex from 0.150 on reads: an in-stream
 * `response.failed` with `error.code`. As an HTTP answer, Codex 0.150 shows the raw JSON of a 400 (context window,
 * invalid prompt) and "exceeded retry limit" for a 429 `insufficient_quota`; 0.166 still shows a 400
 * `context_length_exceeded` raw (docs/compatibility.md has the runs). `usage_limit_reached` is the exception: only
 * its HTTP 429 form (read from `type`) is mapped, in-stream it is retried, so it stays an HTTP answer.
 */
const STREAMED_CODES = new Set(['context_length_exceeded', 'insufficient_quota', 'usage_not_included', 'invalid_prompt', 'server_is_overloaded', 'slow_down', 'rate_limit_exceeded']);

/** Largest upstream error body read to find its code; error bodies are small, a larger one passes on untouched. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** The code Codex maps for this error in-stream, or undefined when the error is better sent as it is. */
export function streamedCode(code: string | null | undefined, type: string | null | undefined): string | undefined {
  if (type === 'usage_limit_reached') return undefined;
  if (code && STREAMED_CODES.has(code)) return code;
  if (type && STREAMED_CODES.has(type)) return type;
  return undefined;
}

/** Whether this exchange is Codex's streamed `POST /v1/responses`, which reads errors from the stream. */
export function codexStreams(ex: KernelExchange): boolean {
  if (ex.inbound.route !== 'responses' || ex.inbound.method !== 'POST' || ex.inbound.body.length === 0) return false;
  try {
    const body = ex.inbound.json();
    return isObject(body) && body.stream === true;
  } catch {
    return false;
  }
}

/**
 * An upstream's own error answer whose code Codex maps in-stream (a Copilot 400 `context_length_exceeded`, say), as
 * a GatewayError that keeps the upstream's status, type, code, message and extra fields; undefined for any other
 * answer, which then passes on byte for byte (its body, if read here, is cached for that).
 */
export async function upstreamCodexFailure(head: UpstreamResponse): Promise<GatewayError | undefined> {
  const type = String(head.headers['content-type'] ?? '');
  const length = Number(head.headers['content-length'] ?? 0);
  if (head.status < 400 || !/json/i.test(type) || length > ERROR_BODY_LIMIT) return undefined;
  const body = await head.readBody(ERROR_BODY_LIMIT);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : undefined;
  if (!error) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const code = streamedCode(str(error.code), str(error.type));
  if (!code) return undefined;
  const { message, type: errorType, code: _code, ...details } = error;
  const retryAfter = head.headers['retry-after'];
  return new GatewayError({
    status: head.status,
    type: str(errorType) ?? 'invalid_request_error',
    code,
    message: str(message) ?? `upstream HTTP ${head.status}`,
    expose: true,
    headers: typeof retryAfter === 'string' ? { 'retry-after': retryAfter } : undefined,
    details,
  });
}

/** The message of a streamed rate limit names its wait, which is where Codex reads it ("try again in 2s"). */
export function streamedMessage(err: GatewayError, code: string): string {
  if (code !== 'rate_limit_exceeded' || /try again in\s*\d/i.test(err.message)) return err.message;
  const seconds = Number(err.headers['retry-after']);
  return Number.isFinite(seconds) && seconds >= 0 ? `${err.message} (try again in ${seconds}s)` : err.message;
}
