import { jsonItems, jsonKind, jsonMembers, jsonString, PEEK_MIN_BYTES, type Exchange } from '../../index.js';

export type Initiator = 'user' | 'agent';

/** Why a request was classified, for the debug log. */
export interface InitiatorDecision {
  initiator: Initiator;
  reason: 'subagent-header' | 'parent-thread' | 'request-kind' | 'last-input-user-message' | 'last-input-not-user' | 'models' | 'stored-response' | 'no-input';
}

/**
 * Copilot charges a premium request per user-initiated call. Codex gives three signals, checked in order:
 * a sub-agent (`x-openai-subagent` or `x-codex-parent-thread-id`) is agent work; a turn-metadata `request_kind` other
 * than `turn` (e.g. `compaction`) is agent work; otherwise the request is `user` only when the last `input` item is a
 * user `message`, i.e. the first call of a user turn. Tool-loop continuations end with tool output and are `agent`.
 * Peeks at the body's last input item (a full parse only when the peek cannot tell); never changes the bytes sent.
 */
export function classifyInitiator(ex: Exchange): InitiatorDecision {
  if (ex.inbound.route === 'models') return { initiator: 'agent', reason: 'models' };
  if (ex.inbound.route !== 'responses') return { initiator: 'agent', reason: 'stored-response' };
  const headers = ex.inbound.headers;
  if (headers['x-openai-subagent']) return { initiator: 'agent', reason: 'subagent-header' };
  if (headers['x-codex-parent-thread-id']) return { initiator: 'agent', reason: 'parent-thread' };
  const kind = requestKind(headers['x-codex-turn-metadata']);
  if (kind !== undefined && kind !== 'turn') return { initiator: 'agent', reason: 'request-kind' };

  const body = ex.inbound.body;
  return (body.length >= PEEK_MIN_BYTES ? lastInputPeeked(body) : undefined) ?? lastInputParsed(ex.inbound.json());
}

const USER: InitiatorDecision = { initiator: 'user', reason: 'last-input-user-message' };
const NOT_USER: InitiatorDecision = { initiator: 'agent', reason: 'last-input-not-user' };
const NO_INPUT: InitiatorDecision = { initiator: 'agent', reason: 'no-input' };

/** The decision from the last input item's `type` and `role` alone: Codex bodies are large, and this is per request. */
function lastInputPeeked(body: Buffer): InitiatorDecision | undefined {
  const members = jsonMembers(body);
  if (!members) return undefined;
  const input = members.get('input');
  if (!input) return NO_INPUT;
  const kind = jsonKind(body, input);
  if (kind === 'string') return USER;
  if (kind !== 'array') return NO_INPUT;
  const items = jsonItems(body, input);
  if (!items) return undefined;
  const last = items[items.length - 1];
  if (!last) return NO_INPUT;
  if (jsonKind(body, last) === 'array') return NOT_USER;
  const fields = jsonKind(body, last) === 'object' ? jsonMembers(body, last) : undefined;
  if (!fields) return NOT_USER;
  const type = fields.get('type');
  const isMessage = type === undefined || jsonString(body, type) === 'message';
  return isMessage && jsonString(body, fields.get('role')) === 'user' ? USER : NOT_USER;
}

/** The same decision from a parsed body: for what the peek does not read (and to raise invalid_json). */
function lastInputParsed(body: unknown): InitiatorDecision {
  const input = (body as { input?: unknown } | null)?.input;
  if (typeof input === 'string') return USER;
  if (!Array.isArray(input) || input.length === 0) return NO_INPUT;
  const last = input[input.length - 1] as { type?: unknown; role?: unknown } | null;
  const isMessage = last !== null && typeof last === 'object' && (last.type === 'message' || last.type === undefined);
  return isMessage && last.role === 'user' ? USER : NOT_USER;
}

function requestKind(metadata: string | undefined): string | undefined {
  if (!metadata) return undefined;
  try {
    const kind = (JSON.parse(metadata) as { request_kind?: unknown } | null)?.request_kind;
    return typeof kind === 'string' ? kind : undefined;
  } catch {
    return undefined;
  }
}
