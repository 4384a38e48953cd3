import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as the mock upstream received it. */
export interface RecordedRequest {
  method: string;
  /** Path plus query, as received. */
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A request as a scripted upstream mock records it for the test: its JSON body parsed where it has one. */
export interface ParsedRequest {
  method: string;
  /** Path plus query. */
  url: string;
  headers: Record<string, string>;
  /** Parsed JSON body (undefined for GET or non-JSON). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw: Buffer;
}

export function parsedRequest(req: RecordedRequest): ParsedRequest {
  let body: unknown;
  try {
    body = req.body.length ? req.json() : undefined;
  } catch {
    body = undefined;
  }
  return { method: req.method, url: req.url, headers: req.headers, body, raw: req.body };
}

export type MockHandler = (req: RecordedRequest, res: ServerResponse, index: number) => void | Promise<void>;

export interface MockUpstream {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Replace the handler; the request index keeps counting. */
  handle(handler: MockHandler): void;
  close(): Promise<void>;
}

/** A real HTTP server on loopback that records every request and answers with `handler`. */
export async function startMockUpstream(handler: MockHandler): Promise<MockUpstream> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers, body, json: () => JSON.parse(body.toString('utf8')) };
    requests.push(recorded);
    try {
      await current(recorded, res, requests.length - 1);
    } catch (err) {
      if (!res.headersSent) res.writeHead(599).end(String(err));
      else res.destroy();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (next) => void (current = next),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Formats SSE: objects become `event: <type>` + `data: <json>`; strings are sent as raw data lines. */
export function sseText(events: readonly (object | string)[], { eventLines = true } = {}): string {
  return events
    .map((e) => {
      if (typeof e === 'string') return `data: ${e}\n\n`;
      const type = (e as { type?: string }).type;
      return `${eventLines && type ? `event: ${type}\n` : ''}data: ${JSON.stringify(e)}\n\n`;
    })
    .join('');
}

/** Streams SSE events, optionally paced, with `text/event-stream`. */
export async function sendSse(res: ServerResponse, events: readonly (object | string)[], o: { delayMs?: number; status?: number; headers?: Record<string, string>; eventLines?: boolean } = {}): Promise<void> {
  res.writeHead(o.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...o.headers });
  for (const event of events) {
    if (res.destroyed) return;
    res.write(sseText([event], { eventLines: o.eventLines }));
    if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
  }
  res.end();
}

/** A minimal valid Responses stream carrying one assistant message. */
export function responsesTextStream(text: string, id = 'resp_mock'): object[] {
  const item = { id: 'msg_mock', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
  return [
    { type: 'response.created', response: { id, object: 'response', status: 'in_progress', output: [] } },
    { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } },
    { type: 'response.output_text.delta', item_id: 'msg_mock', output_index: 0, content_index: 0, delta: text },
    { type: 'response.output_item.done', output_index: 0, item },
    { type: 'response.completed', response: { id, object: 'response', status: 'completed', output: [item], usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } } },
  ];
}
