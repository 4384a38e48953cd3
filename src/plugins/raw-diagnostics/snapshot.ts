import { isObject, REDACTED_CONTENT, redactAllStrings, redactJsonText, redactPieces } from '../../index.js';
import type { RawLogLevel } from './schema.js';

type ContentLevel = Exclude<RawLogLevel, 'off' | 'metadata'>;

function bytesInfo(total: number, captured: number) {
  return { total, captured, truncated: captured < total };
}

/** What the request asks for, from the whole parsed body (strings are hidden at `content_redacted`). */
function extract(body: unknown): Record<string, unknown> | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const reasoning = (typeof b.reasoning === 'object' && b.reasoning !== null ? b.reasoning : {}) as Record<string, unknown>;
  const tools = Array.isArray(b.tools) ? (b.tools as Record<string, unknown>[]) : [];
  return {
    model: b.model,
    stream: b.stream,
    store: b.store,
    reasoning_effort: reasoning.effort,
    reasoning_summary: reasoning.summary,
    previous_response_id_present: typeof b.previous_response_id === 'string',
    include_count: Array.isArray(b.include) ? b.include.length : 0,
    input_count: Array.isArray(b.input) ? b.input.length : 0,
    tools: { count: tools.length, names: tools.slice(0, 20).map((t) => t?.name ?? t?.type).filter((n) => typeof n === 'string') },
  };
}

/** The request snapshot: extracted settings plus the first `cap` bytes (parsed when they are the whole JSON body). */
export function requestSnapshot(body: Buffer, parsed: unknown, level: ContentLevel, cap: number): Record<string, unknown> {
  const captured = Math.min(body.length, cap);
  const whole = captured === body.length && parsed !== undefined;
  let content: unknown = whole ? parsed : redactJsonText(body.subarray(0, captured).toString('utf8'));
  let extracted = extract(parsed);
  if (level === 'content_redacted') {
    content = whole ? redactAllStrings(content) : REDACTED_CONTENT;
    extracted = redactAllStrings(extracted) as Record<string, unknown> | undefined;
  }
  return { schema_version: 1, direction: 'request', content_level: level, bytes: bytesInfo(body.length, captured), format: whole ? 'json' : 'text', extracted, content };
}

/** SSE text as events, each `data` parsed when it is JSON; a cut-off last event stays text. */
function sseEvents(text: string, level: ContentLevel): unknown[] {
  const events: unknown[] = [];
  const blocks = text.split(/\r?\n\r?\n/);
  for (const [index, block] of blocks.entries()) {
    if (!block.trim()) continue;
    const complete = index < blocks.length - 1;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    const raw = data.join('\n');
    let value: unknown;
    try {
      value = complete ? JSON.parse(raw) : undefined;
    } catch {
      value = undefined;
    }
    if (value === undefined) events.push({ event, text: level === 'content_redacted' ? REDACTED_CONTENT : redactJsonText(complete ? raw : block) });
    else events.push({ event, data: level === 'content_redacted' ? redactAllStrings(value) : value });
  }
  if (level === 'full_content') redactJoinedDeltas(events);
  return events;
}

/**
 * A secret split across two deltas is in no single event: the deltas of each text (same event type, item and
 * indexes) are redacted as the text they join into, each delta losing its part of the secret.
 */
function redactJoinedDeltas(events: unknown[]): void {
  const texts = new Map<string, { delta: string }[]>();
  for (const event of events) {
    const data = isObject(event) ? event.data : undefined;
    if (!isObject(data) || typeof data.delta !== 'string') continue;
    const key = JSON.stringify([data.type, data.item_id, data.output_index, data.content_index, data.summary_index]);
    let deltas = texts.get(key);
    if (!deltas) texts.set(key, (deltas = []));
    deltas.push(data as { delta: string });
  }
  for (const deltas of texts.values()) {
    if (deltas.length < 2) continue;
    const redacted = redactPieces(deltas.map((d) => d.delta));
    deltas.forEach((d, i) => (d.delta = redacted[i]!));
  }
}

/** The response snapshot from the first bytes sent to Codex. */
export function responseSnapshot(captured: Buffer, total: number, contentType: string | undefined, level: ContentLevel): Record<string, unknown> {
  const text = captured.toString('utf8');
  const base = { schema_version: 1, direction: 'response', content_level: level, bytes: bytesInfo(total, captured.length) };
  // The last upstream head may not be what Codex got (a local error replaces it): trust the bytes too.
  if (contentType?.includes('text/event-stream') && /^\s*(event:|data:|id:|:)/.test(text)) return { ...base, format: 'sse', parsed_json: false, content: sseEvents(text, level) };
  if (captured.length === total) {
    try {
      const parsed: unknown = JSON.parse(text);
      return { ...base, format: 'json', parsed_json: true, content: level === 'content_redacted' ? redactAllStrings(parsed) : parsed };
    } catch {
      // Not JSON: text below.
    }
  }
  return { ...base, format: 'text', parsed_json: false, content: level === 'content_redacted' ? REDACTED_CONTENT : redactJsonText(text) };
}
