import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { codexStreams, streamedCode, streamedMessage } from './codex-failure.js';
import { errorBody, errors, failedEvent, GatewayError } from './errors.js';
import type { KernelExchange } from './exchange.js';
import { isObject, type JsonObject } from '../json/is-object.js';
import { hasTaps, type Hooks } from './hooks.js';
import { scrubError, scrubErrorBody, scrubFailureEvent } from './scrub.js';
import { createEventReader, isEventStream, serializeEvents, SSE_CONTENT_TYPE } from './sse.js';
import { classifyUpstreamError, forwardableHeaders, type RawUpstreamResponse } from './upstream.js';
import type { ExchangeSummary, KeepAlive, Reply, StreamEvent, StreamOutcome } from './types.js';

type Outcome = ExchangeSummary['outcome'];

/**
 * Everything written to Codex for one exchange goes through here: bytes piped as they come, event streams
 * run through the stream hooks, and errors turned into bytes (JSON before headers, a terminal event after).
 */
/** Bounds on an upstream event stream the gateway parses (`upstream.maxEventChars`, `upstream.maxStreamBytes`). */
export interface StreamLimits {
  maxEventChars: number;
  /** 0: no limit. */
  maxStreamBytes: number;
}

export function createResponder(res: ServerResponse, ex: KernelExchange, hooks: Hooks, eventMode: () => boolean, limits: StreamLimits) {
  let mode: 'none' | 'bytes' | 'events' = 'none';
  let bytesOut = 0;
  let chunksOut = 0;
  let firstByteAt: number | undefined;
  let outcome: Outcome = 'completed';
  let failure: GatewayError | undefined;
  let lastWriteAt = Date.now();
  let terminated = false;
  let commitTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  const observeBytes = hasTaps(hooks.responseBytes);
  const hold = turnHold(res);

  /** Writes now; false when Codex's socket wants the writer to wait for `drain`. */
  function writeNow(chunk: Buffer | string): boolean {
    if (res.destroyed || res.writableEnded) return true;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (buf.length === 0) return true;
    const now = Date.now();
    firstByteAt ??= now;
    lastWriteAt = now;
    bytesOut += buf.length;
    chunksOut += 1;
    if (observeBytes) hooks.responseBytes.call(buf, ex);
    return res.write(buf);
  }

  async function write(chunk: Buffer | string): Promise<void> {
    if (!writeNow(chunk)) await drained(res);
  }

  function writeHead(status: number, headers: Record<string, string | string[] | number>): void {
    res.writeHead(status, headers);
    ex.headersSent = true;
  }

  function openEvents(status: number, headers: Record<string, string | string[]>): Promise<void> {
    mode = 'events';
    // Not held for the upstream's first bytes (unless the whole answer is here, see pipeEvents): the head and the
    // opening events leave as soon as the upstream's status is known, before its first events are read and translated
    // (which the first byte to Codex then no longer waits for), at the price of one more write where those came with
    // the head.
    writeHead(status, { ...forwardableHeaders(headers, ['content-length', 'content-encoding']), 'content-type': SSE_CONTENT_TYPE, 'cache-control': 'no-cache' });
    return writeEvents(hooks.streamOpen.call([], ex));
  }

  function writeEvents(events: readonly StreamEvent[]): Promise<void> {
    return writeEventsNow(events) ? Promise.resolve() : drained(res);
  }

  function writeEventsNow(given: readonly StreamEvent[]): boolean {
    if (!given.length) return true;
    const events = scrubFailures(given);
    if (!terminated) terminated = events.some(isTerminal);
    const written = writeNow(serializeEvents(events));
    if (ex.keepResponse) keepTerminal(events);
    return written;
  }

  /** Error text in failure events (a plugin's, or an upstream's passed on) loses the credentials sent upstream. */
  function scrubFailures(events: readonly StreamEvent[]): readonly StreamEvent[] {
    let out = events;
    for (let i = 0; i < events.length; i++) {
      const event = scrubFailureEvent(events[i]!, ex.sentSecrets);
      if (event === events[i]) continue;
      if (out === events) out = [...events];
      (out as StreamEvent[])[i] = event;
    }
    return out;
  }

  /** The response store keeps exactly the response of the terminal event the client was sent. */
  function keepTerminal(events: readonly StreamEvent[]): void {
    for (const event of events) {
      if (!isTerminal(event)) continue;
      const keep = ex.keepResponse;
      ex.keepResponse = undefined;
      const payload = parseObject(event.data);
      if (keep && payload && isObject(payload.response)) keep(payload.response);
      return;
    }
  }

  async function closeEvents(ending: StreamOutcome): Promise<void> {
    stopKeepAlive();
    if (res.writableEnded) return;
    let streamOutcome = ending;
    if (ending.kind === 'error') {
      failure = scrubError(ending.error, ex.sentSecrets);
      streamOutcome = { kind: 'error', error: failure };
    }
    let events = hooks.streamClose.call([], ex, streamOutcome);
    // A stream that already told Codex how it ended gets no second terminal event.
    if (streamOutcome.kind === 'error' && events.length === 0 && !terminated) events = [failedEvent(streamOutcome.error, `resp_${ex.id}`)];
    await writeEvents(events);
    res.end();
  }

  /** Early commit: a 200 event stream before upstream headers, so idle events can flow (see KeepAlive). */
  function armKeepAlive(keepAlive: KeepAlive): void {
    if (!eventMode()) return;
    commitTimer = setTimeout(() => {
      if (ex.headersSent || res.destroyed) return;
      void openEvents(200, {}).then(() => scheduleIdle(keepAlive.intervalMs));
    }, keepAlive.commitAfterMs);
  }

  function scheduleIdle(intervalMs: number): void {
    clearTimeout(idleTimer);
    const due = Math.max(0, lastWriteAt + intervalMs - Date.now());
    idleTimer = setTimeout(() => {
      if (res.destroyed || res.writableEnded) return;
      if (Date.now() - lastWriteAt >= intervalMs) void writeEvents(hooks.streamIdle.call([], ex));
      scheduleIdle(intervalMs);
    }, due);
  }

  function stopKeepAlive(): void {
    clearTimeout(commitTimer);
    clearTimeout(idleTimer);
  }

  async function pipeEvents(upstream: RawUpstreamResponse): Promise<void> {
    if (mode !== 'events') {
      // A short answer whose end came with its head leaves whole, in one write: its first byte has nothing to wait
      // for. A stream still coming gets its head and opening events at once (openEvents).
      if (arrivedWhole(upstream.body)) hold();
      await openEvents(upstream.status, upstream.headers);
    }
    if (ex.keepAlive) scheduleIdle(ex.keepAlive.intervalMs);
    let batch: StreamEvent[] = [];
    const reader = createEventReader(
      (event) => {
        for (const out of hooks.streamChunk.call([event], ex)) batch.push(out);
      },
      { maxEventChars: limits.maxEventChars },
    );
    // Every byte read is translated (or observed) in the event loop, and a translated stream grows about fivefold
    // on its way to Codex: an upstream that never stops would hold the loop and the client's disk for ever.
    let read = 0;
    const take = () => {
      const events = batch;
      batch = [];
      return events;
    };
    const flush = () => writeEvents(take());
    try {
      await pumpBytes(upstream.body, res, hold, (chunk) => {
        read += chunk.length;
        if (limits.maxStreamBytes > 0 && read > limits.maxStreamBytes) throw errors.upstreamStreamTooLarge(limits.maxStreamBytes);
        reader.push(chunk);
        return writeEventsNow(take());
      }, EVENT_SLICE_BYTES);
      reader.end();
      await flush();
    } catch (err) {
      if (ex.abort.aborted) return markAborted();
      await flush();
      // A stream tap that threw is the plugin's error, not a broken upstream.
      if (err instanceof GatewayError) {
        outcome = 'error';
        failure = err;
      } else {
        outcome = 'cut';
        failure = classifyUpstreamError(err, 'body');
      }
      return closeEvents({ kind: 'error', error: failure });
    }
    await closeEvents({ kind: 'eof' });
  }

  async function pipeBytes(upstream: RawUpstreamResponse): Promise<void> {
    mode = 'bytes';
    writeHead(upstream.status, forwardableHeaders(upstream.headers));
    try {
      await pumpBytes(upstream.body, res, hold, writeNow);
      res.end();
    } catch (err) {
      if (ex.abort.aborted) return markAborted();
      // Mid-stream there is no honest way to finish a byte stream: cut the connection so Codex retries.
      outcome = 'cut';
      failure = classifyUpstreamError(err, 'body');
      ex.log.warn({ err: failure.message }, 'upstream stream broke; closing the client connection');
      res.destroy();
    }
  }

  /** A final error Codex maps: a 200 event stream, `response.created` then its `response.failed` (codex-failure.ts). */
  async function failInStream(err: GatewayError, code: string): Promise<void> {
    mode = 'events';
    const id = `resp_${ex.id}`;
    const created = { type: 'response.created', sequence_number: 0, response: { id, object: 'response', status: 'in_progress', output: [] } };
    writeHead(200, { ...err.headers, 'content-type': SSE_CONTENT_TYPE, 'cache-control': 'no-cache' });
    await writeEvents([{ event: 'response.created', data: JSON.stringify(created) }, failedEvent(err, id, { code, message: streamedMessage(err, code), sequenceNumber: 1 })]);
    res.end();
  }

  function markAborted(): void {
    outcome = 'aborted';
    stopKeepAlive();
  }

  return {
    armKeepAlive,

    /** Sends the upstream response on: as events when a stream hook is tapped and it is an event stream. */
    async forward(upstream: RawUpstreamResponse, cachedBody: Buffer | undefined): Promise<void> {
      const events = eventMode() && cachedBody === undefined && isEventStream(upstream.headers['content-type']);
      if (events) return pipeEvents(upstream);
      if (mode === 'events') {
        upstream.body.resume();
        return this.fail(errors.upstreamBadResponse(`upstream answered ${upstream.status} without an event stream`));
      }
      stopKeepAlive();
      if (cachedBody === undefined) return pipeBytes(upstream);
      mode = 'bytes';
      let body = cachedBody;
      const drop = ['content-length'];
      const headers: Record<string, string | string[] | number> = {};
      if (upstream.status >= 400) {
        const encoding = upstream.headers['content-encoding'];
        const safe = scrubErrorBody(cachedBody, upstream.status, Array.isArray(encoding) ? encoding.join(', ') : encoding, ex.sentSecrets);
        body = safe.body;
        if (!safe.keepEncoding) drop.push('content-encoding');
        if (safe.contentType) {
          drop.push('content-type');
          headers['content-type'] = safe.contentType;
        }
      }
      writeHead(upstream.status, { ...forwardableHeaders(upstream.headers, drop), ...headers, 'content-length': body.length });
      await write(body);
      res.end();
    },

    async reply(reply: Reply): Promise<void> {
      stopKeepAlive();
      if (mode === 'events') return this.fail(errors.upstreamBadResponse('a plugin replied after the event stream started'));
      const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      const headers: Record<string, string | number> = { ...reply.headers };
      if (reply.body !== undefined && !Buffer.isBuffer(reply.body) && typeof reply.body !== 'string' && !hasHeader(headers, 'content-type')) {
        headers['content-type'] = 'application/json; charset=utf-8';
      }
      headers['content-length'] = body.length;
      mode = 'bytes';
      writeHead(reply.status, headers);
      await write(body);
      res.end();
      const keep = ex.keepResponse;
      ex.keepResponse = undefined;
      if (keep && reply.status === 200) {
        const answer = isObject(reply.body) && !Buffer.isBuffer(reply.body) ? reply.body : parseObject(body.toString('utf8'));
        if (answer?.object === 'response') keep(answer);
      }
    },

    /** The one place an error becomes bytes for Codex. */
    async fail(given: GatewayError): Promise<void> {
      if (ex.abort.aborted || res.destroyed) return markAborted();
      // Whatever the error says may come from the upstream, which may echo the credentials it was sent.
      const err = scrubError(given, ex.sentSecrets);
      outcome = outcome === 'cut' ? 'cut' : 'error';
      failure = err;
      if (mode === 'events') return closeEvents({ kind: 'error', error: err });
      stopKeepAlive();
      if (ex.headersSent) {
        res.destroy();
        return;
      }
      const streamed = streamedCode(err.code, err.type);
      if (streamed && codexStreams(ex)) return failInStream(err, streamed);
      const body = Buffer.from(JSON.stringify(errorBody(err)));
      mode = 'bytes';
      writeHead(err.status, { ...err.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      await write(body);
      res.end();
    },

    /** Ends the answer now because the gateway shuts down: a terminal event on an event stream, else the status. */
    async terminate(err: GatewayError): Promise<void> {
      if (res.destroyed || res.writableEnded) return;
      if (mode === 'events') {
        outcome = 'error';
        failure = err;
        return closeEvents({ kind: 'error', error: err });
      }
      if (!ex.headersSent) return this.fail(err);
      res.destroy();
    },

    summary(upstreamStatus: number | undefined): ExchangeSummary {
      stopKeepAlive();
      if (ex.abort.aborted && outcome === 'completed' && !res.writableFinished) outcome = 'aborted';
      return {
        status: ex.headersSent ? res.statusCode : 0,
        upstreamStatus,
        attempts: ex.attempt,
        durationMs: Date.now() - ex.startedAt,
        firstByteMs: firstByteAt === undefined ? undefined : firstByteAt - ex.startedAt,
        bytesOut,
        chunksOut,
        outcome,
        error: failure,
      };
    },
  };
}

export type Responder = ReturnType<typeof createResponder>;

/**
 * Largest piece of upstream bytes an event stream translates in one event-loop turn. A fast upstream hands over
 * 100 KB and more at once, and translating that took tens of milliseconds on a loaded machine, during which no
 * other request (nor `/health`) was served; in pieces, the loop turns between them.
 */
const EVENT_SLICE_BYTES = 32 * 1024;

/**
 * Hands a body to `write` as it arrives, waiting while Codex's socket drains. `readable` + `read()` rather than an
 * async iterator (cheaper per answer) or `data` events (one write per upstream chunk): `read()` takes everything
 * buffered at once, so a fast stream goes out in fewer, larger writes. With `sliceBytes`, a larger chunk is written
 * in pieces of that size, one per event-loop turn. A body that closes without ending is an error (the upstream
 * connection broke).
 */
function pumpBytes(body: Readable, res: ServerResponse, hold: () => void, write: (chunk: Buffer) => boolean, sliceBytes = Infinity): Promise<void> {
  return new Promise((done, fail) => {
    let draining = false;
    let yielding = false;
    /** The rest of a chunk, for the next turn. */
    let rest: Buffer | null = null;
    /** The body ended while `rest` was left: finish once it is written. */
    let ended = false;
    const onReadable = () => {
      if (draining || yielding) return;
      hold();
      try {
        for (let chunk = rest ?? (body.read() as Buffer | null); chunk !== null; chunk = rest ?? (body.read() as Buffer | null)) {
          rest = null;
          if (chunk.length > sliceBytes) {
            rest = chunk.subarray(sliceBytes);
            chunk = chunk.subarray(0, sliceBytes);
          }
          if (!write(chunk)) {
            draining = true;
            res.once('drain', onDrain);
            return;
          }
          if (rest) {
            yielding = true;
            setImmediate(onTurn);
            return;
          }
        }
        if (ended) finish();
      } catch (err) {
        // A stream tap that throws ends this answer like a broken upstream would; the body is not read further.
        finish(err as Error);
        body.on('error', () => {}).destroy();
      }
    };
    const onDrain = () => {
      draining = false;
      onReadable();
    };
    const onTurn = () => {
      yielding = false;
      onReadable();
    };
    const finish = (err?: Error) => {
      res.off('drain', onDrain);
      body.off('readable', onReadable).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) fail(err);
      else done();
    };
    const onEnd = () => {
      if (rest) ended = true;
      else finish();
    };
    const onError = (err: Error) => finish(err);
    const onClose = () => {
      if (!ended) finish(new Error('the upstream body closed before its end'));
    };
    body.on('readable', onReadable).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/**
 * Makes `hold()` for a response: it holds the response's writes until this event-loop turn has run its callbacks
 * (timers and I/O of the next turn come after), so what is written meanwhile leaves in one write. A short answer's
 * last bytes, its end (the upstream reports it a tick after the bytes) and a translator's closing events then reach
 * Codex together, where ending the hold with the tick took two writes.
 */
function turnHold(res: ServerResponse): () => void {
  let held = false;
  const release = () => {
    held = false;
    res.uncork();
  };
  return () => {
    if (held) return;
    held = true;
    res.cork();
    setImmediate(release);
  };
}

/**
 * Whether a body's end is already read from the socket, its bytes all in its buffer. Node has no public flag for it
 * (`readableEnded` waits until the bytes are taken); where the stream's state has none, the answer is no, and the
 * head goes first as for any stream.
 */
function arrivedWhole(body: Readable): boolean {
  return (body as Readable & { _readableState?: { ended?: unknown } })._readableState?.ended === true;
}

/** Waits for `drain` or `close`, whichever comes first, and leaves no listener behind. */
async function drained(res: ServerResponse): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([once(res, 'drain', { signal: done.signal }), once(res, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}

const TERMINAL_TYPES = new Set(['response.completed', 'response.failed', 'response.incomplete']);
const TERMINAL_DATA = /^\s*\{\s*"type"\s*:\s*"response\.(completed|failed|incomplete)"/;

/** Whether an event ends a Responses stream (codex-contract §3.2); checked on the name or the data's leading type. */
function isTerminal(event: StreamEvent): boolean {
  return event.event !== undefined ? TERMINAL_TYPES.has(event.event) : TERMINAL_DATA.test(event.data);
}

function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}
