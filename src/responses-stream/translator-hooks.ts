import { GatewayError } from '../core/errors.js';
import { isEventStream, serializeEvents } from '../core/sse.js';
import type { Exchange, PluginApi, StreamEvent, UpstreamResponse, Verdict } from '../core/types.js';
import { readErrorBody } from '../upstream-errors/read-body.js';
import type { ResponsesFailure } from './writer.js';

/** A translator's per-exchange Responses stream, as the kernel's stream hooks drive it. */
export interface TranslatedStream {
  open(): StreamEvent[];
  idle(): StreamEvent[];
  end(): StreamEvent[];
  failWith(failure: ResponsesFailure): StreamEvent[];
}

/** How a translator plugin reaches its exchanges' streams: every translator into Codex's wire shares the rest. */
export interface TranslatorStreams<S extends TranslatedStream> {
  name: string;
  /** The exchange's stream, or none for exchanges the translator leaves alone (and blocking requests). */
  streamOf(ex: Exchange): S | undefined;
  /** One upstream event's data, translated into Responses events. */
  feed(stream: S, data: string): StreamEvent[];
}

/** The upstream's answer to one translated exchange, read back the way its request asked. */
/** Largest blocking (non-stream) answer a translator reads whole. */
const BLOCKING_ANSWER_LIMIT = 32 * 1024 * 1024;

export interface TranslatedAnswer<S extends TranslatedStream> {
  httpError(status: number, body: Buffer, headers: UpstreamResponse['headers']): GatewayError;
  /** A blocking answer's JSON as the one Responses object Codex gets. */
  blocking(json: unknown): object;
  /** The upstream events a JSON answer stands for, replayed through the stream when a provider ignored stream:true. */
  events(json: unknown): unknown[];
  stream: S | undefined;
}

/** Feeds the kernel's stream hooks through each translated exchange's stream; other exchanges pass untouched. */
export function tapTranslatedStreams<S extends TranslatedStream>(api: PluginApi, side: TranslatorStreams<S>): void {
  const { name, streamOf, feed } = side;
  api.hooks.streamOpen.tap(name, (events, ex) => {
    const stream = streamOf(ex);
    return stream ? [...events, ...stream.open()] : events;
  });
  api.hooks.streamChunk.tap(name, (events, ex) => {
    const stream = streamOf(ex);
    if (!stream) return events;
    // The kernel passes one event at a time: no intermediate arrays per event on a long stream.
    return events.length === 1 ? feed(stream, events[0]!.data) : events.flatMap((event) => feed(stream, event.data));
  });
  api.hooks.streamIdle.tap(name, (events, ex) => {
    const stream = streamOf(ex);
    return stream ? [...events, ...stream.idle()] : events;
  });
  api.hooks.streamClose.tap(name, (events, ex, outcome) => {
    const stream = streamOf(ex);
    if (!stream) return events;
    return [...events, ...(outcome.kind === 'eof' ? stream.end() : stream.failWith(streamFailureOf(outcome.error)))];
  });
}

/**
 * The verdict on a translated exchange's upstream response: an HTTP error in the codes Codex acts on, a blocking
 * answer translated whole, or nothing (the event stream is translated by the stream hooks).
 */
export async function translatedVerdict<S extends TranslatedStream>(ex: Exchange, response: UpstreamResponse, side: TranslatorStreams<S>, answer: TranslatedAnswer<S>): Promise<Verdict | undefined> {
  if (response.status >= 400) {
    const body = (await readErrorBody(response)) ?? Buffer.alloc(0);
    return { fail: answer.httpError(response.status, body, response.headers) };
  }
  const stream = answer.stream;
  if (!stream) {
    const json = parseJsonBody(await response.readBody(BLOCKING_ANSWER_LIMIT));
    try {
      return { reply: { status: 200, body: answer.blocking(json) } };
    } catch (err) {
      return { fail: err as GatewayError };
    }
  }
  if (isEventStream(response.headers['content-type'])) return undefined;
  // A provider that ignored stream:true: its one JSON answer becomes the event stream Codex needs.
  const json = parseJsonBody(await response.readBody(BLOCKING_ANSWER_LIMIT));
  if (ex.headersSent) return { fail: new GatewayError({ status: 502, type: 'server_error', code: 'upstream_bad_response', message: 'the upstream answered a streaming request without an event stream', expose: true }) };
  const events = [...stream.open(), ...answer.events(json).flatMap((event) => side.feed(stream, JSON.stringify(event))), ...stream.end()];
  return { reply: { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }, body: serializeEvents(events) } };
}

/** A transport failure after commit as `response.failed` carries it. */
export function streamFailureOf(error: GatewayError): ResponsesFailure {
  // Kernel transport errors read better for Codex under the names the spec gives them.
  const code = error.code === 'upstream_stream_error' ? 'stream_incomplete' : error.code === 'upstream_unreachable' || error.code === 'upstream_timeout' ? 'connection_error' : (error.code ?? 'upstream_error');
  return { code, message: error.expose ? error.message : 'internal gateway error' };
}

/** An upstream body as JSON, or undefined where it is none (the translators then answer with a clear error). */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
