import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { errors } from './errors.js';
import type { StreamEvent } from './types.js';

/** Content type of every event stream the gateway writes. */
export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

export function isEventStream(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value !== undefined && value.toLowerCase().startsWith('text/event-stream');
}

/**
 * Incremental SSE reader over upstream bytes. Multi-byte characters split across chunks are decoded
 * correctly, a leading byte-order mark is dropped (as the SSE format requires), and `end()` flushes a last event that
 * lacks its trailing blank line (some providers end with `data: [DONE]` and no newline). An event longer than
 * `maxEventChars` (decoded characters) throws `upstream_event_too_large` from `push`.
 */
export function createEventReader(onEvent: (event: StreamEvent) => void, o: { maxEventChars: number }) {
  // StringDecoder rather than TextDecoder: a stream's reader is made per exchange, and a TextDecoder costs about
  // a microsecond to create. Unlike TextDecoder it keeps a byte-order mark, so the first text is checked for one.
  const decoder = new StringDecoder('utf8');
  let started = false;
  const parser = createParser({
    // What the parser holds for one event (its unfinished line and the data lines so far); without a cap, an
    // upstream that never sends a newline is buffered whole.
    maxBufferSize: o.maxEventChars,
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') throw errors.upstreamEventTooLarge(o.maxEventChars);
    },
    onEvent: (message) => {
      const event: StreamEvent = { data: message.data };
      if (message.event !== undefined) event.event = message.event;
      if (message.id !== undefined) event.id = message.id;
      onEvent(event);
    },
  });
  const feed = (text: string): void => {
    if (!started && text) {
      started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text) parser.feed(text);
  };
  return {
    push(chunk: Uint8Array): void {
      feed(decoder.write(chunk as Buffer));
    },
    end(): void {
      feed(decoder.end());
      // The SSE format would drop an event left without its blank line at the end of the stream; a lenient reader
      // dispatches it (a provider that ends with `data: [DONE]` would otherwise lose it).
      parser.feed('\n\n');
      parser.reset();
    },
  };
}

/** Serializes events; multi-line data becomes several `data:` lines, as the SSE format requires. */
export function serializeEvents(events: readonly StreamEvent[]): string {
  let out = '';
  for (const ev of events) {
    if (ev.event !== undefined) out += `event: ${ev.event}\n`;
    if (ev.id !== undefined) out += `id: ${ev.id}\n`;
    out += ev.data.includes('\n') ? ev.data.split('\n').map((line) => `data: ${line}`).join('\n') : `data: ${ev.data}`;
    out += '\n\n';
  }
  return out;
}

const jsonCache = new WeakMap<StreamEvent, unknown>();

/** Parses an event's data as JSON once per event object; `undefined` when it is not JSON (e.g. `[DONE]`). */
export function eventJson(event: StreamEvent): unknown {
  if (jsonCache.has(event)) return jsonCache.get(event);
  let value: unknown;
  try {
    value = JSON.parse(event.data);
  } catch {
    value = undefined;
  }
  jsonCache.set(event, value);
  return value;
}

/** Builds an event whose data is the JSON of `payload` and whose `event:` line is `payload.type`. */
export function jsonEvent(payload: { type: string } & Record<string, unknown>): StreamEvent {
  return { event: payload.type, data: JSON.stringify(payload) };
}
