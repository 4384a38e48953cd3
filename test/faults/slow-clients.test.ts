import { existsSync, readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responsesTextStream, sseText, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { upstreamTo } from '../support/upstream-plugin.js';
import { eventTypes } from './support.js';

// Slow and half-open clients, before any auth: a local process must not be able to hold the gateway's descriptors
// by sending headers slowly, stalling or dripping a body, or never reading the answer to a malformed request. The
// timeouts that free them bound only how a request is received: a long, mostly silent stream to Codex runs on.

const TIMEOUTS = { headersTimeoutMs: 500, bodyIdleTimeoutMs: 500, requestTimeoutMs: 3_000 };
/** Longer than every inbound timeout: a stream silent this long must still reach Codex whole. */
const STREAM_SILENCE_MS = 3_500;
const CLIENTS = 60;

let mock: MockUpstream;
let gw: StartedRouter;
let port: number;

beforeAll(async () => {
  mock = await startMockUpstream(async (_req, res) => {
    const [first, ...rest] = responsesTextStream('a slow answer');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sseText([first!]));
    await new Promise((r) => setTimeout(r, STREAM_SILENCE_MS));
    res.end(sseText(rest));
  });
  gw = await startRouter({ plugins: [upstreamTo(mock)], server: TIMEOUTS });
  port = Number(new URL(gw.url).port);
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

interface Held {
  /** Milliseconds from connecting until the gateway closed the connection (undefined: still open at the deadline). */
  closedAfterMs: number | undefined;
  answer: string;
  /** Still open for a half-open client: the test closes it when done. */
  socket: Socket;
}

/** A client that plays `script` on a fresh connection and records when the gateway let go of it. */
function hold(script: (socket: Socket) => void, o: { halfOpen?: boolean; deadlineMs: number }): Promise<Held> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: o.halfOpen ?? false });
    let answer = '';
    const finish = (closedAfterMs: number | undefined) => {
      clearTimeout(deadline);
      if (!o.halfOpen || closedAfterMs === undefined) socket.destroy();
      resolve({ closedAfterMs, answer, socket });
    };
    const deadline = setTimeout(() => finish(undefined), o.deadlineMs);
    socket.on('connect', () => script(socket));
    socket.on('data', (d: Buffer) => void (answer += d.toString('latin1')));
    socket.on('error', () => {});
    // A half-open client never closes its side: the gateway's FIN is as far as it lets go.
    socket.on(o.halfOpen ? 'end' : 'close', () => finish(Date.now() - started));
  });
}

const head = `POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n`;

describe('slow and silent clients are freed by the inbound timeouts', () => {
  it(`${CLIENTS} clients each that never finish their headers, stall their body, or drip it`, async () => {
    const unfinished = Array.from({ length: CLIENTS }, () => hold((s) => s.write('POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1\r\n'), { deadlineMs: 8_000 }));
    const stalled = Array.from({ length: CLIENTS }, () => hold((s) => s.write(`${head}{"model":"m",`), { deadlineMs: 8_000 }));
    const dripping = Array.from({ length: CLIENTS }, () =>
      hold((s) => {
        s.write(head);
        const drip = setInterval(() => (s.writable ? s.write(' ') : clearInterval(drip)), 150);
        s.on('close', () => clearInterval(drip));
      }, { deadlineMs: 8_000 }),
    );
    const [a, b, c] = await Promise.all([Promise.all(unfinished), Promise.all(stalled), Promise.all(dripping)]);

    // Headers and silence are cut well before the request timeout; a drip only by it.
    const worst = (held: Held[]) => Math.max(...held.map((h) => h.closedAfterMs ?? Infinity));
    expect(worst(a)).toBeLessThan(TIMEOUTS.requestTimeoutMs - 500);
    expect(worst(b)).toBeLessThan(TIMEOUTS.requestTimeoutMs - 500);
    expect(worst(c)).toBeLessThan(TIMEOUTS.requestTimeoutMs + 2_000);
    for (const held of [...a, ...b, ...c]) expect(held.answer).toMatch(/^HTTP\/1\.1 408 .*"code":"request_timeout"/s);
  }, 20_000);

  // Descriptors of this process (gateway and clients alike): handle counts are per thread, and tests may run in one.
  it.skipIf(!existsSync('/proc/self/fd'))(`${CLIENTS} clients that never read nor close after a malformed request hold no descriptor of the gateway`, async () => {
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    const held = await Promise.all(Array.from({ length: CLIENTS }, () => hold((s) => s.write('GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: nope\r\n\r\n'), { halfOpen: true, deadlineMs: 8_000 })));
    for (const h of held) expect(h.answer).toMatch(/^HTTP\/1\.1 400 .*"code":"malformed_request"/s);
    await new Promise((r) => setTimeout(r, 200));
    // Our half-open clients are still open (that is the point); the gateway's ends of them must be gone.
    const left = openFds() - before;
    for (const h of held) h.socket.destroy();
    expect(left).toBeGreaterThanOrEqual(CLIENTS);
    expect(left).toBeLessThanOrEqual(CLIENTS + 4);
  }, 20_000);
});

describe('what the timeouts never cut', () => {
  it('a stream to Codex silent for longer than every inbound timeout arrives whole', async () => {
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m","input":[],"stream":true}' });
    expect(res.status).toBe(200);
    expect(eventTypes(Buffer.from(await res.text())).at(-1)).toBe('response.completed');
  }, 20_000);

  it('a body that keeps arriving, slowly, is read whole', async () => {
    const held = await hold((s) => {
      const body = '{"model":"m","input":[],"stream":true}';
      s.write(`POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`);
      let at = 0;
      const drip = setInterval(() => {
        s.write(body.slice(at, at + 8));
        at += 8;
        if (at >= body.length) clearInterval(drip);
      }, 200);
    }, { deadlineMs: 15_000 });
    expect(held.answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(held.answer).toContain('response.completed');
  }, 20_000);
});
