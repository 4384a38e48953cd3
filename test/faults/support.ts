import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { definePlugin, jsonEvent, type StreamEvent } from '../../src/index.js';
import { responsesTextStream, sseText } from '../support/mock-upstream.js';

/** The faults the upstream can play, picked by the `fault` query parameter the gateway forwards. */
export const FAULTS = ['ok', 'slow-ok', 'refuse', 'reset-mid-stream', 'never-answer', 'stall-mid-stream', 'garbage-bytes', 'invalid-sse', 'non-json-200', 'huge-body', 'error-json'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultUpstream {
  url: string;
  /** A loopback port nobody listens on (connection refused). */
  closedUrl: string;
  close(): Promise<void>;
}

export const HUGE_BYTES = 8 * 1024 * 1024;

/** A real loopback upstream that misbehaves on request: the query string names the fault. */
export async function startFaultUpstream(): Promise<FaultUpstream> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => void play(req, res).catch(() => res.destroy()));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const closedUrl = await closedPortUrl();
  return {
    url: `http://127.0.0.1:${port}`,
    closedUrl,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function play(req: IncomingMessage, res: ServerResponse): Promise<void> {
  for await (const _chunk of req) void _chunk;
  const fault = (new URL(req.url ?? '/', 'http://x').searchParams.get('fault') ?? 'ok') as Fault;
  const stream = Buffer.from(sseText(responsesTextStream('hello from the fault upstream')));
  switch (fault) {
    case 'ok':
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(stream);
      return;
    case 'slow-ok':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < stream.length; i += 97) {
        if (res.destroyed) return;
        res.write(stream.subarray(i, i + 97));
        await sleep(5);
      }
      res.end();
      return;
    case 'reset-mid-stream':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(stream.subarray(0, Math.floor(stream.length / 2)));
      await sleep(10);
      res.socket?.resetAndDestroy();
      return;
    case 'never-answer':
      await new Promise((r) => res.on('close', r));
      return;
    case 'stall-mid-stream':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(stream.subarray(0, 120));
      await new Promise((r) => res.on('close', r));
      return;
    case 'garbage-bytes':
      res.socket?.end('\x00\x01NOT HTTP AT ALL \xff\xfe\r\n\r\n');
      return;
    case 'invalid-sse':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data {"no colon"\n\nevent: response.completed\ndata: {not json\n\n:\n\x00\xff\xfe garbage\n\n');
      return;
    case 'non-json-200':
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>surprise</html>');
      return;
    case 'huge-body': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const delta = 'x'.repeat(64 * 1024 - 200);
      const event = Buffer.from(sseText([{ type: 'response.output_text.delta', item_id: 'm', output_index: 0, content_index: 0, delta }]));
      let sent = 0;
      while (sent < HUGE_BYTES) {
        if (res.destroyed) return;
        sent += event.length;
        if (!res.write(event)) await new Promise((r) => res.once('drain', r));
      }
      res.end(stream);
      return;
    }
    case 'error-json':
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limited"}}');
      return;
    case 'refuse':
      // The gateway never gets here: the chain points the request at a closed port.
      res.destroy();
      return;
  }
}

async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Points `/v1/responses?fault=X` at the fault upstream (or at a closed port for `refuse`). */
export function faultRouting(upstream: FaultUpstream) {
  return definePlugin({
    name: 'fault-routing',
    apply({ hooks }) {
      hooks.request.tapPromise('fault-routing', async (ex) => {
        const fault = ex.inbound.query.get('fault') ?? 'ok';
        ex.upstream.url = new URL(`/responses?fault=${encodeURIComponent(fault)}`, fault === 'refuse' ? upstream.closedUrl : upstream.url);
        return undefined;
      });
    },
  });
}

/** An identity stream plugin: puts the chain in event mode, as every translating chain is. */
export const eventMode = definePlugin({
  name: 'event-mode',
  apply({ hooks }) {
    hooks.streamChunk.tap('event-mode', (events: StreamEvent[]) => events);
  },
});

/** Event mode plus a keep-alive that commits the stream early, so even a header timeout arrives as an event. */
export const keepAliveMode = definePlugin({
  name: 'keep-alive-mode',
  apply({ hooks }) {
    hooks.request.tapPromise('keep-alive-mode', async (ex) => {
      ex.keepAlive = { commitAfterMs: 20, intervalMs: 30 };
      return undefined;
    });
    hooks.streamIdle.tap('keep-alive-mode', () => [jsonEvent({ type: 'codex.keepalive' })]);
  },
});

/** What a client saw: status and body, or that the connection closed before a complete answer. */
export interface Seen {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The connection closed before the response was complete (a cut byte stream). */
  cut: boolean;
  /** We aborted on purpose. */
  aborted: boolean;
  /** The per-request deadline passed with no end: a hang. */
  hung: boolean;
}

/** Sends a request with node:http (no retries, no decoding) and records exactly what arrived. */
export function send(url: string, o: { method?: string; body?: string | Buffer; headers?: Record<string, string>; abortAfterMs?: number; abortAfterBytes?: number; deadlineMs?: number } = {}): Promise<Seen> {
  return new Promise((resolve) => {
    const seen: Seen = { status: undefined, headers: {}, body: Buffer.alloc(0), cut: false, aborted: false, hung: false };
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(abortTimer);
      seen.body = Buffer.concat(chunks);
      resolve(seen);
    };
    const req = httpRequest(url, { method: o.method ?? 'POST', headers: { 'content-type': 'application/json', ...o.headers }, agent: false });
    const abort = () => {
      if (done) return;
      seen.aborted = true;
      req.destroy();
      finish();
    };
    const deadline = setTimeout(() => {
      seen.hung = true;
      req.destroy();
      finish();
    }, o.deadlineMs ?? 10_000);
    const abortTimer = o.abortAfterMs === undefined ? undefined : setTimeout(abort, o.abortAfterMs);
    req.on('response', (res) => {
      seen.status = res.statusCode;
      seen.headers = res.headers;
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (o.abortAfterBytes !== undefined && received >= o.abortAfterBytes) abort();
      });
      res.on('end', finish);
      res.on('error', () => {
        seen.cut = true;
        finish();
      });
      res.on('aborted', () => {
        seen.cut = true;
      });
      res.on('close', () => {
        if (!res.complete) seen.cut = true;
        finish();
      });
    });
    req.on('error', () => {
      seen.cut = true;
      finish();
    });
    req.end(o.body ?? '{"model":"m","input":[],"stream":true}');
  });
}

