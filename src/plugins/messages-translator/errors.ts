import { GatewayError, isObject, retryAfter, type ResponsesFailure } from '../../index.js';

/**
 * Anthropic's errors (`{type: "error", error: {type, message}}`) in the codes Codex acts on (`codex-contract.md`
 * §3.4): a full context as `context_length_exceeded`, overload and server errors retryable, a bad key or request
 * final with the provider's words. The same GatewayError serves before commit (HTTP) and after (`response.failed`).
 */
export function upstreamHttpError(status: number, body: Buffer | string, headers: Record<string, string | string[]>, keyHint?: string): GatewayError {
  const { type, message } = readError(body, status);
  const shown = `upstream HTTP ${status}: ${message}`;
  const details = { upstream_status: status, ...(type ? { upstream_type: type } : {}) };
  const wait = retryAfterSeconds(headers);
  if (isContextOverflow(message)) return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'context_length_exceeded', message: shown, details });
  if (status === 402 || QUOTA.test(message)) return new GatewayError({ status: 429, type: 'insufficient_quota', code: 'insufficient_quota', message: shown, details });
  if (status === 429 || type === 'rate_limit_error') {
    const seconds = wait ?? 2;
    return new GatewayError({ status: 429, type: 'rate_limit_exceeded', code: 'rate_limit_exceeded', message: `${shown} (rate limited; try again in ${seconds}s)`, headers: { 'retry-after': String(seconds) }, details });
  }
  if (status === 401 || status === 403) {
    // Final on purpose: the same key cannot work on a retry, and Codex retries generic codes.
    const hint = keyHint ? ` Check the messages-translator apiKey (or ${keyHint}).` : ' Check the credentials of this chain.';
    return new GatewayError({ status, type: 'invalid_request_error', code: 'invalid_prompt', message: `the upstream rejected the credentials (HTTP ${status}): ${message}.${hint}`, details });
  }
  if (status >= 500 || status === 408 || type === 'overloaded_error' || type === 'api_error') {
    // 529 overloaded and 5xx: Codex retries a 503 without `server_is_overloaded` (which it would take as final).
    return new GatewayError({ status: status === 529 || status === 503 || type === 'overloaded_error' ? 503 : 502, type: 'server_error', code: 'upstream_error', message: shown, expose: true, headers: { 'retry-after': String(wait ?? 1) }, details });
  }
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'invalid_prompt', message: shown, details });
}

/** An `error` event inside a stream (after commit): overload and server errors are retried, the rest is final. */
export function streamErrorFailure(error: unknown): ResponsesFailure {
  const type = isObject(error) && typeof error.type === 'string' ? error.type : 'api_error';
  const message = isObject(error) && typeof error.message === 'string' && error.message ? error.message : JSON.stringify(error);
  const shown = `upstream error (${type}): ${message}`;
  if (isContextOverflow(message)) return { code: 'context_length_exceeded', message: shown };
  if (type === 'overloaded_error' || type === 'api_error') return { code: 'upstream_overloaded', message: shown };
  if (type === 'rate_limit_error') return { code: 'rate_limit_exceeded', message: `${shown} (try again in 2s)` };
  return { code: 'invalid_prompt', message: shown };
}

const CONTEXT = /prompt is too long|context[ _-]?(length|window)|maximum context|too many tokens|input is too long|exceeds? (the )?(model'?s? )?(maximum|max|context|token limit)/i;
const QUOTA = /credit balance is too low|insufficient[ _](quota|balance)|quota exceeded|out of credits|billing|payment required/i;

export function isContextOverflow(message: string): boolean {
  return CONTEXT.test(message);
}

function readError(body: Buffer | string, status: number): { type?: string; message: string } {
  const text = (typeof body === 'string' ? body : body.toString('utf8')).trim();
  try {
    const json = JSON.parse(text) as unknown;
    const error = isObject(json) && isObject(json.error) ? json.error : isObject(json) ? json : {};
    const message = typeof error.message === 'string' && error.message ? error.message : clip(text);
    return { type: typeof error.type === 'string' ? error.type : undefined, message: message || `HTTP ${status}` };
  } catch {
    return { message: clip(text) || `HTTP ${status}` };
  }
}

function clip(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function retryAfterSeconds(headers: Record<string, string | string[]>): number | undefined {
  const wait = retryAfter(headers, Date.now());
  return wait && Math.max(1, Math.ceil(wait.ms / 1000));
}
