import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { definePlugin, jsonEvent, type StreamEvent } from '../../src/index.js';
import { responsesTextStream, sseText } from '../support/mock-upstream.js';
import { rawRequest } from '../fuzz/raw-http.js';

/** The faults the upstream can play, picked by the `fault` query parameter the gateway forwards. */
export const FAULTS = ['ok', 'slow-ok', 'refuse', 'reset-mid-stream', 'never-answer', 'stall-mid-stream', 'garbage-bytes', 'invalid-sse', 'non-json-200', 'huge-body', 'error-json', 'long-line', 'endless-stream'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultUpstream {
  url: string;
  /** A loopback port nobody listens on (connection refused). */
  closedUrl: string;
  close(): Promise<void>;
}

export const HUGE_BYTES = 8 * 1024 * 1024;

/** Until `res` takes more (or is gone); the listener left behind is removed, or a long stream piles them up. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.once('drain', done).once('close', done);
  });
}
/** `long-line`: one `data:` line this long, never ended by a newline. */
export const LONG_LINE_BYTES = 3 * 1024 * 1024;
/** `endless-stream`: a stream that never completes stops after this much (a passthrough chain pipes all of it). */
export const ENDLESS_BYTES = 12 * 1024 * 1024;

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
    case 'long-line': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const piece = 'y'.repeat(64 * 1024);
      if (!res.write('data: {"type":"response.output_text.delta","delta":"')) await new Promise((r) => res.once('drain', r));
      for (let sent = 0; sent < LONG_LINE_BYTES && !res.destroyed; sent += piece.length) {
        if (!res.write(piece)) await drained(res);
      }
      res.end();
      return;
    }
    case 'endless-stream': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const events = Buffer.from(sseText(Array.from({ length: 100 }, () => ({ type: 'response.output_text.delta', item_id: 'm', output_index: 0, content_index: 0, delta: 'more ' }))));
      for (let sent = 0; sent < ENDLESS_BYTES && !res.destroyed; sent += events.length) {
        if (!res.write(events)) await drained(res);
      }
      res.end();
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

