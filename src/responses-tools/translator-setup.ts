import { GatewayError } from '../core/errors.js';
import type { Reply } from '../core/types.js';
import { isObject } from '../json/is-object.js';

/** How long a translator waits for its upstream's model list before serving the configured models. */
export const MODELS_TIMEOUT_MS = 5_000;
const CATALOG_TTL_MS = 60_000;

/** The key named by `apiKeyEnv` (or the preset): a name known only at run time, so not a `plugin.env` binding. */
export function readApiKeyEnv(env: Readonly<Record<string, string | undefined>>, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * Routed mode has no store: a conversation it cannot see is refused, never silently dropped. `wire` names the API
 * the request is translated to, as the client reads it ("Chat Completions").
 */
export function refuseStateful(body: unknown, wire: string): void {
  if (!isObject(body)) return;
  const references = Array.isArray(body.input) && body.input.some((item) => isObject(item) && item.type === 'item_reference');
  if (typeof body.previous_response_id !== 'string' && !references) return;
  throw new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'previous_response_not_found',
    message: `this model is translated to ${wire} on a chain without a response store, so ${references ? 'item_reference' : 'previous_response_id'} cannot be resolved; send the whole conversation with store: false`,
    details: { param: references ? 'input' : 'previous_response_id' },
  });
}

/**
 * `GET /v1/models?client_version=…`: the Codex catalogue built from the upstream list (`discover`, undefined when
 * it did not answer), kept a minute. A failed discovery is retried on the next request instead of being cached.
 */
export function cachedCatalog<T>(discover: () => Promise<T | undefined>, build: (upstream: T | undefined) => object): () => Promise<Reply> {
  let cached: { at: number; body: object } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > CATALOG_TTL_MS) {
      const upstream = await discover();
      cached = { at: Date.now(), body: build(upstream) };
      if (!upstream) cached.at = 0;
    }
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: cached.body };
  };
}
