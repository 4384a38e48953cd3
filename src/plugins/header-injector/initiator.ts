import type { Exchange } from '../../index.js';

export type Initiator = 'user' | 'agent';

/** Why a request was classified, for the debug log. */
export interface InitiatorDecision {
  initiator: Initiator;
  reason: 'subagent-header' | 'parent-thread' | 'request-kind' | 'last-input-user-message' | 'last-input-not-user' | 'models' | 'no-input';
}

/**
 * Copilot charges a premium request per user-initiated call. Codex gives three signals, checked in order:
 * a sub-agent (`x-openai-subagent` or `x-codex-parent-thread-id`) is agent work; a turn-metadata `request_kind` other
 * than `turn` (e.g. `compaction`) is agent work; otherwise the request is `user` only when the last `input` item is a
 * user `message`, i.e. the first call of a user turn. Tool-loop continuations end with tool output and are `agent`.
 * Reads the parsed body; never changes the bytes sent upstream.
 */
export function classifyInitiator(ex: Exchange): InitiatorDecision {
  if (ex.inbound.route === 'models') return { initiator: 'agent', reason: 'models' };
  const headers = ex.inbound.headers;
  if (headers['x-openai-subagent']) return { initiator: 'agent', reason: 'subagent-header' };
  if (headers['x-codex-parent-thread-id']) return { initiator: 'agent', reason: 'parent-thread' };
  const kind = requestKind(headers['x-codex-turn-metadata']);
  if (kind !== undefined && kind !== 'turn') return { initiator: 'agent', reason: 'request-kind' };

  const body = ex.inbound.json();
  const input = (body as { input?: unknown } | null)?.input;
  if (typeof input === 'string') return { initiator: 'user', reason: 'last-input-user-message' };
  if (!Array.isArray(input) || input.length === 0) return { initiator: 'agent', reason: 'no-input' };
  const last = input[input.length - 1] as { type?: unknown; role?: unknown } | null;
  const isMessage = last !== null && typeof last === 'object' && (last.type === 'message' || last.type === undefined);
  return isMessage && last.role === 'user' ? { initiator: 'user', reason: 'last-input-user-message' } : { initiator: 'agent', reason: 'last-input-not-user' };
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