/** The code of a terminal `response.failed`, or the type of whatever event ended the stream instead. */
function failedCode(body: Buffer): string | undefined {
  const last = [...body.toString('utf8').matchAll(/^data: (.*)$/gm)].at(-1)?.[1];
  try {
    const event = last ? (JSON.parse(last) as { type?: string; response?: { error?: { code?: string } } }) : undefined;
    return event?.type === 'response.failed' ? event.response?.error?.code : event?.type;
  } catch {
    return '<not json>';
  }
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

/**
 * What a client does wrong, before the upstream is involved: a web page's `<img>` GET, two `Host` headers, none, a
 * CONNECT, a body over the server's limit, a body that stalls, and JSON nested 50,000 deep.
 */
export const CLIENT_FAULTS = ['cross-site', 'two-hosts', 'no-host', 'connect', 'big-body', 'stalled-body', 'deep-json'] as const;
export type ClientFault = (typeof CLIENT_FAULTS)[number];

/** The status each client fault must get (deep JSON is no error: it must pass untouched). */
export const CLIENT_FAULT_STATUS: Record<ClientFault, number | undefined> = {
  'cross-site': 403,
  'two-hosts': 400,
  'no-host': 400,
  connect: 405,
  'big-body': 413,
  'stalled-body': 408,
  'deep-json': undefined,
};

/** The server and upstream bounds the mix runs under: small enough that its faults meet them. */
export const MIX_LIMITS = {
  server: { maxBodyBytes: 256 * 1024, bodyIdleTimeoutMs: 300, headersTimeoutMs: 2_000, requestTimeoutMs: 5_000 },
  upstream: { headersTimeoutMs: 1_500, idleTimeoutMs: 1_500, maxEventChars: 1024 * 1024, maxStreamBytes: 10 * 1024 * 1024 },
};

export interface MixEntry {
  fault: Fault;
  client?: ClientFault;
  abortAfterMs?: number;
  abortAfterBytes?: number;
}

/** A fixed mix of faults for load runs: mostly healthy, every upstream and client fault represented, a few huge bodies. */
export function faultMix(count: number, seed = 7): MixEntry[] {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const weighted: Fault[] = ['ok', 'ok', 'ok', 'slow-ok', 'slow-ok', 'refuse', 'reset-mid-stream', 'never-answer', 'stall-mid-stream', 'garbage-bytes', 'invalid-sse', 'non-json-200', 'error-json'];
  return Array.from({ length: count }, (_, i) => {
    const rare = i % 200 === 0 ? 'huge-body' : i % 200 === 67 ? 'long-line' : i % 200 === 133 ? 'endless-stream' : undefined;
    const fault = rare ?? weighted[Math.floor(random() * weighted.length)]!;
    // One request in twenty is a client fault, each kind alike.
    if (!rare && i % 20 === 5) return { fault: 'ok', client: CLIENT_FAULTS[Math.floor(i / 20) % CLIENT_FAULTS.length]! };
    const roll = random();
    if (roll < 0.08) return { fault, abortAfterMs: Math.floor(random() * 120) };
    if (roll < 0.12) return { fault, abortAfterBytes: 1 + Math.floor(random() * 600) };
    return { fault };
  });
}

/** Deep enough to overflow a recursive walk of the parsed body (JSON.stringify's runs out near 10,000). */
const DEEP_JSON = `{"model":${'['.repeat(50_000)}${']'.repeat(50_000)},"input":[],"stream":true}`;

/** Plays one entry of the mix against the gateway: through node:http, or as raw bytes where node:http cannot. */
export async function sendEntry(url: string, m: MixEntry, deadlineMs: number): Promise<Seen> {
  const path = `/v1/responses?fault=${m.fault}`;
  const { port } = new URL(url);
  const raw = async (text: string): Promise<Seen> => {
    const answer = await rawRequest(Number(port), Buffer.from(text), deadlineMs);
    return { status: answer.status, headers: { 'content-type': answer.headers['content-type'] }, body: answer.body, cut: answer.closedEarly, aborted: false, hung: answer.hung };
  };
  const body = '{"model":"m","input":[],"stream":true}';
  switch (m.client) {
    case 'cross-site':
      return send(`${url}${path.replace('responses', 'models')}`, { method: 'GET', body: '', headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }, deadlineMs });
    case 'two-hosts':
      return raw(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nhost: evil.example\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    case 'no-host':
      return raw(`POST ${path} HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    case 'connect':
      return raw(`CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\n`);
    case 'big-body':
      return send(`${url}${path}`, { body: `{"model":"m","input":"${'z'.repeat(MIX_LIMITS.server.maxBodyBytes)}"}`, deadlineMs });
    case 'stalled-body':
      return raw(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${body.length * 2}\r\n\r\n${body}`);
    case 'deep-json':
      return send(`${url}${path}`, { body: DEEP_JSON, deadlineMs });
    default:
      return send(`${url}${path}`, { ...m, deadlineMs });
  }
}

/** Counts of what the clients of a run saw, for the report a load run prints. */
export function outcomes(seen: readonly Seen[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of seen) {
    const last = s.status === 200 && !s.cut ? eventTypes(s.body).at(-1) : undefined;
    const kind = s.hung ? 'hung' : s.aborted ? 'aborted' : s.cut ? 'cut' : s.status !== 200 ? `http ${s.status}` : (last ?? 'other 200');
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/**
 * Why an answer is not one Codex can act on, or undefined when it is: a complete Responses stream, a JSON error,
 * a terminal `response.failed` event (event mode), a cut connection (byte mode, upstream broke mid-stream), or
 * what the upstream itself sent (non-JSON 200, invalid SSE).
 */
export function judge(fault: Fault, mode: 'bytes' | 'events', seen: Seen, client?: ClientFault): string | undefined {
  if (seen.hung) return 'no answer before the deadline (hang)';
  if (seen.aborted) return undefined;
  if (seen.status === undefined) return 'connection closed before a status line';
  const expected = client ? CLIENT_FAULT_STATUS[client] : undefined;
  if (expected !== undefined && seen.status !== expected) return `${client}: status ${seen.status}, not ${expected}`;
  if (client && expected === undefined && seen.status !== 200) return `${client}: status ${seen.status}, not a stream`;
  if (seen.status >= 400) {
    if (!String(seen.headers['content-type']).startsWith('application/json')) return `status ${seen.status} without a JSON body`;
    return errorOf(seen.body) ? undefined : `status ${seen.status} body is not {"error":{"message","type","code"}}`;
  }
  if (seen.status !== 200) return `unexpected status ${seen.status}`;
  if (fault === 'non-json-200') return seen.body.toString() === '<html>surprise</html>' ? undefined : 'non-JSON 200 body changed';
  if (fault === 'invalid-sse') return seen.cut ? 'invalid SSE stream was cut' : undefined;
  // A piped stream is the upstream's own: what it sent arrives, unfinished as it was.
  if ((fault === 'long-line' || fault === 'endless-stream') && mode === 'bytes') return seen.cut ? `${fault} was cut` : undefined;
  if (fault === 'long-line' && mode === 'events') return failedCode(seen.body) === 'upstream_event_too_large' ? undefined : `long line ended with ${failedCode(seen.body)}`;
  if (fault === 'endless-stream' && mode === 'events') return failedCode(seen.body) === 'upstream_stream_too_large' ? undefined : `endless stream ended with ${failedCode(seen.body)}`;
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
