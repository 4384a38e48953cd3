import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responsesTextStream, sendSse, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { upstreamTo } from '../support/upstream-plugin.js';
import { rawRequest, type RawAnswer } from '../fuzz/raw-http.js';

// Requests framed the way RFC 9112 forbids, or for a method the gateway does not serve: each gets an OpenAI-shaped
// JSON error and a closed connection, never silence, a bare status line or an upstream call.

let mock: MockUpstream;
let gw: StartedRouter;
let port: number;

beforeAll(async () => {
  mock = await startMockUpstream((_req, res) => sendSse(res, responsesTextStream('ok')));
  gw = await startRouter({ plugins: [upstreamTo(mock)] });
  port = Number(new URL(gw.url).port);
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

// Without `connection: close`: the gateway must close the connection itself (rawRequest reads until it does).
const raw = (text: string): Promise<RawAnswer> => rawRequest(port, Buffer.from(text), 5_000);
const post = (headers: string) => `POST /v1/responses HTTP/1.1\r\n${headers}content-type: application/json\r\ncontent-length: 2\r\n\r\n{}`;

function expectJsonError(answer: RawAnswer, status: number, code: string): void {
  expect(answer.hung, 'the gateway left the connection open').toBe(false);
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body.toString()).error).toMatchObject({ type: 'invalid_request_error', code });
}

describe('Host', () => {
  it.each([
    ['POST /v1/responses', post(`host: 127.0.0.1:1\r\nhost: evil.example\r\n`)],
    ['GET /health', `GET /health HTTP/1.1\r\nHost: localhost\r\nHOST: evil.example\r\n\r\n`],
  ])('two Host headers on %s: 400 duplicate_host, nothing sent upstream', async (_name, text) => {
    const before = mock.requests.length;
    expectJsonError(await raw(text), 400, 'duplicate_host');
    expect(mock.requests.length).toBe(before);
  });

  it.each([
    ['POST /v1/responses', post('')],
    ['GET /health', 'GET /health HTTP/1.1\r\n\r\n'],
  ])('HTTP/1.1 without Host on %s: 400 missing_host as JSON', async (_name, text) => {
    const before = mock.requests.length;
    expectJsonError(await raw(text), 400, 'missing_host');
    expect(mock.requests.length).toBe(before);
  });

  it('HTTP/1.0 needs no Host', async () => {
    const answer = await raw('GET /health HTTP/1.0\r\n\r\n');
    expect(answer.status).toBe(200);
  });
});

describe('CONNECT', () => {
  it('gets a JSON 405 and a closed connection', async () => {
    const answer = await raw(`CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\n`);
    expectJsonError(answer, 405, 'method_not_allowed');
  });
});
