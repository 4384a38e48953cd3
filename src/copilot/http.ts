import { request } from 'undici';

export interface JsonResponse {
  status: number;
  /** Parsed body, or undefined when it was not JSON. */
  json: unknown;
}

/**
 * One small JSON call to GitHub. undici's `request` never follows redirects, so a credential is never replayed to
 * another host; a 3xx comes back as its status.
 */
export async function callJson(url: string, o: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: unknown; timeoutMs: number; signal?: AbortSignal }): Promise<JsonResponse> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const headers = { ...o.headers, ...(o.body !== undefined && { 'content-type': 'application/json' }) };
  const res = await request(url, { method: o.method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body), signal });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json };
}

/** Describes a network failure without the URL's query or any header. */
export function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out or aborted';
  return e?.code ?? e?.message?.split('\n')[0] ?? 'request failed';
}
