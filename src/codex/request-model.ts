import { jsonMembers, jsonString, PEEK_MIN_BYTES } from '../core/json-peek.js';
import type { InboundRequest } from '../core/types.js';

/**
 * The model a Codex request asks for: peeked at in a large body (Codex sends 40 KB and more), read from the parse
 * in a small one. Undefined when there is none; a body that is not JSON raises `invalid_json`, as `json()` does.
 */
export function requestModel(inbound: InboundRequest): string | undefined {
  const members = inbound.body.length >= PEEK_MIN_BYTES ? jsonMembers(inbound.body) : undefined;
  const model = members ? jsonString(inbound.body, members.get('model')) : modelField(inbound.json());
  return typeof model === 'string' && model ? model : undefined;
}

const modelField = (body: unknown): unknown => (typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined);
