import { jsonMembers, jsonString, PEEK_MIN_BYTES } from './json-peek.js';
import type { InboundRequest } from './types.js';

/** One answer per request: the kernel's request log line and the plugins that route by model all ask. */
const seen = new WeakMap<InboundRequest, string | undefined>();

/**
 * The model a Codex request asks for: peeked at in a large body (Codex sends 40 KB and more), read from the parse
 * in a small one. Undefined when there is none; a body that is not JSON raises `invalid_json`, as `json()` does.
 */
export function requestModel(inbound: InboundRequest): string | undefined {
  if (seen.has(inbound)) return seen.get(inbound);
  const members = inbound.body.length >= PEEK_MIN_BYTES ? jsonMembers(inbound.body) : undefined;
  const model = members ? jsonString(inbound.body, members.get('model')) : modelField(inbound.json());
  const found = typeof model === 'string' && model ? model : undefined;
  seen.set(inbound, found);
  return found;
}

/**
 * For a plugin that parsed the request itself (a translator reading a body whose texts it kept as bytes): the model
 * it read, so that the request log and later plugins do not walk the whole body again for it. The first answer
 * stands; pass the parse of the body's own bytes (its top-level `model`, as `JSON.parse` reads it), nothing else.
 */
export function rememberRequestModel(inbound: InboundRequest, parsed: unknown): void {
  if (seen.has(inbound)) return;
  const model = modelField(parsed);
  seen.set(inbound, typeof model === 'string' && model ? model : undefined);
}

const modelField = (body: unknown): unknown => (typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined);