/** SSE event types in order of a response body. */
export function eventTypes(body: Buffer): string[] {
  return [...body.toString('utf8').matchAll(/^data: (.*)$/gm)].map((m) => {
    try {
      return String((JSON.parse(m[1]!) as { type?: unknown }).type);
    } catch {
      return '<not json>';
    }
  });
}

/** The OpenAI error body the gateway writes, or undefined when the body is not one. */
export function errorOf(body: Buffer): { message: string; type: string; code: string | null } | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
    const e = parsed.error;
    if (!e || typeof e.message !== 'string' || typeof e.type !== 'string' || !(typeof e.code === 'string' || e.code === null)) return undefined;
    return { message: e.message, type: e.type, code: e.code };
  } catch {
    return undefined;
  }
}

/** Resource kinds that keep a process alive, counted (timers, sockets, servers). */
export function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** A fixed mix of faults for load runs: mostly healthy, every fault represented, a few huge bodies. */
export function faultMix(count: number, seed = 7): { fault: Fault; abortAfterMs?: number; abortAfterBytes?: number }[] {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const weighted: Fault[] = ['ok', 'ok', 'ok', 'slow-ok', 'slow-ok', 'refuse', 'reset-mid-stream', 'never-answer', 'stall-mid-stream', 'garbage-bytes', 'invalid-sse', 'non-json-200', 'error-json'];
  return Array.from({ length: count }, (_, i) => {
    const fault = i % 200 === 0 ? 'huge-body' : weighted[Math.floor(random() * weighted.length)]!;
    const roll = random();
    if (roll < 0.08) return { fault, abortAfterMs: Math.floor(random() * 120) };
    if (roll < 0.12) return { fault, abortAfterBytes: 1 + Math.floor(random() * 600) };
    return { fault };
  });
}

/**
 * Why an answer is not one Codex can act on, or undefined when it is: a complete Responses stream, a JSON error,
 * a terminal `response.failed` event (event mode), a cut connection (byte mode, upstream broke mid-stream), or
 * what the upstream itself sent (non-JSON 200, invalid SSE).
 */
export function judge(fault: Fault, mode: 'bytes' | 'events', seen: Seen): string | undefined {
  if (seen.hung) return 'no answer before the deadline (hang)';
  if (seen.aborted) return undefined;
  if (seen.status === undefined) return 'connection closed before a status line';
  if (seen.status >= 400) {
    if (!String(seen.headers['content-type']).startsWith('application/json')) return `status ${seen.status} without a JSON body`;
    return errorOf(seen.body) ? undefined : `status ${seen.status} body is not {"error":{"message","type","code"}}`;
  }
  if (seen.status !== 200) return `unexpected status ${seen.status}`;
  if (fault === 'non-json-200') return seen.body.toString() === '<html>surprise</html>' ? undefined : 'non-JSON 200 body changed';
  if (fault === 'invalid-sse') return seen.cut ? 'invalid SSE stream was cut' : undefined;
  if (seen.cut) return mode === 'bytes' && (fault === 'reset-mid-stream' || fault === 'stall-mid-stream') ? undefined : `stream cut (${fault})`;
  const last = eventTypes(seen.body).at(-1);
  if (last === 'response.completed') return undefined;
  if (last === 'response.failed' && mode === 'events') return undefined;
  return `stream ended with ${last ?? 'no event'}`;
}

/** Polls the gateway's status endpoint until no request is in flight; returns the last count seen. */
export async function settle(url: string, timeoutMs = 5_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let inFlight = -1;
  while (Date.now() < until) {
    const status = (await (await fetch(`${url}/_ccrx/status`)).json()) as { counts: { inFlight: number } };
    inFlight = status.counts.inFlight;
    if (inFlight === 0) return 0;
    await sleep(50);
  }
  return inFlight;
}
